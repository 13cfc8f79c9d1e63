"""SQL mapping Telegram messages to tickets, and users who blocked the bot."""

from __future__ import annotations

from datetime import datetime

from bot.storage.db import Database
from bot.storage.timefmt import to_db

CARD = "kartu"
"""The one message per ticket in the staff group that is edited as the ticket moves."""


class MessageMap:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def remember(
        self, chat_id: int, message_id: int, ticket_id: int, kind: str, at: datetime
    ) -> None:
        """Record that ``message_id`` in ``chat_id`` is about ``ticket_id``.

        Runs in its own transaction: it follows a send, which cannot be rolled back anyway.
        """
        async with self.db.transaction():
            await self.remember_in(chat_id, message_id, ticket_id, kind, at)

    async def remember_in(
        self,
        chat_id: int,
        message_id: int,
        ticket_id: int,
        kind: str,
        at: datetime,
    ) -> None:
        """:meth:`remember` inside the caller's transaction (the outbox marking a row sent)."""
        conn = self.db.conn
        await conn.execute(
            "INSERT OR REPLACE INTO telegram_messages "
            "(chat_id, message_id, ticket_id, kind, created_at) VALUES (?, ?, ?, ?, ?)",
            (chat_id, message_id, ticket_id, kind, to_db(at)),
        )

    async def move_chat(self, old: int, new: int) -> None:
        """Nothing: message ids stay valid in their old chat; a new card is posted on demand."""

    async def ticket_for(self, chat_id: int, message_id: int) -> int | None:
        return await self.db.fetchval(
            "SELECT ticket_id FROM telegram_messages WHERE chat_id = ? AND message_id = ?",
            (chat_id, message_id),
        )

    async def lookup(self, chat_id: int, message_id: int) -> tuple[int, str] | None:
        """(ticket id, kind) of a bot message, e.g. to know a reply answers a Selesai prompt."""
        row = await self.db.fetchone(
            "SELECT ticket_id, kind FROM telegram_messages WHERE chat_id = ? AND message_id = ?",
            (chat_id, message_id),
        )
        return None if row is None else (row[0], row[1])

    async def card(self, ticket_id: int) -> tuple[int, int] | None:
        """(chat_id, message_id) of the ticket's card in the staff group, if posted."""
        row = await self.db.fetchone(
            "SELECT chat_id, message_id FROM telegram_messages WHERE ticket_id = ? AND kind = ? "
            "ORDER BY created_at DESC LIMIT 1",
            (ticket_id, CARD),
        )
        return None if row is None else (row[0], row[1])

    async def mark_blocked(self, chat_id: int, at: datetime) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT OR IGNORE INTO blocked_users (chat_id, blocked_at) VALUES (?, ?)",
                (chat_id, to_db(at)),
            )

    async def unmark_blocked(self, chat_id: int) -> None:
        async with self.db.transaction() as conn:
            await conn.execute("DELETE FROM blocked_users WHERE chat_id = ?", (chat_id,))

    async def is_blocked(self, chat_id: int) -> bool:
        return bool(
            await self.db.fetchval("SELECT 1 FROM blocked_users WHERE chat_id = ?", (chat_id,))
        )
