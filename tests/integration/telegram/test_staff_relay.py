"""Staff replies in the group relayed to the ticket's user, through the real HTTP stack."""

from __future__ import annotations

from bot.domain.sop import Action, Actor
from bot.domain.ticket import Ticket
from bot.storage.tickets import Event
from tests.support.telegram_app_fixtures import (  # noqa: F401 - fixtures
    STAFF_USER,
    StaffBot,
    bot_api_fixture,
    staff_bot_fixture,
)
from tests.support.tickets import STAFF, USER_CHAT, reported

STAFF_CHAT = -1001234567890


async def taken_card(bot: StaffBot) -> tuple[str, int]:
    number = (await reported(bot.services)).ticket.number
    card = await bot.staff_message("Status:")
    await bot.services.workflow.apply(number, Action.TAKE, Actor.STAFF, STAFF)
    await bot.api.wait_idle()
    assert card.message_id is not None
    return number, card.message_id


async def last_reply(bot: StaffBot, number: str) -> tuple[Ticket, Event]:
    ticket = await bot.services.workflow.get(number)
    assert ticket.id is not None
    event = await bot.services.workflow.store.last_event(ticket.id, (Action.REPLY_TO_USER,))
    assert event is not None
    return ticket, event


async def test_a_text_reply_to_the_card_is_relayed(staff_bot: StaffBot):
    number, card = await taken_card(staff_bot)
    text = "Mohon <b>coba</b> lagi & kirim *tangkapan layar* 📸"
    staff_bot.command(text, reply_to=card)
    confirmation = await staff_bot.staff_message("diteruskan ke pelapor")
    assert number in (confirmation.text or "")
    _, event = await last_reply(staff_bot, number)
    assert event.details["text"] == text
    assert event.actor_id == STAFF_USER["id"]
    to_user = await staff_bot.api.wait_for(
        lambda c: c.method == "sendMessage" and text in (c.text or ""), chat_id=USER_CHAT
    )
    assert to_user.ok


async def test_a_photo_reply_to_a_notice_is_relayed_with_the_file(staff_bot: StaffBot):
    number, _ = await taken_card(staff_bot)
    await staff_bot.services.workflow.apply(
        number, Action.USER_MESSAGE, Actor.USER, details={"text": "Masih gagal"}
    )
    notice = await staff_bot.staff_message("Pesan dari pelapor")
    staff_bot.api.user_photo(
        STAFF_USER, b"\x89PNG layar", caption="Lihat ini", chat_id=STAFF_CHAT,
        reply_to=notice.message_id,
    )  # fmt: skip
    await staff_bot.staff_message("diteruskan ke pelapor")
    ticket, event = await last_reply(staff_bot, number)
    assert event.details["text"] == "Lihat ini"
    files = [a for a in ticket.attachments if a.source == "staf"]
    assert len(files) == 1
    assert files[0].mime_type == "image/jpeg"
    stored = staff_bot.api.file(files[0].telegram_file_id or "")
    assert stored is not None
    assert stored.content == b"\x89PNG layar"


async def test_a_document_reply_without_caption_is_relayed(staff_bot: StaffBot):
    number, card = await taken_card(staff_bot)
    staff_bot.api.user_document(
        STAFF_USER, b"%PDF panduan", file_name="panduan & langkah.pdf", chat_id=STAFF_CHAT,
        reply_to=card,
    )  # fmt: skip
    await staff_bot.staff_message("diteruskan ke pelapor")
    ticket, event = await last_reply(staff_bot, number)
    assert event.details["text"] == "(lampiran)"
    files = [a for a in ticket.attachments if a.source == "staf"]
    assert [f.file_name for f in files] == ["panduan & langkah.pdf"]
    assert files[0].mime_type == "application/pdf"


async def test_a_reply_to_an_unrelated_message_is_ordinary_chat(staff_bot: StaffBot):
    number, _ = await taken_card(staff_bot)
    staff_bot.command("Rapat jam 10")
    await staff_bot.api.wait_idle()
    chat = staff_bot.api.messages(STAFF_CHAT)[-1]
    staff_bot.command("Siap", reply_to=chat["message_id"])
    await staff_bot.api.wait_idle()
    ticket = await staff_bot.services.workflow.get(number)
    assert ticket.id is not None
    events = await staff_bot.services.workflow.store.events(ticket.id)
    assert Action.REPLY_TO_USER not in [e.action for e in events]
    assert not [c for c in staff_bot.api.sent(STAFF_CHAT) if "diteruskan" in (c.text or "")]


async def test_a_user_who_blocked_the_bot_is_reported_to_staff(staff_bot: StaffBot):
    number, card = await taken_card(staff_bot)
    staff_bot.api.block_chat(USER_CHAT)
    staff_bot.command("Sudah bisa dicoba", reply_to=card)
    # The reply is queued; the outbox finds the block when it sends, and notes it on the ticket.
    notice = await staff_bot.staff_message("Pelapor memblokir bot")
    assert number in (notice.text or "")
    await staff_bot.api.wait_idle()
    assert "Pengguna memblokir bot" in staff_bot.api.message(STAFF_CHAT, card)["text"]
    staff_bot.command("Coba lagi", reply_to=card)  # now known: said at once
    answer = await staff_bot.staff_message("pengguna memblokir bot")
    assert number in (answer.text or "")
