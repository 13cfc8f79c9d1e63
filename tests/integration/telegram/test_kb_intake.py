"""The intake step "Mungkin ini membantu", through the real HTTP stack."""

from __future__ import annotations

from pathlib import Path

from bot.domain.kb_entries import starter_entries
from bot.kb.base import knowledge_of
from bot.storage.drafts import REPORT, DraftStore
from tests.integration.telegram.test_user_report import walk_to_title
from tests.support.botapi import BotApiServer
from tests.support.clock import FakeClock
from tests.support.user_app_fixtures import (  # noqa: F401 - fixtures
    UserChat,
    bot_api_fixture,
    running_bot,
    user_bot_fixture,
)

UPLOAD = "📖 Gagal mengunggah dokumen penawaran"
SOLVED = "✅ Ini menyelesaikan masalah saya"
GO_ON = "➡️ Lanjutkan laporan"


async def describe(u: UserChat, title: str, description: str, entries: bool = True) -> None:
    if entries:
        await knowledge_of(u.services).import_entries(starter_entries())
    await walk_to_title(u)
    u.say(title)
    await u.reply("Deskripsi")
    u.say(description)
    await u.reply("Bagian deskripsi diterima")
    u.press("Lanjut ➡️")


async def uses(u: UserChat) -> list[tuple[str, str]]:
    rows = await u.services.db.fetchall("SELECT channel, outcome FROM kb_uses ORDER BY id")
    return [(r[0], r[1]) for r in rows]


async def test_a_matching_entry_answers_the_problem_and_no_ticket_is_made(user_bot: UserChat):
    u = user_bot
    await describe(u, "Gak bisa upload penawaran", "upload dok penawaran error terus, udah 3x")
    offer = await u.reply("Mungkin ini membantu")
    assert offer.message_id is not None
    labels = u.buttons(offer.message_id)
    assert labels[0] == UPLOAD
    assert labels[-1] == GO_ON
    assert len(labels) <= 4
    u.press(UPLOAD)
    shown = await u.api.wait_for("editMessageText", chat_id=u.chat_id)
    assert "Gagal mengunggah dokumen penawaran" in (shown.text or "")
    assert "peramban terbaru" in (shown.text or "")  # the answer in full, in place
    assert SOLVED in u.buttons(offer.message_id)
    u.press(SOLVED)
    await u.reply("tidak ada tiket yang dibuat")
    assert await u.services.db.fetchval("SELECT count(*) FROM tickets") == 0
    assert await DraftStore(u.services.db, u.clock).get(u.chat_id, REPORT) is None
    offered = len(labels) - 1
    assert await uses(u) == [("lapor", "ditampilkan")] * offered + [
        ("lapor", "dibaca"),
        ("lapor", "terjawab"),
    ]


async def test_continue_goes_on_with_the_report(user_bot: UserChat):
    u = user_bot
    await describe(u, "Lupa password", "saya lupa pasword akun penyedia spse")
    offer = await u.reply("Mungkin ini membantu")
    assert offer.message_id is not None
    assert "📖 Lupa kata sandi akun penyedia SPSE" in u.buttons(offer.message_id)
    u.press(GO_ON)
    await u.reply("Tingkat urgensi")
    assert u.buttons(offer.message_id) == []
    draft = await DraftStore(u.services.db, u.clock).get(u.chat_id, REPORT)
    assert draft is not None and draft["step"] == "urgensi"


async def test_nothing_is_asked_when_nothing_matches_well(
    user_bot: UserChat, bot_api: BotApiServer
):
    u = user_bot
    mark = bot_api.mark()
    await describe(u, "Printer kantor", "printer di ruang rapat rusak, kertas macet")
    await u.reply("Tingkat urgensi")
    assert "Mungkin ini membantu" not in u.texts_since(mark)
    assert await uses(u) == []


async def test_an_empty_knowledge_base_never_blocks_a_report(user_bot: UserChat):
    await describe(user_bot, "Gagal unggah", "upload penawaran gagal", entries=False)
    await user_bot.reply("Tingkat urgensi")


async def test_a_restart_at_the_suggestions_keeps_them_and_their_buttons(
    bot_api: BotApiServer, tmp_path: Path
):
    clock = FakeClock()
    data = tmp_path / "data"
    async with running_bot(bot_api, data, clock) as app:
        u = UserChat(bot_api, app, clock)
        await describe(u, "Gagal upload", "upload dok penawaran error terus")
        offer = await u.reply("Mungkin ini membantu")
        await bot_api.wait_idle()
    async with running_bot(bot_api, data, clock) as app:
        u = UserChat(bot_api, app, clock)
        assert offer.message_id is not None
        u.press(UPLOAD, offer.message_id)
        shown = await u.api.wait_for("editMessageText", chat_id=u.chat_id)
        assert "peramban terbaru" in (shown.text or "")
        u.say("ini teks, bukan tombol")  # the same suggestions come back, not a new search
        again = await u.reply("Mungkin ini membantu")
        assert again.message_id is not None
        assert u.buttons(again.message_id)[0] == UPLOAD
        u.press(GO_ON, again.message_id)
        await u.reply("Tingkat urgensi")
