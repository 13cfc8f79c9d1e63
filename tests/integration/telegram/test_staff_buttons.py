"""The ``t:`` buttons on cards, notices and drafts, through the real HTTP stack."""

from __future__ import annotations

from typing import Any

from bot.callbacks import TicketVerb, ticket_action
from bot.domain.sop import Action, Actor, State
from bot.handlers.cards import SOLVE_PROMPT, cards_of
from bot.outbox.component import sender_of
from bot.storage.mail import MailStore
from tests.support.botapi import ApiCall
from tests.support.telegram_app_fixtures import (  # noqa: F401 - fixtures
    OTHER_GROUP,
    OTHER_STAFF,
    OUTSIDER,
    STAFF_USER,
    StaffBot,
    bot_api_fixture,
    staff_bot_fixture,
)
from tests.support.tickets import STAFF, reported

STAFF_CHAT = -1001234567890


async def new_card(bot: StaffBot) -> tuple[str, int]:
    number = (await reported(bot.services)).ticket.number
    card = await bot.staff_message("Status:")
    assert card.message_id is not None
    return number, card.message_id


def press(bot: StaffBot, message_id: int, label: str, user: dict[str, Any] = STAFF_USER) -> None:
    bot.api.press_button(user, STAFF_CHAT, message_id, label)


async def answer(bot: StaffBot) -> ApiCall:
    return await bot.api.wait_for("answerCallbackQuery")


async def edited(bot: StaffBot, message_id: int) -> ApiCall:
    """The next edit of ``message_id`` in the group (press edits go through the outbox)."""
    return await bot.api.wait_for(
        lambda c: c.method.startswith("editMessage") and c.message_id == message_id,
        chat_id=STAFF_CHAT,
    )


async def actions(bot: StaffBot, number: str) -> list[Action]:
    ticket = await bot.services.workflow.get(number)
    assert ticket.id is not None
    return [e.action for e in await bot.services.workflow.store.events(ticket.id)]


async def test_ambil_takes_the_ticket_and_the_presser_is_told(staff_bot: StaffBot):
    number, card = await new_card(staff_bot)
    press(staff_bot, card, "🙋 Ambil")
    toast = await answer(staff_bot)
    assert toast.params["text"] == f"Tiket {number} diambil oleh Sari."
    edit = await staff_bot.api.wait_for("editMessageText", chat_id=STAFF_CHAT)
    assert edit.message_id == card
    assert "Sedang ditangani petugas LPSE" in (edit.text or "")
    assert (await staff_bot.services.workflow.get(number)).assignee_id == STAFF_USER["id"]


async def test_two_staff_pressing_ambil_at_once_take_it_once(staff_bot: StaffBot):
    number, card = await new_card(staff_bot)
    press(staff_bot, card, "🙋 Ambil", STAFF_USER)
    press(staff_bot, card, "🙋 Ambil", OTHER_STAFF)
    first, second = await answer(staff_bot), await answer(staff_bot)
    assert first.params["text"] == f"Tiket {number} diambil oleh Sari."
    assert second.params["show_alert"] is True
    assert "Sudah dilakukan oleh Sari" in second.params["text"]
    assert (await actions(staff_bot, number)).count(Action.TAKE) == 1
    assert (await staff_bot.services.workflow.get(number)).assignee_name == "Sari"


async def open_draft(bot: StaffBot) -> tuple[str, int, int]:
    number, card = await new_card(bot)
    press(bot, card, "⛔ Tidak dapat ditangani → Eskalasi")
    draft = await bot.staff_message("Draf email eskalasi")
    await answer(bot)
    assert draft.message_id is not None
    return number, card, draft.message_id


async def test_tidak_dapat_ditangani_starts_step_1_and_shows_the_draft(staff_bot: StaffBot):
    number, card, draft_id = await open_draft(staff_bot)
    draft = staff_bot.api.stored_message(STAFF_CHAT, draft_id)
    assert draft is not None
    assert draft.message["reply_to_message"]["message_id"] == card
    assert "Subjek:" in draft.message["text"]
    assert "Gagal unggah dokumen penawaran" in draft.message["text"]
    assert "<pre>" in (draft.raw_text or "")
    ticket = await staff_bot.services.workflow.get(number)
    assert ticket.state is State.CANNOT_HANDLE


