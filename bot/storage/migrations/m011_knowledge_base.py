"""Version 11: the knowledge base — entries, their full-text index, solved tickets, uses.

The two FTS5 tables hold *analysed* text (terms after protected terms, synonyms and stemming,
see :mod:`bot.kb.analysis`), one row per entry or solved ticket with the same rowid, so BM25
ranks what the analyser made of the words. ``tokenchars '_'`` keeps a protected term such as
``sikap_`` one token. The ``fts5vocab`` tables list every indexed term, for typo correction.
``kb_uses`` counts what users did with an entry (read it, were answered by it, went on to
report), which the report shows per period.
"""

_TOKENIZE = "tokenize = \"unicode61 remove_diacritics 2 tokenchars '_'\""

STATEMENTS = [
    """
    CREATE TABLE kb_entries (
        id INTEGER PRIMARY KEY,
        title TEXT NOT NULL,
        symptom TEXT NOT NULL,
        answer TEXT NOT NULL,
        keywords TEXT NOT NULL DEFAULT '[]',
        application TEXT,
        source TEXT NOT NULL CHECK (source IN ('kurasi', 'panduan_lkpp', 'solusi_lokal')),
        ticket_id INTEGER REFERENCES tickets (id),
        status TEXT NOT NULL CHECK (status IN ('draf', 'aktif', 'pensiun')),
        confirmed_by_id INTEGER,
        confirmed_by_name TEXT,
        confirmed_at TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    )
    """,
    "CREATE INDEX kb_entries_status ON kb_entries (status)",
    "CREATE INDEX kb_entries_ticket ON kb_entries (ticket_id) WHERE ticket_id IS NOT NULL",
    f"""
    CREATE VIRTUAL TABLE kb_entry_index USING fts5 (
        title, symptom, answer, keywords, application, {_TOKENIZE}
    )
    """,
    f"""
    CREATE VIRTUAL TABLE kb_ticket_index USING fts5 (
        title, problem, solution, application, {_TOKENIZE}
    )
    """,
    "CREATE VIRTUAL TABLE kb_entry_terms USING fts5vocab (kb_entry_index, 'row')",
    "CREATE VIRTUAL TABLE kb_ticket_terms USING fts5vocab (kb_ticket_index, 'row')",
    """
    CREATE TABLE kb_uses (
        id INTEGER PRIMARY KEY,
        entry_id INTEGER NOT NULL REFERENCES kb_entries (id),
        chat_id INTEGER NOT NULL,
        channel TEXT NOT NULL CHECK (channel IN ('lapor', 'faq')),
        outcome TEXT NOT NULL CHECK (outcome IN ('ditampilkan', 'dibaca', 'terjawab')),
        at TEXT NOT NULL
    )
    """,
    "CREATE INDEX kb_uses_at ON kb_uses (at, outcome)",
    """
    CREATE TABLE kb_staff_messages (
        chat_id INTEGER NOT NULL,
        message_id INTEGER NOT NULL,
        entry_id INTEGER NOT NULL REFERENCES kb_entries (id),
        created_at TEXT NOT NULL,
        PRIMARY KEY (chat_id, message_id)
    )
    """,
]
