"""A user withdraws a sent report (``USER_CANCELS``), and staff tell LKPP when it was escalated.

The user's way: ``/tiket <no>`` on an open ticket has "Batalkan laporan"; the bot asks for the
reason, shows it back and asks once more ("Ya, batalkan"); only then is the step applied. The
ticket becomes Dibatalkan and every clock stops (the domain's transition says so); the card in
the staff group shows it and a notice carries the reason.

When the ticket had been escalated, LKPP is still working on it: staff get, under the card, the
short email that tells LKPP in the escalation's thread that the user withdrew, with "Kirim" —
the same draft-and-confirm way as the escalation itself. Nothing goes to LKPP until staff press
it (``TELL_LKPP_WITHDRAWN``, which queues the email in its transaction).

Callback data: ``u:tarik:<no>`` (start), ``u:tarik_ya:<no>`` (confirm), ``u:tarik_tidak:<no>``;
staff ``t:kabari:<no>`` (send the email).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from telegram import Update

from bot.callbacks import Prefix, TicketVerb, pack, ticket_action
from bot.context import by_of
from bot.conversations.common import Context, answer, drafts_of, drop_keyboard, label
from bot.domain.errors import IllegalTransition
from bot.domain.sop import OPEN, Action, Actor
from bot.domain.ticket import Ticket
from bot.handlers.cards import Cards
from bot.mail import compose
from bot.notify import Keyboard
from bot.storage.drafts import WITHDRAW
from bot.workflow import Applied, By

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)

ASK, CONFIRM, KEEP = "tarik", "tarik_ya", "tarik_tidak"
VERBS = frozenset({ASK, CONFIRM, KEEP})
MAX_REASON = 1000


def user_buttons(services: Services, ticket: Ticket) -> Keyboard | None:
    """ "Batalkan laporan" under an open ticket's details."""
    if ticket.state not in OPEN:
        return None
    return [
        [
            (
                label(services, "pengguna_tombol.batalkan_tiket"),
                pack(Prefix.USER, ASK, ticket.number),
            )
        ]
    ]


async def on_button(update: Update, context: Context, verb: str, ticket: Ticket) -> None:
    """The user's presses: ask for the reason, confirm, or keep the report."""
    query = update.callback_query
    assert query is not None and update.effective_chat is not None
    services = context.services
    texts = services.texts
    drafts = drafts_of(services)
    chat_id = update.effective_chat.id
    await drop_keyboard(query)
    if ticket.state not in OPEN:
        status = texts.plain_msg(f"status.{ticket.state.value}")
        msg = texts.plain_msg("pengguna_umum.tidak_berlaku", nomor=ticket.number, status=status)
        await query.answer(msg, show_alert=True)
        return
    if verb == ASK:
        await query.answer()
        await drafts.put(chat_id, WITHDRAW, {"number": ticket.number})
        await answer(
            update, context, texts.msg("pengguna_tarik.tanya_alasan", nomor=ticket.number)
        )
        return
    pending = await drafts.get(chat_id, WITHDRAW)
    await drafts.delete(chat_id, WITHDRAW)
    if verb == KEEP or pending is None or pending.get("number") != ticket.number:
        await query.answer(texts.plain_msg("pengguna_tarik.tidak_jadi", nomor=ticket.number))
        return
    by = by_of(update)
    try:
        await services.workflow.apply(
            ticket.number, Action.USER_CANCELS, Actor.USER, by, {"reason": pending["reason"]}
        )
    except IllegalTransition:  # moved on meanwhile (solved, cancelled from elsewhere)
        msg = texts.plain_msg("pengguna_tarik.gagal", nomor=ticket.number)
        await query.answer(msg, show_alert=True)
        return
    await query.answer(texts.plain_msg("pengguna_tarik.dibatalkan", nomor=ticket.number))


async def on_reason(update: Update, context: Context, pending: dict[str, str], text: str) -> None:
    """The reason typed after "Batalkan laporan": show it back with the one confirmation."""
    services = context.services
    texts = services.texts
    number = pending["number"]
    if len(text) > MAX_REASON:
        msg = texts.msg("pengguna_lapor.terlalu_panjang", panjang=len(text), batas=MAX_REASON)
        await answer(update, context, msg)
        return
    assert update.effective_chat is not None
    await drafts_of(services).put(
        update.effective_chat.id, WITHDRAW, {"number": number, "reason": text}
    )
    buttons = [
        [
            (label(services, "pengguna_tombol.ya_batalkan"), pack(Prefix.USER, CONFIRM, number)),
            (label(services, "pengguna_tombol.tidak_jadi"), pack(Prefix.USER, KEEP, number)),
        ]
    ]
    msg = texts.msg("pengguna_tarik.konfirmasi", nomor=number, alasan=text)
    await answer(update, context, msg, buttons)


# --- staff: the email to LKPP ------------------------------------------------------------------
def draft_preview(services: Services, ticket: Ticket, reason: str | None) -> str:
    draft = compose.withdrawal_draft(services, ticket, reason)
    return f"Subjek: {draft.subject}\n\n{draft.body}"


def listener(cards: Cards) -> Callable[[Applied], Awaitable[None]]:
    """The workflow listener that shows staff the LKPP draft once an escalated report is
    withdrawn: queued in the step's transaction, so the draft commits with the withdrawal."""

    async def on_step(applied: Applied) -> None:
        ticket = applied.ticket
        if applied.step.action is not Action.USER_CANCELS or ticket.escalated_at is None:
            return
        services = cards.services
        html = services.texts.render(
            "staf_draf_pembatalan",
            t=ticket,
            draf=draft_preview(services, ticket, applied.details.get("reason")),
        )
        buttons = [
            [
                (
                    cards.label(TicketVerb.TELL_LKPP),
                    ticket_action(TicketVerb.TELL_LKPP, ticket.number),
                )
            ]
        ]
        await cards.queue.staff(html, buttons, ticket_id=ticket.id, reply_card=True)

    return on_step


async def tell_lkpp(cards: Cards, number: str, by: By) -> str:
    """Kirim on the draft: queue the email (once), and say so."""
    services = cards.services
    texts = services.texts
    store = services.tickets
    ticket = await services.workflow.get(number)
    assert ticket.id is not None
    told = await store.last_event(ticket.id, (Action.TELL_LKPP_WITHDRAWN,))
    if told is not None:
        return texts.msg("staf_info.pembatalan_sudah_dikirim", nomor=number, nama=told.actor_name)
    cancelled = await store.last_event(ticket.id, (Action.USER_CANCELS,))
    reason = cancelled.details.get("reason") if cancelled else None
    await services.workflow.apply(
        number, Action.TELL_LKPP_WITHDRAWN, Actor.STAFF, by, {"reason": reason},
        confirmed_by_caller=True,
    )  # fmt: skip
    return texts.msg("staf_info.pembatalan_dikirim", nomor=number, nama=by.name)
