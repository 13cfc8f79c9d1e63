"""python-telegram-bot persistence that keeps only ConversationHandler states, in SQLite.

Everything else the bot remembers lives in its own tables (tickets, drafts), written in
transactions the bot controls; PTB's user/chat/bot data would be a second, unsynchronised copy,
so they are switched off. The states go through the bot's one :class:`Database`, which PTB
loads in ``Application.initialize()``, before ``post_init`` opens the services: hence
:meth:`Database.ensure_ready` first.
"""

from __future__ import annotations

import json
from typing import Any

from telegram.ext import BasePersistence, PersistenceInput

from bot.storage.db import Database

ConversationKey = tuple[int | str, ...]
ConversationDict = dict[ConversationKey, object]
CDCData = tuple[list[tuple[str, float, dict[str, Any]]], dict[str, str]]
"""PTB's callback-data cache format (unused: callback data is not stored)."""

_NOTHING_BUT_CONVERSATIONS = PersistenceInput(
    bot_data=False, chat_data=False, user_data=False, callback_data=False
)


class SqliteConversationPersistence(
    BasePersistence[dict[Any, Any], dict[Any, Any], dict[Any, Any]]
):
    """Conversation states in the ``conversation_states`` table.

    Args:
        db: The bot's database (opened on demand).
        update_interval: Seconds between PTB's writes of changed states. Short, because a
            crash loses the steps taken since the last write (the draft itself is written at
            every answer and does not depend on this).
    """

    def __init__(self, db: Database, update_interval: float = 1.0) -> None:
        super().__init__(store_data=_NOTHING_BUT_CONVERSATIONS, update_interval=update_interval)
        self.db = db

    async def get_conversations(self, name: str) -> ConversationDict:
        await self.db.ensure_ready()
        rows = await self.db.fetchall(
            "SELECT key, state FROM conversation_states WHERE name = ?", (name,)
        )
        return {tuple(json.loads(row["key"])): json.loads(row["state"]) for row in rows}

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        await self.db.ensure_ready()
        encoded_key = json.dumps(list(key))
        async with self.db.transaction() as conn:
            if new_state is None:
                await conn.execute(
                    "DELETE FROM conversation_states WHERE name = ? AND key = ?",
                    (name, encoded_key),
                )
            else:
                await conn.execute(
                    "INSERT INTO conversation_states (name, key, state) VALUES (?, ?, ?) "
                    "ON CONFLICT (name, key) DO UPDATE SET state = excluded.state",
                    (name, encoded_key, json.dumps(new_state)),
                )

    # PTB's other stores are off (store_data above); these satisfy the abstract interface.
    async def get_user_data(self) -> dict[int, dict[Any, Any]]:
        return {}

    async def get_chat_data(self) -> dict[int, dict[Any, Any]]:
        return {}

    async def get_bot_data(self) -> dict[Any, Any]:
        return {}

    async def get_callback_data(self) -> CDCData | None:
        return None

    async def update_user_data(self, user_id: int, data: dict[Any, Any]) -> None:
        return None

    async def update_chat_data(self, chat_id: int, data: dict[Any, Any]) -> None:
        return None

    async def update_bot_data(self, data: dict[Any, Any]) -> None:
        return None

    async def update_callback_data(self, data: CDCData) -> None:
        return None

    async def drop_chat_data(self, chat_id: int) -> None:
        return None

    async def drop_user_data(self, user_id: int) -> None:
        return None

    async def refresh_user_data(self, user_id: int, user_data: dict[Any, Any]) -> None:
        return None

    async def refresh_chat_data(self, chat_id: int, chat_data: dict[Any, Any]) -> None:
        return None

    async def refresh_bot_data(self, bot_data: dict[Any, Any]) -> None:
        return None

    async def flush(self) -> None:
        return None


async def flush_conversations(update: object, context: Any) -> None:
    """Write the states this update changed now, not at the next ``update_interval`` tick.

    A report's step then survives a power cut that comes right after the bot asked its next
    question. PTB writes only the states that changed, so an update that changed none costs a
    lookup, no transaction.
    """
    del update
    await context.application.update_persistence()
