"""Version 6: which working days had their morning briefing.

The briefing job claims its day here before sending, so a bot that was down at briefing time
sends it when it comes back (once), and a restart later that day does not send it again.
"""

STATEMENTS = [
    """
    CREATE TABLE daily_briefings (
        day TEXT PRIMARY KEY,
        sent_at TEXT NOT NULL
    )
    """,
]
