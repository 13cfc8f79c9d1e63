"""Version 12: the web dashboard's one-time links and sessions, and its text search index.

Links and sessions live here, not in memory, so a restart keeps people logged in and a used
link stays used. Only a hash of each session token is stored: a copy of the database does not
let anyone in. ``ticket_search`` is an FTS5 index over what a ticket says (title, description,
every message in its timeline, LKPP's replies), kept up to date by triggers so no writer has to
remember it; ``rowid`` says where a row came from (``-ticket id``, ``event id``,
``-(2^40 + reply id)``), so an edited ticket replaces its own row.
"""

STATEMENTS = [
    """
    CREATE TABLE web_links (
        nonce TEXT PRIMARY KEY,
        user_id INTEGER NOT NULL,
        user_name TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        used_at TEXT,
        used_from TEXT
    )
    """,
    """
    CREATE TABLE web_sessions (
        token_hash TEXT PRIMARY KEY,
        user_id INTEGER NOT NULL,
        user_name TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        address TEXT NOT NULL,
        user_agent TEXT NOT NULL DEFAULT '',
        ended_at TEXT
    )
    """,
    "CREATE INDEX web_sessions_expiry ON web_sessions (expires_at) WHERE ended_at IS NULL",
    # The dashboard's filters: "breached or not" and the period.
    "CREATE INDEX breaches_ticket ON breaches (ticket_id)",
    "CREATE INDEX tickets_created ON tickets (created_at)",
    # "Hari ini": lapses still growing (breached, not stopped), beside the running clocks.
    """
    CREATE INDEX deadlines_open_breach ON deadlines (due_at)
        WHERE state = 'breached' AND stopped_at IS NULL
    """,
    """
    CREATE VIRTUAL TABLE ticket_search USING fts5(
        body, ticket_id UNINDEXED, tokenize = 'unicode61 remove_diacritics 2'
    )
    """,
    """
    CREATE TRIGGER ticket_search_ticket AFTER INSERT ON tickets BEGIN
        INSERT INTO ticket_search (rowid, body, ticket_id)
        VALUES (-new.id, new.title || char(10) || new.description, new.id);
    END
    """,
    """
    CREATE TRIGGER ticket_search_ticket_edit AFTER UPDATE OF title, description ON tickets BEGIN
        DELETE FROM ticket_search WHERE rowid = -old.id;
        INSERT INTO ticket_search (rowid, body, ticket_id)
        VALUES (-new.id, new.title || char(10) || new.description, new.id);
    END
    """,
    """
    CREATE TRIGGER ticket_search_event AFTER INSERT ON events
    WHEN json_extract(new.details, '$.text') IS NOT NULL
        OR json_extract(new.details, '$.reason') IS NOT NULL
    BEGIN
        INSERT INTO ticket_search (rowid, body, ticket_id)
        VALUES (new.id, coalesce(json_extract(new.details, '$.text'), '') || char(10)
                || coalesce(json_extract(new.details, '$.reason'), ''), new.ticket_id);
    END
    """,
    """
    CREATE TRIGGER ticket_search_reply AFTER INSERT ON mail_lkpp_replies BEGIN
        INSERT INTO ticket_search (rowid, body, ticket_id)
        VALUES (-1099511627776 - new.id, new.subject || char(10) || new.reply_text,
                new.ticket_id);
    END
    """,
    """
    INSERT INTO ticket_search (rowid, body, ticket_id)
    SELECT -id, title || char(10) || description, id FROM tickets
    """,
    """
    INSERT INTO ticket_search (rowid, body, ticket_id)
    SELECT id, coalesce(json_extract(details, '$.text'), '') || char(10)
        || coalesce(json_extract(details, '$.reason'), ''), ticket_id
    FROM events
    WHERE json_extract(details, '$.text') IS NOT NULL
        OR json_extract(details, '$.reason') IS NOT NULL
    """,
    """
    INSERT INTO ticket_search (rowid, body, ticket_id)
    SELECT -1099511627776 - id, subject || char(10) || reply_text, ticket_id
    FROM mail_lkpp_replies
    """,
]
