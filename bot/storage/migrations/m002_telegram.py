"""Version 2: which Telegram messages belong to which ticket.

Staff reply to a ticket's card (or to any message the bot posted about it) to talk to the user;
the bot finds the ticket from the replied-to message id here, never from the message text.
"""

STATEMENTS = [
    """
    CREATE TABLE telegram_messages (
        chat_id INTEGER NOT NULL,
        message_id INTEGER NOT NULL,
        ticket_id INTEGER NOT NULL REFERENCES tickets (id),
        kind TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (chat_id, message_id)
    )
    """,
    "CREATE INDEX telegram_messages_ticket ON telegram_messages (ticket_id, kind)",
    """
    CREATE TABLE blocked_users (
        chat_id INTEGER PRIMARY KEY,
        blocked_at TEXT NOT NULL
    )
    """,
]
