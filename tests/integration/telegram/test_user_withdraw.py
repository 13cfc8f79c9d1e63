"""A user withdraws a sent report: reason, one confirmation, Dibatalkan, clocks stopped; when it
was escalated, staff get the LKPP notice as a draft and it is queued only when they press Kirim."""

from __future__ import annotations

from bot.deadlines.clocks import ClockState
from bot.domain.sop import Action, State
from bot.storage.deadlines import DeadlineStore
from tests.support.telegram_app_fixtures import STAFF_USER
from tests.support.tickets import escalated, reported
from tests.support.user_app_fixtures import (  # noqa: F401 - fixtures
    UserChat,
    bot_api_fixture,
    user_bot_fixture,
)

STAFF_CHAT = -1001234567890
WITHDRAW = "🚫 Batalkan laporan"


async def outbox_kinds(u: UserChat, ticket_id: int) -> list[str]:
    rows = await u.services.db.fetchall(
        "SELECT kind FROM mail_outbox WHERE ticket_id = ? ORDER BY id", (ticket_id,)
    )
    return [r["kind"] for r in rows]


async def withdraw(u: UserChat, number: str, reason: str) -> None:
    u.say(f"/tiket {number}")
    await u.with_button(WITHDRAW)
    u.press(WITHDRAW)
    await u.reply("Tuliskan alasannya")
    u.say(reason)
    confirm = await u.with_button("Ya, batalkan laporan")
    assert reason in (confirm.text or "")
    u.press("Ya, batalkan laporan")
    await u.reply(f"Tiket {number} dibatalkan")


async def test_an_open_ticket_is_withdrawn_with_a_reason(user_bot: UserChat):
    u = user_bot
    number = (await reported(u.services)).ticket.number
    await withdraw(u, number, "Sudah bisa unggah lagi")
    ticket = await u.services.workflow.get(number)
    assert ticket.state is State.CANCELLED
    assert ticket.id is not None
    event = await u.services.workflow.store.last_event(ticket.id, (Action.USER_CANCELS,))
    assert event is not None and event.details["reason"] == "Sudah bisa unggah lagi"
    card = await u.api.wait_for(
        lambda c: c.method == "editMessageText" and "Dibatalkan" in (c.text or ""),
        chat_id=STAFF_CHAT,
    )
    assert number in (card.text or "")
    notice = await u.api.wait_for(
        lambda c: "Sudah bisa unggah lagi" in (c.text or ""), chat_id=STAFF_CHAT
    )
    assert "Pelapor membatalkan laporan" in (notice.text or "")
    assert not [
        c for c in u.api.sent(STAFF_CHAT) if "Draf email ke Helpdesk LKPP" in (c.text or "")
    ]
    assert await outbox_kinds(u, ticket.id) == []


async def test_tidak_jadi_keeps_the_report(user_bot: UserChat):
    u = user_bot
    number = (await reported(u.services)).ticket.number
    u.say(f"/tiket {number}")
    await u.with_button(WITHDRAW)
    u.press(WITHDRAW)
    assert await u.answer_text() == ""
    await u.reply("Tuliskan alasannya")
    u.say("Salah kirim")
    await u.with_button("Tidak jadi")
    u.press("Tidak jadi")
    assert "tidak dibatalkan" in await u.answer_text()
    assert (await u.services.workflow.get(number)).state is State.NEW


async def test_an_escalated_ticket_withdrawn_stops_clocks_and_lkpp_is_told_on_kirim(
    user_bot: UserChat,
):
    u = user_bot
    number = await escalated(u.services)
    ticket = await u.services.workflow.get(number)
    assert ticket.id is not None
    assert await outbox_kinds(u, ticket.id) == ["eskalasi"]
    await withdraw(u, number, "Masalah teratasi setelah cache dibersihkan")
    clocks = await DeadlineStore(u.services.db).for_ticket(ticket.id)
    assert clocks and all(c.state is not ClockState.RUNNING for c in clocks)
    draft = await u.api.wait_for(
        lambda c: "Draf email ke Helpdesk LKPP" in (c.text or ""), chat_id=STAFF_CHAT
    )
    assert "cache dibersihkan" in (draft.text or "")
    assert await outbox_kinds(u, ticket.id) == ["eskalasi"]  # nothing without staff
    assert draft.message_id is not None
    u.api.press_button(STAFF_USER, STAFF_CHAT, draft.message_id, "📤 Kirim ke Helpdesk LKPP")
    await u.api.wait_for(
        lambda c: c.method == "editMessageText" and "Email pembatalan" in (c.text or ""),
        chat_id=STAFF_CHAT,
    )
    assert await outbox_kinds(u, ticket.id) == ["eskalasi", "batal"]
    row = await u.services.db.fetchone(
        "SELECT in_reply_to, subject, body FROM mail_outbox WHERE kind = 'batal'"
    )
    assert row["in_reply_to"]  # in the escalation's thread
    assert "dibatalkan pelapor" in row["subject"]
    assert "cache dibersihkan" in row["body"]
