"""Version 8: clocks judged by their measured time, and the history recomputed under that rule.

Before this version a clock stopped after its limit but before the sweep looked was recorded as
met, every tagged LKPP email added a 0-second progress window, and a lapsed progress window was
cut short by the bot's own status request. SQL alone cannot redo working-time arithmetic
(weekends, holidays, local closures), so this migration only adds what the new rules store (the
email that opened a progress window) and queues the one-off recompute; the services replay every
ticket's event log through the clock rules in Python when they next open the database
(:mod:`bot.deadlines.recompute`), once, and mark the task done in the same transaction.
"""

STATEMENTS = [
    "ALTER TABLE deadlines ADD COLUMN start_message_id TEXT",
    """
    CREATE TABLE maintenance_tasks (
        name TEXT PRIMARY KEY,
        queued_at TEXT NOT NULL,
        done_at TEXT,
        note TEXT
    )
    """,
    """
    INSERT INTO maintenance_tasks (name, queued_at)
        VALUES ('recompute_clocks', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
    """,
]
