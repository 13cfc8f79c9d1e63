"""Version 12: the web dashboard's one-time links and sessions, and its text search index.

Links and sessions live here, not in memory, so a restart keeps people logged in and a used
link stays used. Only a hash of each session token is stored: a copy of the database does not
let anyone in. Three FTS5 indexes hold what a ticket says (its title and description; every
message and note in its timeline; LKPP's replies), kept up to date by triggers so no writer has
to remember them. Each is keyed by its source row's id, so "newest first" is rowid order and a
search can stop after the newest matches.
"""

#: What of an event is searchable: the message or note it carries, or the reason given.
_EVENT_TEXT = (
    "coalesce(json_extract({row}details, '$.text'), '') || char(10) || "
    "coalesce(json_extract({row}details, '$.reason'), '')"
)

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
    "CREATE INDEX tickets_application ON tickets (application)",
    # The detail page lists a ticket's LKPP files without reading every stored file.
    "CREATE INDEX mail_attachments_ticket ON mail_attachments (ticket_id)",
    # Text search: one FTS5 index per source, each keyed so "newest first" is rowid order.
    """
    CREATE VIRTUAL TABLE search_tickets USING fts5(
        body, tokenize = 'unicode61 remove_diacritics 2'
    )
    """,
    """
    CREATE VIRTUAL TABLE search_events USING fts5(
        body, ticket_id UNINDEXED, tokenize = 'unicode61 remove_diacritics 2'
    )
    """,
    """
    CREATE VIRTUAL TABLE search_replies USING fts5(
        body, ticket_id UNINDEXED, tokenize = 'unicode61 remove_diacritics 2'
    )
    """,
    """
    CREATE TRIGGER search_tickets_insert AFTER INSERT ON tickets BEGIN
        INSERT INTO search_tickets (rowid, body)
        VALUES (new.id, new.title || char(10) || new.description);
    END
    """,
    """
    CREATE TRIGGER search_tickets_edit AFTER UPDATE OF title, description ON tickets BEGIN
        DELETE FROM search_tickets WHERE rowid = old.id;
        INSERT INTO search_tickets (rowid, body)
        VALUES (new.id, new.title || char(10) || new.description);
    END
    """,
    f"""
    CREATE TRIGGER search_events_insert AFTER INSERT ON events
    WHEN {_EVENT_TEXT.format(row="new.")} <> char(10)
    BEGIN
        INSERT INTO search_events (rowid, body, ticket_id)
        VALUES (new.id, {_EVENT_TEXT.format(row="new.")}, new.ticket_id);
    END
    """,
    """
    CREATE TRIGGER search_replies_insert AFTER INSERT ON mail_lkpp_replies BEGIN
        INSERT INTO search_replies (rowid, body, ticket_id)
        VALUES (new.id, new.subject || char(10) || new.reply_text, new.ticket_id);
    END
    """,
    """
    INSERT INTO search_tickets (rowid, body)
    SELECT id, title || char(10) || description FROM tickets
    """,
    f"""
    INSERT INTO search_events (rowid, body, ticket_id)
    SELECT id, {_EVENT_TEXT.format(row="")}, ticket_id FROM events
    WHERE {_EVENT_TEXT.format(row="")} <> char(10)
    """,
    """
    INSERT INTO search_replies (rowid, body, ticket_id)
    SELECT id, subject || char(10) || reply_text, ticket_id FROM mail_lkpp_replies
    """,
]
