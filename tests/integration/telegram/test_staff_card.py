"""The ticket card in the staff group, through PTB's real HTTP stack and the local Bot API."""

from __future__ import annotations

from pathlib import Path

from bot.domain.sop import Action, Actor
from bot.domain.ticket import Attachment
from bot.outbox.component import sender_of
from bot.storage.telegram import MessageMap
from tests.support.botapi import BotApiServer
from tests.support.clock import FakeClock
from tests.support.telegram_app_fixtures import (  # noqa: F401 - fixtures
    StaffBot,
    bot_api_fixture,
    running_bot,
    staff_bot_fixture,
)
from tests.support.tickets import STAFF, USER_CHAT, reported

STAFF_CHAT = -1001234567890


async def post_card(bot: StaffBot, **overrides: object) -> tuple[str, int]:
    """Report a ticket and return its number and the card's message id."""
    number = (await reported(bot.services, **overrides)).ticket.number
    card = await bot.staff_message("Status:")
    assert number in (card.text or "")
    assert card.message_id is not None
    return number, card.message_id


def labels(api: BotApiServer, message_id: int) -> list[str]:
    message = api.message(STAFF_CHAT, message_id)
    assert message is not None
    return [b["text"] for row in message["reply_markup"]["inline_keyboard"] for b in row]


async def test_a_new_ticket_appears_as_one_card_with_its_summary_and_buttons(staff_bot: StaffBot):
    number, card_id = await post_card(staff_bot, error_code="ERR-500")
    text = staff_bot.api.message(STAFF_CHAT, card_id)["text"]
    for expected in (
        number,
        "Gagal unggah dokumen penawaran",
        "Permasalahan",
        "Penyedia",
        "SPSE 4.5",
        "12345678",
        "ERR-500",
        "Menengah",
        "budi@contoh.co.id",
        "Lampiran: 0",
        "Baru, menunggu diambil petugas",
        "belum diambil",
        "Selasa, 24 November 2026 09.00 WIB",
    ):
        assert expected in text
    assert labels(staff_bot.api, card_id) == [
        "🙋 Ambil",
        "💬 Balas",
        "✅ Selesai",
        "⛔ Tidak dapat ditangani → Eskalasi",
        "🎚 Prioritas",
        "📄 Detail",
    ]
    cards = [c for c in staff_bot.api.sent(STAFF_CHAT) if "Status:" in (c.text or "")]
    assert len(cards) == 1
    await sender_of(staff_bot.services).drain()  # the map is written once Telegram answered
    assert await MessageMap(staff_bot.services.db).card(1) == (STAFF_CHAT, card_id)


async def test_the_card_is_edited_in_place_as_the_ticket_moves(staff_bot: StaffBot):
    number, card_id = await post_card(staff_bot)
    await staff_bot.services.workflow.apply(number, Action.TAKE, Actor.STAFF, STAFF)
    edit = await staff_bot.api.wait_for("editMessageText", chat_id=STAFF_CHAT)
    assert edit.message_id == card_id
    text = staff_bot.api.message(STAFF_CHAT, card_id)["text"]
    assert "Sedang ditangani petugas LPSE" in text
    assert "Sari (staf)" in text
    assert "🙋 Ambil" not in labels(staff_bot.api, card_id)
    assert "💬 Balas" in labels(staff_bot.api, card_id)
    cards = [c for c in staff_bot.api.sent(STAFF_CHAT) if "Status:" in (c.text or "")]
    assert len(cards) == 1


async def test_user_text_with_html_markdown_and_emoji_arrives_intact(staff_bot: StaffBot):
    title = "<b>Gagal</b> & *unggah* _dok_ `x` [a](b) 😀"
    description = "Uraian <i>miring</i> & <script>alert(1)</script> **tebal** ~~coret~~ 🙏"
    _, card_id = await post_card(staff_bot, title=title, description=description)
    text = staff_bot.api.message(STAFF_CHAT, card_id)["text"]
    assert title in text
    assert description in text