async def test_kirim_escalates_once_even_when_pressed_twice(staff_bot: StaffBot):
    number, _, draft = await open_draft(staff_bot)
    press(staff_bot, draft, "📤 Kirim eskalasi", STAFF_USER)
    press(staff_bot, draft, "📤 Kirim eskalasi", OTHER_STAFF)
    first, second = await answer(staff_bot), await answer(staff_bot)
    assert "masuk antrean kirim" in first.params["text"]
    assert second.params["show_alert"] is True
    assert "Sudah dilakukan oleh Sari" in second.params["text"]
    assert (await actions(staff_bot, number)).count(Action.ESCALATE) == 1
    ticket = await staff_bot.services.workflow.get(number)
    assert ticket.state is State.ESCALATED
    assert ticket.id is not None
    outbox = await MailStore(staff_bot.services.db).outbox_for_ticket(ticket.id)
    assert len(outbox) == 1  # one email: the mail bridge queues it with the one transition
    await edited(staff_bot, draft)
    settled = staff_bot.api.message(STAFF_CHAT, draft)
    assert settled is not None
    assert "masuk antrean kirim" in settled["text"]
    assert "reply_markup" not in settled or not settled["reply_markup"].get("inline_keyboard")


async def test_ubah_prioritas_on_the_draft_sets_it_and_redraws_the_draft(staff_bot: StaffBot):
    number, _, draft = await open_draft(staff_bot)
    press(staff_bot, draft, "🎚 Ubah prioritas")
    await answer(staff_bot)
    await edited(staff_bot, draft)
    press(staff_bot, draft, "Tinggi")
    toast = await answer(staff_bot)
    await edited(staff_bot, draft)
    assert "diubah menjadi Tinggi" in toast.params["text"]
    assert (await staff_bot.services.workflow.get(number)).priority == "tinggi"
    redrawn = staff_bot.api.message(STAFF_CHAT, draft)
    assert redrawn is not None
    assert "Prioritas: Tinggi" in redrawn["text"]
    labels = [b["text"] for row in redrawn["reply_markup"]["inline_keyboard"] for b in row]
    assert labels == ["📤 Kirim eskalasi", "🎚 Ubah prioritas", "✖️ Batal eskalasi"]


async def test_batal_cancels_the_draft(staff_bot: StaffBot):
    number, _, draft = await open_draft(staff_bot)
    press(staff_bot, draft, "✖️ Batal eskalasi")
    toast = await answer(staff_bot)
    assert "dibatalkan" in toast.params["text"]
    assert (await staff_bot.services.workflow.get(number)).state is State.IN_PROGRESS
    await edited(staff_bot, draft)
    assert "dibatalkan" in staff_bot.api.message(STAFF_CHAT, draft)["text"]


async def test_balas_asks_for_a_reply_which_reaches_the_ticket(staff_bot: StaffBot):
    number, card = await new_card(staff_bot)
    await staff_bot.services.workflow.apply(number, Action.TAKE, Actor.STAFF, STAFF)
    press(staff_bot, card, "💬 Balas")
    prompt = await staff_bot.staff_message("Balas (reply) pesan ini untuk menjawab")
    assert prompt.params["reply_markup"]["force_reply"] is True
    staff_bot.command("Silakan unggah ulang <dokumen> & coba lagi", reply_to=prompt.message_id)
    await staff_bot.staff_message("diteruskan ke pelapor")
    ticket = await staff_bot.services.workflow.get(number)
    assert ticket.id is not None
    last = await staff_bot.services.workflow.store.last_event(ticket.id, (Action.REPLY_TO_USER,))
    assert last is not None
    assert last.details["text"] == "Silakan unggah ulang <dokumen> & coba lagi"


async def test_selesai_asks_for_the_note_and_solves(staff_bot: StaffBot):
    number, card = await new_card(staff_bot)
    press(staff_bot, card, "✅ Selesai")
    prompt = await staff_bot.staff_message("catatan penyelesaian")
    # The prompt is in the database, not in memory: a restart before the reply keeps it.
    cards = cards_of(staff_bot.services)
    await staff_bot.api.wait_idle()  # the prompt is recorded right after it was sent
    found = await cards.messages.lookup(STAFF_CHAT, prompt.message_id or 0)
    assert found is not None and found[1] == SOLVE_PROMPT
    staff_bot.command("Akun dibuka kembali", reply_to=prompt.message_id)
    await staff_bot.staff_message("ditandai selesai")
    ticket = await staff_bot.services.workflow.get(number)
    assert ticket.state is State.SOLVED
    assert Action.REPLY_TO_USER not in await actions(staff_bot, number)


