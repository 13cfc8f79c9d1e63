"""What users see of one of their tickets: /tiket <no> and its timeline.

The list (/tiket) and /bantuan, which a user may also ask for mid-report, are
:mod:`bot.conversations.anytime`.
"""

from __future__ import annotations

from telegram import Update

from bot.conversations.common import Context, answer
from bot.domain.sop import Action, State
from bot.domain.ticket import Ticket, normalise_number
from bot.handlers import user_notify, withdrawal
from bot.notify import Keyboard
from bot.services import Services
from bot.text import echo

#: Events a user sees on their ticket's timeline (internal notes and mail plumbing are not).
USER_TIMELINE = frozenset(
    {
        Action.REPORT, Action.TAKE, Action.REPLY_TO_USER, Action.USER_MESSAGE,
        Action.SOLVE_LOCALLY, Action.ESCALATE, Action.LKPP_GUIDE, Action.PASS_REQUEST_TO_USER,
        Action.USER_SENDS_DATA, Action.FORWARD_DATA, Action.LKPP_PROGRESS,
        Action.PASS_SOLUTION_TO_USER, Action.USER_CONFIRMS, Action.USER_REOPENS,
        Action.USER_CANCELS, Action.AUTO_CLOSE, Action.RATE,
    }
)  # fmt: skip
#: Of those, the ones whose text the user may read (their own words or what staff sent them).
_SHOWN_TEXT = frozenset(
    {
        Action.REPLY_TO_USER, Action.USER_MESSAGE, Action.SOLVE_LOCALLY,
        Action.PASS_REQUEST_TO_USER, Action.USER_SENDS_DATA, Action.PASS_SOLUTION_TO_USER,
    }
)  # fmt: skip


def _chat_id(update: Update) -> int:
    assert update.effective_chat is not None
    return update.effective_chat.id


async def own_ticket(services: Services, chat_id: int, number: str) -> Ticket | None:
    """The ticket if it is this user's; someone else's is "not found", never "forbidden"."""
    ticket = await services.tickets.get(number)
    return ticket if ticket is not None and ticket.user_chat_id == chat_id else None


async def show_ticket(update: Update, context: Context, raw: str) -> None:
    """/tiket <no>: one ticket with the timeline the user may see."""
    services = context.services
    texts = services.texts
    number = normalise_number(raw)
    if number is None:
        example = f"{services.settings.lpse_code.upper()}-{services.clock().year}-00001"
        msg = texts.msg("pengguna_umum.nomor_tidak_valid", nilai=echo(raw), contoh=example)
        await answer(update, context, msg)
        return
    ticket = await own_ticket(services, _chat_id(update), number)
    if ticket is None:
        await answer(
            update, context, texts.msg("pengguna_umum.tiket_tidak_ditemukan", nomor=number)
        )
        return
    assert ticket.id is not None
    timeline = []
    for event in await services.tickets.events(ticket.id):
        if event.action not in USER_TIMELINE:
            continue
        text = event.details.get("text") if event.action in _SHOWN_TEXT else None
        if event.action is Action.USER_REOPENS:
            text = event.details.get("reason")
        if event.action is Action.RATE:
            text = f"{event.details.get('rating')}/5"
        timeline.append(
            {
                "at": event.at,
                "label": texts.msg(f"pengguna_linimasa.{event.action.value}"),
                "text": text,
            }
        )
    html = texts.render("pengguna_detail_tiket", tiket=ticket, linimasa=timeline)
    await answer(update, context, html, _solved_buttons(services, ticket))


def _solved_buttons(services: Services, ticket: Ticket) -> Keyboard | None:
    """Selesai / Belum selesai on a solved ticket; "Batalkan laporan" on an open one."""
    if ticket.state is not State.SOLVED:
        return withdrawal.user_buttons(services, ticket)
    return user_notify.solved_buttons(services, ticket.number)
