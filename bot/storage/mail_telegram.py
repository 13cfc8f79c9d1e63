"""SQL of showing mail in Telegram through the outbox (the mail bridge's staff view).

The staff view queues an LKPP reply (or a quarantined email) in the Telegram outbox and marks
it posted in the same transaction; once the sender has delivered it, the notice's message id and
each uploaded file's Telegram file id are recorded in the transaction that marks the row sent.
"""

from __future__ import annotations

from datetime import datetime

from bot.storage.db import Database
from bot.storage.mail_rows import MailFile, file_row
from bot.storage.timefmt import to_db


class MailTelegramStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def mark_reply_queued(self, reply_id: int, at: datetime) -> None:
        conn = self.db.conn
        await conn.execute(
            "UPDATE mail_lkpp_replies SET posted_at = ? WHERE id = ?", (to_db(at), reply_id)
        )

    async def set_reply_message(self, reply_id: int, chat_id: int, message_id: int) -> None:
        conn = self.db.conn
        await conn.execute(
            "UPDATE mail_lkpp_replies SET staff_chat_id = ?, staff_message_id = ? WHERE id = ?",
            (chat_id, message_id, reply_id),
        )

    async def mark_inbox_queued(self, inbox_id: int, at: datetime) -> None:
        conn = self.db.conn
        await conn.execute(
            "UPDATE mail_inbox SET posted_at = ? WHERE id = ?", (to_db(at), inbox_id)
        )

    async def file(self, file_id: int) -> MailFile | None:
        row = await self.db.fetchone("SELECT * FROM mail_attachments WHERE id = ?", (file_id,))
        return None if row is None else file_row(row)

    async def set_file_id(self, file_id: int, telegram_file_id: str) -> None:
        conn = self.db.conn
        await conn.execute(
            "UPDATE mail_attachments SET telegram_file_id = ? WHERE id = ?",
            (telegram_file_id, file_id),
        )
