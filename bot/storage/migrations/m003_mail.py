"""Version 3: the mail bridge: outbox, inbox (raw messages), LKPP replies, their attachments.

The outbox row is written in the transaction of the state change that asks for the email, so a
queued email never exists without its event nor the other way round. Inbound mail is stored raw
before anything reads it, keyed by Message-ID, so a second fetch of the same message is a
no-op and a crash anywhere after the store loses nothing.
"""

STATEMENTS = [
    """
    CREATE TABLE mail_outbox (
        id INTEGER PRIMARY KEY,
        ticket_id INTEGER NOT NULL REFERENCES tickets (id),
        event_id INTEGER REFERENCES events (id),
        kind TEXT NOT NULL CHECK (kind IN ('eskalasi', 'data', 'status')),
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
    "CREATE INDEX mail_outbox_due ON mail_outbox (state, next_attempt_at)",
    "CREATE INDEX mail_outbox_ticket ON mail_outbox (ticket_id, id)",
    """
    CREATE TABLE mail_inbox (
        id INTEGER PRIMARY KEY,
        message_id TEXT NOT NULL UNIQUE,
        raw BLOB NOT NULL,
        size INTEGER NOT NULL,
        received_at TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'baru'
            CHECK (state IN ('baru', 'cocok', 'karantina', 'derau', 'dibuang')),
        ticket_id INTEGER REFERENCES tickets (id),
        from_addr TEXT,
        subject TEXT,
        reason TEXT,
        problems TEXT NOT NULL DEFAULT '[]',
        alert INTEGER NOT NULL DEFAULT 0,
        processed_at TEXT,
        posted_at TEXT,
        prompt_chat_id INTEGER,
        prompt_message_id INTEGER
    )
    """,
    "CREATE INDEX mail_inbox_state ON mail_inbox (state, id)",
    """
    CREATE TABLE mail_lkpp_replies (
        id INTEGER PRIMARY KEY,
        inbox_id INTEGER NOT NULL UNIQUE REFERENCES mail_inbox (id),
        ticket_id INTEGER NOT NULL REFERENCES tickets (id),
        event_id INTEGER REFERENCES events (id),
        message_id TEXT NOT NULL,
        matched_by TEXT NOT NULL CHECK (matched_by IN ('message_id', 'subjek', 'staf')),
        from_addr TEXT NOT NULL,
        subject TEXT NOT NULL,
        reply_text TEXT NOT NULL,
        full_text TEXT NOT NULL,
        proposed_class TEXT NOT NULL,
        by_tag INTEGER NOT NULL DEFAULT 0,
        matched TEXT NOT NULL DEFAULT '[]',
        confirmed_class TEXT,
        confirmed_by INTEGER,
        confirmed_by_name TEXT,
        confirmed_at TEXT,
        action_error TEXT,
        forwarded_at TEXT,
        received_at TEXT NOT NULL,
        posted_at TEXT,
        staff_chat_id INTEGER,
        staff_message_id INTEGER
    )
    """,
    "CREATE INDEX mail_lkpp_replies_ticket ON mail_lkpp_replies (ticket_id, id)",
    """
    CREATE TABLE mail_attachments (
        id INTEGER PRIMARY KEY,
        inbox_id INTEGER NOT NULL REFERENCES mail_inbox (id),
        reply_id INTEGER REFERENCES mail_lkpp_replies (id),
        ticket_id INTEGER REFERENCES tickets (id),
        file_name TEXT NOT NULL,
        mime_type TEXT NOT NULL,
        size INTEGER NOT NULL,
        content BLOB NOT NULL,
        storage_path TEXT,
        telegram_file_id TEXT,
        created_at TEXT NOT NULL
    )
    """,
    "CREATE INDEX mail_attachments_reply ON mail_attachments (reply_id)",
]
