"""Version 7: the Telegram outbox, processed updates, and the staff chat id in use.

Every message the bot sends because something changed is a ``telegram_outbox`` row written in
the transaction of the change, then delivered by one sender task (:mod:`bot.outbox.sender`).
The rows of one chat are its lane; the group's rolling 60 s budget is counted from ``sent_at``
of the rows, so a restart honours it. Sends that stay direct (a reply to a command just typed)
are recorded here too, as already-sent rows, so they count in the same budget.

``processed_updates`` is the journal of updates: each polled update is written when it arrives
(before Telegram learns the offset), replayed at start if a crash stopped its handling, and
marked when handled, so a redelivered update (a webhook retry, polling after a crash) is
dropped; a bounded window is kept. ``bot_state`` holds small values the
bot changes at run time: the staff chat id in use after Telegram upgraded the group.
"""

STATEMENTS = [
    """
    CREATE TABLE telegram_outbox (
        id INTEGER PRIMARY KEY,
        chat_id INTEGER NOT NULL,
        priority INTEGER NOT NULL,
        kind TEXT NOT NULL,
        payload TEXT NOT NULL,
        coalesce_key TEXT,
        ticket_id INTEGER,
        state TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        next_attempt_at TEXT NOT NULL,
        started_at TEXT,
        sent_at TEXT,
        announced_at TEXT,
        message_id INTEGER,
        last_error TEXT
    )
    """,
    "CREATE INDEX telegram_outbox_due ON telegram_outbox (state, next_attempt_at)",
    "CREATE INDEX telegram_outbox_lane ON telegram_outbox (chat_id, state, priority, id)",
    "CREATE INDEX telegram_outbox_sent ON telegram_outbox (chat_id, sent_at)",
    """
    CREATE UNIQUE INDEX telegram_outbox_coalesce ON telegram_outbox (coalesce_key)
    WHERE state = 'queued' AND coalesce_key IS NOT NULL
    """,
    """
    CREATE TABLE processed_updates (
        update_id INTEGER PRIMARY KEY,
        payload TEXT,
        received_at TEXT NOT NULL,
        processed_at TEXT
    )
    """,
    """
    CREATE TABLE bot_state (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        updated_at TEXT NOT NULL
    )
    """,
]
