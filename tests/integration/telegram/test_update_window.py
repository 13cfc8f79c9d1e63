"""The processed-update window: handled-before answers without a read per update."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bot.outbox.component import UpdateWindow
from bot.storage.db import Database
from bot.storage.telegram_outbox import TelegramOutboxStore


class CountingStore(TelegramOutboxStore):
    """The real store, counting the per-update lookups the window makes."""

    lookups = 0

    async def update_handled(self, update_id: int) -> bool:
        self.lookups += 1
        return await super().update_handled(update_id)


async def _db(tmp_path: Path) -> Database:
    db = Database(tmp_path / "bot.sqlite3")
    await db.open()
    await db.upgrade()
    return db


async def test_updates_of_an_earlier_run_are_handled_and_new_ones_cost_no_lookup(tmp_path):
    db = await _db(tmp_path)
    try:
        earlier = TelegramOutboxStore(db)
        for update_id in (100, 101, 103):
            await earlier.record_update(update_id, datetime(2026, 12, 1, tzinfo=UTC), 10_000)
        store = CountingStore(db)
        window = UpdateWindow(store)
        assert await window.handled(101)  # redelivered after a restart
        assert not await window.handled(102)  # received, never handled: below the floor
        assert store.lookups == 2
        for update_id in range(104, 200):
            assert not await window.handled(update_id)
            await window.record(update_id)
        assert store.lookups == 2  # above the floor: no read per update
        assert await window.handled(150)  # a webhook retry of one handled in this run
        assert await store.update_handled(150)  # and it is in the database for the next run
    finally:
        await db.close()


async def test_ids_the_window_forgets_are_looked_up_instead(tmp_path):
    db = await _db(tmp_path)
    try:
        store = CountingStore(db)
        window = UpdateWindow(store, window=5)
        for update_id in range(1, 30):
            assert not await window.handled(update_id)
            await window.record(update_id)
        assert all([await window.handled(update_id) for update_id in range(25, 30)])
        before = store.lookups
        assert await window.handled(3)  # forgotten here, still in the database
        assert await window.handled(22)
        assert store.lookups == before + 2
        assert not await window.handled(30)
    finally:
        await db.close()
