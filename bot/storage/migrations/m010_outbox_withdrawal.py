"""Version 10: the outbox also carries the notice that tells LKPP a user withdrew a report.

SQLite cannot change a CHECK constraint, so the table is rebuilt with the new kind ``batal``
allowed and its rows and indexes copied over, all in the migration's one transaction.
"""

_COLUMNS = (
    "id, ticket_id, event_id, kind, message_id, in_reply_to, refs, recipient, subject, body, "
    "attachment_ids, automatic, state, attempts, next_attempt_at, last_error, alerted_at, "
    "created_at, sent_at"
)

STATEMENTS = [
    """
    CREATE TABLE mail_outbox_v10 (
        id INTEGER PRIMARY KEY,
        ticket_id INTEGER NOT NULL REFERENCES tickets (id),
        event_id INTEGER REFERENCES events (id),
        kind TEXT NOT NULL CHECK (kind IN ('eskalasi', 'data', 'status', 'batal')),
        message_id TEXT NOT NULL UNIQUE,
        in_reply_to TEXT,
        refs TEXT NOT NULL DEFAULT '',
        recipient TEXT NOT NULL,
        subject TEXT NOT NULL,
        body TEXT NOT NULL,
        attachment_ids TEXT NOT NULL DEFAULT '[]',
        automatic INTEGER NOT NULL DEFAULT 0,
        state TEXT NOT NULL DEFAULT 'antre' CHECK (state IN ('antre', 'terkirim', 'gagal')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT NOT NULL,
        last_error TEXT,
        alerted_at TEXT,
        created_at TEXT NOT NULL,
        sent_at TEXT
    )
    """,
    f"INSERT INTO mail_outbox_v10 ({_COLUMNS}) SELECT {_COLUMNS} FROM mail_outbox",
    "DROP TABLE mail_outbox",
    "ALTER TABLE mail_outbox_v10 RENAME TO mail_outbox",
    "CREATE INDEX mail_outbox_due ON mail_outbox (state, next_attempt_at)",
    "CREATE INDEX mail_outbox_ticket ON mail_outbox (ticket_id, id)",
]
