"""Pending edits of one message collapse into one row that keeps what each asked for."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bot.storage.db import Database
from bot.storage.telegram_outbox import TelegramOutboxStore

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
GROUP = -1001234567890


async def _edit(store: TelegramOutboxStore, db: Database, payload: dict[str, object]) -> int:
    async with db.transaction():
        return await store.enqueue(
            GROUP, "ubah", payload, 0, AT, coalesce_key=f"ubah:{GROUP}:7", merge=True
        )


async def test_a_keyboard_edit_after_a_text_edit_keeps_the_text(tmp_path: Path) -> None:
    async with Database(tmp_path / "bot.db") as db:
        await db.upgrade()
        store = TelegramOutboxStore(db)
        first = await _edit(store, db, {"message_id": 7, "html": "Draf", "buttons": [["a", "b"]]})
        second = await _edit(store, db, {"message_id": 7, "buttons": None})
        assert second == first  # one row: its place in the lane is kept
        row = await store.get(first)
        assert row is not None
        assert row.payload == {"message_id": 7, "html": "Draf"}  # text kept, buttons gone


async def test_the_newest_text_and_keyboard_win(tmp_path: Path) -> None:
    async with Database(tmp_path / "bot.db") as db:
        await db.upgrade()
        store = TelegramOutboxStore(db)
        first = await _edit(store, db, {"message_id": 7, "buttons": [[["Tinggi", "t:p"]]]})
        await _edit(store, db, {"message_id": 7, "html": "Baru", "buttons": [[["Kirim", "t:k"]]]})
        row = await store.get(first)
        assert row is not None
        assert row.payload == {"message_id": 7, "html": "Baru", "buttons": [[["Kirim", "t:k"]]]}
        count = await db.fetchval("SELECT COUNT(*) FROM telegram_outbox WHERE kind = 'ubah'")
        assert count == 1
