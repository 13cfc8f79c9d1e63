"""/tiket in private chat: the user's own tickets and one ticket's user-facing timeline."""

from __future__ import annotations

from bot.domain.sop import Action, Actor
from tests.support.tickets import STAFF, reported
from tests.support.user_app_fixtures import (  # noqa: F401 - fixtures
    SITI,
    UserChat,
    bot_api_fixture,
    user_bot_fixture,
)


async def test_tiket_lists_own_tickets_with_state_in_words(user_bot: UserChat):
    services = user_bot.services
    first = (await reported(services, title="Akun <terkunci>")).ticket.number
    second = (await reported(services, title="Gagal unggah")).ticket.number
    await reported(services, title="Milik orang lain", user_chat_id=SITI["id"])
    await services.workflow.apply(second, Action.TAKE, Actor.STAFF, STAFF)
    user_bot.say("/tiket")
    listing = await user_bot.reply("Tiket Anda")
    text = listing.text or ""
    assert first in text and second in text
    assert "Akun <terkunci>" in text
    assert "Milik orang lain" not in text
    assert "Sedang ditangani petugas LPSE" in text
    assert "Baru, menunggu diambil petugas" in text
    assert listing.message_id is not None
    assert user_bot.buttons(listing.message_id) == [second, first]


async def test_tiket_number_shows_the_timeline_without_internal_notes(user_bot: UserChat):
    services = user_bot.services
    number = (await reported(services)).ticket.number
    wf = services.workflow
    await wf.apply(number, Action.TAKE, Actor.STAFF, STAFF)
    await wf.apply(number, Action.NOTE, Actor.STAFF, STAFF, details={"text": "RAHASIA internal"})
    await wf.apply(
        number, Action.REPLY_TO_USER, Actor.STAFF, STAFF, details={"text": "Coba <b>ulang</b>"}
    )
    await user_bot.reply("Balasan petugas")
    user_bot.say(f"/tiket {number.lower()}")
    detail = await user_bot.reply("Riwayat")
    text = detail.text or ""
    assert "Laporan dibuat" in text
    assert "Ditangani petugas LPSE" in text
    assert "Coba <b>ulang</b>" in text
    assert "RAHASIA" not in text
    assert "Catatan" not in text


async def test_someone_elses_number_is_not_found(user_bot: UserChat):
    other = (await reported(user_bot.services, user_chat_id=SITI["id"])).ticket.number
    user_bot.say(f"/tiket {other}")
    refused = await user_bot.reply("tidak ditemukan")
    assert other in (refused.text or "")
    user_bot.say("/tiket BTG-2026-99999")
    await user_bot.reply("Tiket BTG-2026-99999 tidak ditemukan")
    user_bot.say("/tiket <bukan-nomor>")
    invalid = await user_bot.reply("bukan nomor tiket")
    assert "&lt;bukan-nomor&gt;" in (invalid.params.get("text") or "")


async def test_no_tickets_and_the_menu_buttons(user_bot: UserChat):
    user_bot.say("/start")
    await user_bot.reply("Selamat datang")
    user_bot.press("📋 Tiket saya")
    await user_bot.reply("belum punya tiket")
    user_bot.press("❓ Bantuan")
    help_text = await user_bot.reply("Bantuan")
    assert "/lapor" in (help_text.text or "")
    user_bot.say("/bantuan")
    await user_bot.reply("/tiket")
