"""Version 1: tickets, their append-only event log, attachments, calendar overrides."""

STATEMENTS = [
    """
    CREATE TABLE ticket_counters (
        year INTEGER PRIMARY KEY,
        last_seq INTEGER NOT NULL
    )
    """,
    """
    CREATE TABLE tickets (
        id INTEGER PRIMARY KEY,
        number TEXT NOT NULL UNIQUE,
        state TEXT NOT NULL,
        type TEXT NOT NULL,
        role TEXT NOT NULL,
        application TEXT NOT NULL,
        title TEXT NOT NULL,
        description TEXT NOT NULL,
        package_code TEXT,
        error_code TEXT,
        contact_name TEXT NOT NULL,
        contact_email TEXT NOT NULL,
        contact_phone TEXT,
        priority TEXT NOT NULL,
        user_chat_id INTEGER NOT NULL,
        assignee_id INTEGER,
        assignee_name TEXT,
        escalated_at TEXT,
        rating INTEGER CHECK (rating BETWEEN 1 AND 5),
        version INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        closed_at TEXT
    )
    """,
    "CREATE INDEX tickets_state ON tickets (state)",
    "CREATE INDEX tickets_user ON tickets (user_chat_id, created_at)",
    """
    CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        ticket_id INTEGER NOT NULL REFERENCES tickets (id),
        action TEXT NOT NULL,
        sop_step TEXT NOT NULL,
        actor TEXT NOT NULL,
        actor_id INTEGER,
        actor_name TEXT,
        from_state TEXT,
        to_state TEXT NOT NULL,
        at TEXT NOT NULL,
        details TEXT NOT NULL DEFAULT '{}'
    )
    """,
    "CREATE INDEX events_ticket ON events (ticket_id, id)",
    "CREATE INDEX events_at ON events (at)",
    """
    CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
    BEGIN SELECT RAISE(ABORT, 'events are append-only'); END
    """,
    """
    CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events
    BEGIN SELECT RAISE(ABORT, 'events are append-only'); END
    """,
    """
    CREATE TABLE attachments (
        id INTEGER PRIMARY KEY,
        ticket_id INTEGER NOT NULL REFERENCES tickets (id),
        event_id INTEGER REFERENCES events (id),
        source TEXT NOT NULL CHECK (source IN ('pengguna', 'staf', 'lkpp')),
        file_name TEXT NOT NULL,
        mime_type TEXT,
        size INTEGER,
        telegram_file_id TEXT,
        telegram_file_unique_id TEXT,
        storage_path TEXT,
        created_at TEXT NOT NULL
    )
    """,
    "CREATE INDEX attachments_ticket ON attachments (ticket_id)",
    """
    CREATE TABLE calendar_overrides (
        day TEXT PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('tutup', 'buka')),
        note TEXT NOT NULL DEFAULT '',
        created_by INTEGER,
        created_at TEXT NOT NULL
    )
    """,
]
