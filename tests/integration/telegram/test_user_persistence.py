"""The conversation persistence and the draft store on a real migrated database."""

from __future__ import annotations

from bot.conversations.persistence import SqliteConversationPersistence
from bot.domain.ticket import Attachment
from bot.services import Services
from bot.storage.db import Database
from bot.storage.drafts import DATA, REPORT, DraftStore, attachment_from_json, attachment_to_json
from tests.support.clock import FakeClock


async def test_conversation_states_round_trip_and_end(services: Services):
    persistence = SqliteConversationPersistence(services.db)
    assert not persistence.store_data.user_data
    assert not persistence.store_data.chat_data
    assert not persistence.store_data.bot_data
    assert not persistence.store_data.callback_data
    await persistence.update_conversation("lapor", (777001, 777001), "judul")
    await persistence.update_conversation("lapor", (777002, 777002), "email")
    await persistence.update_conversation("lapor", (777002, 777002), "telepon")
    await persistence.update_conversation("lain", (1, 1), "x")
    assert await persistence.get_conversations("lapor") == {
        (777001, 777001): "judul",
        (777002, 777002): "telepon",
    }
    await persistence.update_conversation("lapor", (777001, 777001), None)
    assert await persistence.get_conversations("lapor") == {(777002, 777002): "telepon"}


async def test_persistence_opens_the_database_itself_before_post_init(tmp_path):
    db = Database(tmp_path / "bot.sqlite3")
    persistence = SqliteConversationPersistence(db)
    try:
        assert await persistence.get_conversations("lapor") == {}
        await persistence.update_conversation("lapor", (5, 5), "nama")
    finally:
        await db.close()
    reopened = Database(tmp_path / "bot.sqlite3")
    try:
        assert await SqliteConversationPersistence(reopened).get_conversations("lapor") == {
            (5, 5): "nama"
        }
    finally:
        await reopened.close()


async def test_drafts_are_kept_per_chat_and_kind(services: Services, clock: FakeClock):
    drafts = DraftStore(services.db, clock)
    await drafts.put(1, REPORT, {"step": "judul", "judul": "<b>&</b>"})
    await drafts.put(1, DATA, {"number": "BTG-2026-00001"})
    await drafts.put(2, REPORT, {"step": "jenis"})
    assert await drafts.get(1, REPORT) == {"step": "judul", "judul": "<b>&</b>"}
    clock.advance(minutes=5)
    await drafts.put(1, REPORT, {"step": "deskripsi"})
    assert await drafts.get(1, REPORT) == {"step": "deskripsi"}
    assert await drafts.updated_at(1, REPORT) == clock()
    assert await drafts.delete(1, REPORT)
    assert not await drafts.delete(1, REPORT)
    assert await drafts.get(1, REPORT) is None
    assert await drafts.get(1, DATA) == {"number": "BTG-2026-00001"}


def test_attachments_survive_the_json_round_trip():
    original = Attachment(None, 0, "pengguna", "bukti <1>.pdf", "application/pdf", 42, "FILE1")
    again = attachment_from_json(attachment_to_json(original))
    assert again == original
