"""Version 4: the SOP's clocks, their breaches, and the notices the sweep still has to send.

A clock row has at most one pending action (``next_action``: nudge, remind, breach, request)
and the instant it is due (``wake_at``). The sweep selects rows through the partial index on
``wake_at`` only, so its cost depends on how many rows are due, not on how many tickets are
open. Notices are written in the same transaction as the action that caused them and marked sent
only after Telegram accepted them, so a restart neither loses nor repeats an alert.
"""

STATEMENTS = [
    """
    CREATE TABLE deadlines (
        id INTEGER PRIMARY KEY,
        ticket_id INTEGER NOT NULL REFERENCES tickets (id),
        clock TEXT NOT NULL,
        sequence INTEGER NOT NULL DEFAULT 1,
        state TEXT NOT NULL
            CHECK (state IN ('running', 'paused', 'met', 'breached', 'cancelled')),
        started_at TEXT NOT NULL,
        due_at TEXT NOT NULL,
        nudge_at TEXT,
        limit_seconds REAL NOT NULL,
        nudge_seconds REAL,
        paused_at TEXT,
        paused_seconds REAL NOT NULL DEFAULT 0,
        remaining_seconds REAL,
        next_action TEXT,
        wake_at TEXT,
        claim_token TEXT,
        claimed_at TEXT,
        met_at TEXT,
        breached_at TEXT,
        stopped_at TEXT,
        measured_seconds REAL,
        updated_at TEXT NOT NULL
    )
    """,
    "CREATE INDEX deadlines_wake ON deadlines (wake_at) WHERE wake_at IS NOT NULL",
    "CREATE INDEX deadlines_due ON deadlines (due_at) WHERE state = 'running'",
    "CREATE INDEX deadlines_ticket ON deadlines (ticket_id, clock, sequence)",
    """
    CREATE UNIQUE INDEX deadlines_active ON deadlines (ticket_id, clock)
        WHERE state IN ('running', 'paused')
    """,
    """
    CREATE TABLE breaches (
        id INTEGER PRIMARY KEY,
        deadline_id INTEGER NOT NULL UNIQUE REFERENCES deadlines (id),
        ticket_id INTEGER NOT NULL REFERENCES tickets (id),
        clock TEXT NOT NULL,
        sequence INTEGER NOT NULL,
        responsible TEXT NOT NULL,
        started_at TEXT NOT NULL,
        due_at TEXT NOT NULL,
        detected_at TEXT NOT NULL,
        elapsed_seconds REAL NOT NULL,
        limit_seconds REAL NOT NULL
    )
    """,
    "CREATE INDEX breaches_detected ON breaches (detected_at)",
    """
    CREATE TABLE deadline_notices (
        id INTEGER PRIMARY KEY,
        ticket_id INTEGER NOT NULL REFERENCES tickets (id),
        deadline_id INTEGER REFERENCES deadlines (id),
        kind TEXT NOT NULL,
        audience TEXT NOT NULL CHECK (audience IN ('staf', 'admin', 'pengguna')),
        chat_id INTEGER,
        html TEXT NOT NULL,
        line TEXT NOT NULL,
        buttons TEXT NOT NULL DEFAULT '[]',
        created_at TEXT NOT NULL,
        sent_at TEXT,
        error TEXT
    )
    """,
    """
    CREATE INDEX deadline_notices_pending ON deadline_notices (audience, id)
        WHERE sent_at IS NULL
    """,
]