async def test_a_4000_character_description_reaches_the_group_in_full(staff_bot: StaffBot):
    description = ("Baris uraian panjang & <tanda> 😀 " * 200)[:4000]
    _, card_id = await post_card(staff_bot, description=description)
    card_text = staff_bot.api.message(STAFF_CHAT, card_id)["text"]
    assert "Uraian lengkap dikirim di bawah kartu ini" in card_text
    full = await staff_bot.staff_message("uraian lengkap")
    await sender_of(staff_bot.services).drain()  # every part of it delivered
    await staff_bot.api.wait_idle()
    parts = [c for c in staff_bot.api.sent(STAFF_CHAT) if (c.message_id or 0) >= full.message_id]
    assert len(parts) >= 2
    assert all(len(p.text or "") <= 4096 for p in parts)
    joined = "".join("".join(p.text or "" for p in parts).split())
    assert "".join(description.split()) in joined
    first = staff_bot.api.stored_message(STAFF_CHAT, full.message_id or 0)
    assert first is not None
    assert first.message["reply_to_message"]["message_id"] == card_id


async def test_attachments_of_the_report_are_posted_under_the_card(staff_bot: StaffBot):
    api = staff_bot.api
    photo_id, _ = api.add_file(b"\x89PNG fake", "layar.png", kind="photo")
    doc_id, _ = api.add_file(b"%PDF-1.4", "bukti.pdf", "application/pdf")
    files = [
        Attachment(None, 0, "pengguna", "layar.png", "image/png", 9, photo_id),
        Attachment(None, 0, "pengguna", "bukti.pdf", "application/pdf", 8, doc_id),
    ]
    _, card_id = await post_card(staff_bot, attachments=files)
    photo = await api.wait_for("sendPhoto", chat_id=STAFF_CHAT)
    document = await api.wait_for("sendDocument", chat_id=STAFF_CHAT)
    assert photo.params["photo"] == photo_id
    assert document.params["document"] == doc_id
    assert "bukti.pdf" in (document.text or "")
    assert "Lampiran: 2" in api.message(STAFF_CHAT, card_id)["text"]
    await sender_of(staff_bot.services).drain()  # the map is written once Telegram answered
    messages = MessageMap(staff_bot.services.db)
    assert await messages.ticket_for(STAFF_CHAT, photo.message_id or 0) == 1
    assert await messages.ticket_for(STAFF_CHAT, document.message_id or 0) == 1


async def test_a_deleted_card_is_posted_again_and_remembered(staff_bot: StaffBot):
    number, card_id = await post_card(staff_bot)
    async with staff_bot.api.make_bot() as bot:
        await bot.delete_message(STAFF_CHAT, card_id)
    await staff_bot.services.workflow.apply(number, Action.TAKE, Actor.STAFF, STAFF)
    new_card = await staff_bot.staff_message("Status:")
    assert new_card.message_id != card_id
    await sender_of(staff_bot.services).drain()  # the send is recorded once it returns
    assert await MessageMap(staff_bot.services.db).card(1) == (STAFF_CHAT, new_card.message_id)


async def test_a_users_message_is_a_notice_under_the_card(staff_bot: StaffBot):
    number, card_id = await post_card(staff_bot)
    wf = staff_bot.services.workflow
    await wf.apply(number, Action.TAKE, Actor.STAFF, STAFF)
    await wf.apply(
        number, Action.USER_MESSAGE, Actor.USER, details={"text": "Masih <error> & gagal"}
    )
    notice = await staff_bot.staff_message("Pesan dari pelapor")
    assert "Masih <error> & gagal" in (notice.text or "")
    stored = staff_bot.api.stored_message(STAFF_CHAT, notice.message_id or 0)
    assert stored is not None
    assert stored.message["reply_to_message"]["message_id"] == card_id
    await sender_of(staff_bot.services).drain(10)  # the map is written once the send is marked
    assert await MessageMap(staff_bot.services.db).ticket_for(STAFF_CHAT, notice.message_id) == 1


async def walk_to_user_data(bot: StaffBot, number: str) -> None:
    wf = bot.services.workflow
    await wf.apply(number, Action.TAKE, Actor.STAFF, STAFF)
    await wf.apply(number, Action.CANNOT_HANDLE, Actor.STAFF, STAFF)
    await wf.apply(number, Action.ESCALATE, Actor.STAFF, STAFF)
    await wf.apply(number, Action.LKPP_REQUEST_DATA, Actor.LKPP)
    await wf.apply(number, Action.PASS_REQUEST_TO_USER, Actor.STAFF, STAFF)
    await wf.apply(
        number, Action.USER_SENDS_DATA, Actor.USER, details={"text": "NPWP: 01.234.567"}
    )


