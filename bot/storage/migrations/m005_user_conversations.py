"""Version 5: what a user is in the middle of, so a restart of the bot loses nothing.

``conversation_states`` holds python-telegram-bot's ConversationHandler states (the step of
``/lapor`` each chat is at); ``user_drafts`` holds the answers given so far: the report draft,
the additional data being collected for LKPP (SOP step 8), a reopen reason being asked for, a
free message waiting for the user to pick its ticket.
"""

STATEMENTS = [
    """
    CREATE TABLE conversation_states (
        name TEXT NOT NULL,
        key TEXT NOT NULL,
        state TEXT NOT NULL,
        PRIMARY KEY (name, key)
    )
    """,
    """
    CREATE TABLE user_drafts (
        chat_id INTEGER NOT NULL,
        kind TEXT NOT NULL,
        data TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (chat_id, kind)
    )
    """,
]
