"""SQL for what users are in the middle of: report drafts and pending answers.

Every answer a user gives is written here at once, so a restart of the bot between two
messages resumes at the same step with nothing lost. A draft is a JSON object per
``(chat_id, kind)``; the kinds are the constants below.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime
from typing import Any

from bot.clock import Now
from bot.domain.ticket import Attachment
from bot.storage.db import Database
from bot.storage.timefmt import from_db_opt, to_db

REPORT = "lapor"
"""The ``/lapor`` answers so far (one per chat)."""
DATA = "data"
"""Additional data being collected for a ticket (SOP step 8)."""
REASON = "alasan"
"""A "Belum selesai" press waiting for the reason."""
MESSAGE = "pesan"
"""A free message waiting for the user to say which open ticket it is about."""
WITHDRAW = "tarik"
"""A "Batalkan laporan" press waiting for the reason, then for the confirmation."""


def attachment_to_json(attachment: Attachment) -> dict[str, Any]:
    """The fields of an attachment a draft keeps (no ids: it belongs to no ticket yet)."""
    data = asdict(attachment)
    return {
        key: data[key] for key in ("file_name", "mime_type", "size", "telegram_file_id", "source")
    }


def attachment_from_json(data: dict[str, Any]) -> Attachment:
    return Attachment(
        id=None,
        ticket_id=0,
        source=data.get("source", "pengguna"),
        file_name=data["file_name"],
        mime_type=data.get("mime_type"),
        size=data.get("size"),
        telegram_file_id=data.get("telegram_file_id"),
    )


class DraftStore:
    """Drafts by chat and kind.

    Args:
        db: The bot's database.
        clock: Stamps ``updated_at`` (so stale drafts can be found later).
    """

    def __init__(self, db: Database, clock: Now) -> None:
        self.db = db
        self.clock = clock

    async def get(self, chat_id: int, kind: str) -> dict[str, Any] | None:
        raw = await self.db.fetchval(
            "SELECT data FROM user_drafts WHERE chat_id = ? AND kind = ?", (chat_id, kind)
        )
        return None if raw is None else json.loads(raw)

    async def put(self, chat_id: int, kind: str, data: dict[str, Any]) -> None:
        async with self.db.transaction():
            await self.put_in(chat_id, kind, data)

    async def put_in(self, chat_id: int, kind: str, data: dict[str, Any]) -> None:
        """:meth:`put` inside the caller's transaction (a workflow step's)."""
        conn = self.db.conn
        await conn.execute(
            "INSERT INTO user_drafts (chat_id, kind, data, updated_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (chat_id, kind) DO UPDATE SET data = excluded.data, "
            "updated_at = excluded.updated_at",
            (chat_id, kind, json.dumps(data, ensure_ascii=False), to_db(self.clock())),
        )

    async def delete(self, chat_id: int, kind: str) -> bool:
        """Remove a draft; ``False`` if there was none (a second press of the same button)."""
        async with self.db.transaction():
            return await self.delete_in(chat_id, kind)

    async def delete_in(self, chat_id: int, kind: str) -> bool:
        """:meth:`delete` inside the caller's transaction."""
        conn = self.db.conn
        cursor = await conn.execute(
            "DELETE FROM user_drafts WHERE chat_id = ? AND kind = ?", (chat_id, kind)
        )
        return cursor.rowcount > 0

    async def updated_at(self, chat_id: int, kind: str) -> datetime | None:
        return from_db_opt(
            await self.db.fetchval(
                "SELECT updated_at FROM user_drafts WHERE chat_id = ? AND kind = ?",
                (chat_id, kind),
            )
        )

    async def event_attachments(self, event_id: int) -> list[Attachment]:
        """Files stored with one event (a staff reply, a passed-on LKPP request)."""
        rows = await self.db.fetchall(
            "SELECT file_name, mime_type, size, telegram_file_id, source, storage_path "
            "FROM attachments WHERE event_id = ? ORDER BY id",
            (event_id,),
        )
        found = []
        for row in rows:
            attachment = attachment_from_json(dict(row))
            attachment.storage_path = row["storage_path"]
            found.append(attachment)
        return found