async def test_prioritas_on_the_card_offers_the_levels(staff_bot: StaffBot):
    number, card = await new_card(staff_bot)
    press(staff_bot, card, "🎚 Prioritas")
    picker = await staff_bot.staff_message("Pilih prioritas")
    await answer(staff_bot)
    assert [b["text"] for b in picker.buttons] == ["Tinggi", "Menengah", "Rendah"]
    assert picker.message_id is not None
    press(staff_bot, picker.message_id, "Rendah")
    await answer(staff_bot)
    assert (await staff_bot.services.workflow.get(number)).priority == "rendah"
    await edited(staff_bot, picker.message_id)
    assert "diubah menjadi Rendah" in staff_bot.api.message(STAFF_CHAT, picker.message_id)["text"]


async def test_detail_posts_the_ticket_with_its_timeline(staff_bot: StaffBot):
    number, card = await new_card(staff_bot)
    press(staff_bot, card, "📄 Detail")
    detail = await staff_bot.staff_message("Riwayat:")
    assert number in (detail.text or "")
    await answer(staff_bot)


async def test_steps_7_9_and_13_from_card_and_notice(staff_bot: StaffBot):
    number, card = await new_card(staff_bot)
    wf = staff_bot.services.workflow
    await wf.apply(number, Action.TAKE, Actor.STAFF, STAFF)
    await wf.apply(number, Action.CANNOT_HANDLE, Actor.STAFF, STAFF)
    await wf.apply(number, Action.ESCALATE, Actor.STAFF, STAFF)
    await wf.apply(number, Action.LKPP_REQUEST_DATA, Actor.LKPP, details={"text": "Kirim log"})
    await sender_of(staff_bot.services).drain()  # the card's new buttons are shown
    press(staff_bot, card, "📨 Teruskan ke pengguna")
    assert "diteruskan ke pelapor" in (await answer(staff_bot)).params["text"]
    assert (await wf.get(number)).state is State.AWAITING_USER_DATA
    await wf.apply(number, Action.USER_SENDS_DATA, Actor.USER, details={"text": "log.txt"})
    notice = await staff_bot.staff_message("Pelapor mengirim data tambahan")
    assert notice.message_id is not None
    await sender_of(staff_bot.services).drain()  # the card's new buttons are shown
    press(staff_bot, notice.message_id, "📤 Teruskan ke LKPP")
    assert "diteruskan ke LKPP" in (await answer(staff_bot)).params["text"]
    assert (await wf.get(number)).state is State.ESCALATED
    kept = staff_bot.api.message(STAFF_CHAT, notice.message_id)
    assert kept is not None
    assert "log.txt" in kept["text"]
    await wf.apply(number, Action.LKPP_SOLVED, Actor.LKPP, details={"text": "Sudah diperbaiki"})
    await sender_of(staff_bot.services).drain()  # the card's new buttons are shown
    press(staff_bot, card, "📨 Teruskan solusi")
    assert "Solusi LKPP" in (await answer(staff_bot)).params["text"]
    assert (await wf.get(number)).state is State.SOLVED


async def test_a_button_outside_the_staff_group_is_refused(staff_bot: StaffBot):
    number, _ = await new_card(staff_bot)
    data = ticket_action(TicketVerb.TAKE, number)
    async with staff_bot.api.make_bot() as bot:
        from telegram import InlineKeyboardButton, InlineKeyboardMarkup

        markup = InlineKeyboardMarkup([[InlineKeyboardButton("Ambil", callback_data=data)]])
        sent = await bot.send_message(OTHER_GROUP, "kartu palsu", reply_markup=markup)
    staff_bot.api.callback(OUTSIDER, OTHER_GROUP, sent.message_id, data)
    refusal = await answer(staff_bot)
    assert refusal.params["show_alert"] is True
    assert "hanya untuk staf LPSE" in refusal.params["text"]
    assert (await staff_bot.services.workflow.get(number)).state is State.NEW


async def test_the_card_shows_the_running_step_1_deadline(staff_bot: StaffBot):
    _, card, _ = await open_draft(staff_bot)
    await staff_bot.api.wait_idle()
    text = staff_bot.api.message(STAFF_CHAT, card)["text"]
    assert "Tenggat berikutnya: Eskalasi: Selasa, 24 November 2026 09.05 WIB" in text