async def test_the_users_data_comes_with_a_forward_to_lkpp_button(staff_bot: StaffBot):
    number, card_id = await post_card(staff_bot)
    await walk_to_user_data(staff_bot, number)
    notice = await staff_bot.staff_message("Pelapor mengirim data tambahan")
    assert "NPWP: 01.234.567" in (notice.text or "")
    assert [b["text"] for b in notice.buttons] == ["📤 Teruskan ke LKPP"]
    assert "📤 Teruskan ke LKPP" in labels(staff_bot.api, card_id)


async def test_user_data_is_forwarded_automatically_when_configured(
    bot_api: BotApiServer, tmp_path: Path
):
    clock = FakeClock()
    async with running_bot(bot_api, tmp_path / "data", clock, auto_forward_user_data=True) as app:
        bot = StaffBot(bot_api, app, clock)
        number, _ = await post_card(bot)
        await walk_to_user_data(bot, number)
        notice = await bot.staff_message("Data tambahan diteruskan ke LKPP")
        assert "Sistem" in (notice.text or "")
        ticket = await bot.services.workflow.get(number)
        assert ticket.state.value == "eskalasi"
        data_notice = next(
            c for c in bot_api.sent(STAFF_CHAT) if "Pelapor mengirim data" in (c.text or "")
        )
        assert data_notice.buttons == []


async def test_a_user_who_blocked_the_bot_is_shown_on_the_card(staff_bot: StaffBot):
    number, card_id = await post_card(staff_bot)
    await MessageMap(staff_bot.services.db).mark_blocked(USER_CHAT, staff_bot.clock())
    await staff_bot.services.workflow.apply(number, Action.TAKE, Actor.STAFF, STAFF)
    await staff_bot.api.wait_for("editMessageText", chat_id=STAFF_CHAT)
    assert "Pengguna memblokir bot" in staff_bot.api.message(STAFF_CHAT, card_id)["text"]


async def test_files_of_a_users_message_follow_its_notice_once(staff_bot: StaffBot):
    api = staff_bot.api
    report_doc, _ = api.add_file(b"%PDF-1", "awal.pdf", "application/pdf")
    first = [Attachment(None, 0, "pengguna", "awal.pdf", "application/pdf", 6, report_doc)]
    number, _ = await post_card(staff_bot, attachments=first)
    await api.wait_for("sendDocument", chat_id=STAFF_CHAT)
    wf = staff_bot.services.workflow
    await wf.apply(number, Action.TAKE, Actor.STAFF, STAFF)
    later_doc, _ = api.add_file(b"%PDF-2", "log.pdf", "application/pdf")
    later = [Attachment(None, 0, "pengguna", "log.pdf", "application/pdf", 6, later_doc)]
    await wf.apply(
        number, Action.USER_MESSAGE, Actor.USER, details={"text": "Ini log"}, attachments=later
    )
    notice = await staff_bot.staff_message("Pesan dari pelapor")
    assert "Lampiran: 1" in (notice.text or "")
    await api.wait_idle()
    documents = [c.params["document"] for c in api.sent(STAFF_CHAT, "sendDocument")]
    assert documents == [report_doc, later_doc]
    under = api.stored_message(STAFF_CHAT, api.sent(STAFF_CHAT, "sendDocument")[-1].message_id)
    assert under is not None
    assert under.message["reply_to_message"]["message_id"] == notice.message_id


async def test_a_card_that_telegram_refused_is_queued_again_at_start(
    bot_api: BotApiServer, tmp_path: Path
):
    clock = FakeClock()
    async with running_bot(bot_api, tmp_path / "data", clock) as app:
        bot = StaffBot(bot_api, app, clock)
        # The user's confirmation and the card go out side by side: refuse both.
        bot_api.fail_next("sendMessage", 400, "Bad Request: simulated failure", count=2)
        number = (await reported(bot.services)).ticket.number
        await bot_api.wait_idle()
        assert not [c for c in bot_api.sent(STAFF_CHAT) if number in (c.text or "")]
    async with running_bot(bot_api, tmp_path / "data", clock) as app:
        bot = StaffBot(bot_api, app, clock)
        card = await bot.staff_message("Status:")
        assert number in (card.text or "")
        await sender_of(bot.services).drain()  # the map is written once Telegram answered
        assert await MessageMap(bot.services.db).card(1) == (STAFF_CHAT, card.message_id)
