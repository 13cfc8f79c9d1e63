"""The ``t:`` buttons on ticket cards, notices and escalation drafts in the staff group.

Every button goes through :meth:`Workflow.apply`, so a button and the matching command (or the
mail bridge's own button) are one transition. When two staff press the same button, or one
presses Kirim twice, the domain refuses the second (:class:`IllegalTransition`) and that person
is told who already did it.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar
from typing import TYPE_CHECKING

from markupsafe import Markup
from telegram import ForceReply, Message, ReplyParameters, Update
from telegram.ext import ApplicationHandlerStop

from bot.callbacks import TicketVerb, ticket_action, unpack
from bot.context import by_of
from bot.domain.errors import DomainError, IllegalTransition
from bot.domain.sop import TRANSITIONS_BY_ACTION, Action, Actor, State
from bot.domain.ticket import Ticket
from bot.guards import Context, staff_only
from bot.handlers.cards import PROMPT, SOLVE_PROMPT, Cards, cards_of, rows_of
from bot.handlers.withdrawal import tell_lkpp
from bot.mail import compose
from bot.notify import Keyboard
from bot.outbox.edits import edit_pressed
from bot.stale_buttons import answer_stale
from bot.workflow import By

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)

DRAFT_ROOM = 3000
"""Characters of the escalation draft shown; the email itself is never cut."""


#: Buttons that perform one transition directly, and the confirmation each shows.
ONE_STEP: dict[TicketVerb, tuple[Action, str]] = {
    TicketVerb.TAKE: (Action.TAKE, "staf_info.diambil"),
    TicketVerb.SEND_ESCALATION: (Action.ESCALATE, "staf_info.eskalasi_dikirim"),
    TicketVerb.CANCEL_ESCALATION: (Action.CANCEL_ESCALATION, "staf_info.eskalasi_dibatalkan"),
    TicketVerb.PASS_REQUEST: (Action.PASS_REQUEST_TO_USER, "staf_info.permintaan_diteruskan"),
    TicketVerb.FORWARD_DATA: (Action.FORWARD_DATA, "staf_info.data_diteruskan"),
    TicketVerb.PASS_SOLUTION: (Action.PASS_SOLUTION_TO_USER, "staf_info.solusi_diteruskan"),
}

DRAFT_VERBS = frozenset({TicketVerb.SEND_ESCALATION, TicketVerb.CANCEL_ESCALATION})


def plain(html: str) -> str:
    """Callback answers are plain text of at most 200 characters."""
    return Markup(html).striptags()[:200]


async def explain_refusal(services: Services, exc: IllegalTransition) -> str:
    """Why the step was refused, naming who already did it when that is the reason."""
    message = services.texts.error(exc)
    if exc.number is None:
        return message
    ticket = await services.tickets.get(exc.number)
    if ticket is None or ticket.id is None:
        return message
    transition = TRANSITIONS_BY_ACTION[exc.action]
    already = ticket.state not in transition.sources or exc.reason == "sudah_diambil"
    last = await services.tickets.last_event(ticket.id, (exc.action,)) if already else None
    if last is None and already:
        who = await services.workflow.who_did_last(exc.number)
        name = who.name if who else None
    else:
        name = last.actor_name if last else None
    if not name:
        return message
    return services.texts.msg("staf_info.sudah_oleh", nama=name, pesan=Markup(message))


# --- the escalation draft (SOP step 1) -------------------------------------------------------
async def draft_html(services: Services, ticket: Ticket) -> str:
    """The escalation email as it will go out, escaped inside ``<pre>`` and cut if very long."""
    try:
        preview = await compose.escalation_preview(services, ticket)
    except Exception:  # the mail bridge renders it again when sending; staff still decide
        log.exception("escalation preview of %s unavailable", ticket.number)
        preview = services.texts.plain_msg("staf_info.draf_tidak_tersedia")
    level = services.priorities.levels.get(ticket.priority)
    return services.texts.render(
        "staf_draf",
        t=ticket,
        draf=preview[:DRAFT_ROOM],
        terpotong=len(preview) > DRAFT_ROOM,
        prioritas=level.name if level else ticket.priority,
        menit=services.settings.escalate_minutes,
    )


def draft_buttons(cards: Cards, number: str) -> Keyboard:
    return [
        [(cards.label("kirim"), ticket_action(TicketVerb.SEND_ESCALATION, number))],
        [
            (cards.label("ubah_prio"), ticket_action(TicketVerb.PRIORITY, number)),
            (cards.label("batal"), ticket_action(TicketVerb.CANCEL_ESCALATION, number)),
        ],
    ]


def priority_buttons(services: Services, number: str) -> Keyboard:
    levels = services.priorities.levels.values()
    return rows_of(
        [(lvl.name, ticket_action(TicketVerb.PRIORITY, number, lvl.key)) for lvl in levels], 3
    )


async def show_draft(cards: Cards, ticket: Ticket) -> int:
    """Queue the draft with Kirim / Ubah prioritas / Batal under the ticket's card."""
    html = await draft_html(cards.services, ticket)
    return await cards.notifier.staff(
        html, draft_buttons(cards, ticket.number), ticket_id=ticket.id, reply_card=True
    )


async def cannot_handle(cards: Cards, number: str, by: By) -> int:
    """Record "cannot handle" (step 1's clock starts) and show the draft; once is enough."""
    ticket = await cards.services.workflow.get(number)
    if ticket.state is not State.CANNOT_HANDLE:
        applied = await cards.services.workflow.apply(
            number, Action.CANNOT_HANDLE, Actor.STAFF, by, confirmed_by_caller=True
        )
        ticket = applied.ticket
    return await show_draft(cards, ticket)


async def send_prompt(cards: Cards, ticket: Ticket, key: str, placeholder: str) -> Message:
    """A ForceReply message under the card, so the staff member's answer is a reply to it."""
    texts = cards.services.texts
    reply_to = await cards.card_message_id(ticket)
    return await cards.bot.send_message(
        cards.staff_chat,
        texts.msg(key, nomor=ticket.number),
        reply_markup=ForceReply(
            selective=True, input_field_placeholder=texts.plain_msg(placeholder)
        ),
        reply_parameters=ReplyParameters(reply_to, allow_sending_without_reply=True)
        if reply_to
        else None,
    )


# --- the handler ----------------------------------------------------------------------------
_after_answer: ContextVar[list[tuple[str | None, Keyboard | None]] | None] = ContextVar(
    "staff_press_edits", default=None
)
"""Edits a press asks for, queued once the press is answered (the answer comes first)."""


async def _edit(cards: Cards, update: Update, html: str | None, buttons: Keyboard | None) -> None:
    """Edit the pressed message (a draft, a notice, a picker) in place, through the outbox.

    ``html=None`` changes only its keyboard (a notice keeps its text: the user's data). Inside
    :func:`on_button` the edit is queued right after the press is answered.
    """
    pending = _after_answer.get()
    if pending is not None:
        pending.append((html, buttons))
        return
    query = update.callback_query
    assert query is not None
    await edit_pressed(cards.services, query, html, buttons)


async def _on_card(cards: Cards, update: Update, ticket: Ticket) -> bool:
    query = update.callback_query
    assert query is not None and query.message is not None
    return query.message.message_id == await cards.card_message_id(ticket)


@staff_only
async def on_button(update: Update, context: Context) -> None:
    """Handle ``t:<verb>:<number>[:<arg>]``; every press is answered exactly once."""
    query = update.callback_query
    assert query is not None
    services = context.services
    cards = cards_of(services)
    _, parts = unpack(query.data or "")
    try:
        verb, number, extra = TicketVerb(parts[0]), parts[1], parts[2:]
    except (IndexError, ValueError):  # a keyboard of an older version, or a forged press
        await answer_stale(update, context)
        raise ApplicationHandlerStop from None
    edits: list[tuple[str | None, Keyboard | None]] = []
    token = _after_answer.set(edits)
    try:
        answer = await _perform(cards, update, context, verb, number, extra)
    except IllegalTransition as exc:
        await query.answer(plain(await explain_refusal(services, exc)), show_alert=True)
    except DomainError as exc:
        await query.answer(plain(services.texts.error(exc)), show_alert=True)
    else:
        await query.answer(plain(answer) if answer else None)
    finally:
        _after_answer.reset(token)
    for html, buttons in edits:  # pending edits of one message collapse in the outbox
        await edit_pressed(services, query, html, buttons)
    raise ApplicationHandlerStop


async def _perform(
    cards: Cards, update: Update, context: Context, verb: TicketVerb, number: str, extra: list[str]
) -> str | None:
    """Do what the button says; returns the toast text for the presser."""
    services = cards.services
    texts = services.texts
    by = by_of(update)
    ticket = await services.workflow.get(number)
    if verb in ONE_STEP:
        action, key = ONE_STEP[verb]
        await services.workflow.apply(number, action, Actor.STAFF, by, confirmed_by_caller=True)
        answer = texts.msg(key, nomor=number, nama=by.name)
        if verb in DRAFT_VERBS and not await _on_card(cards, update, ticket):
            await _edit(cards, update, answer, None)  # the draft is settled: say how
        elif not await _on_card(cards, update, ticket):
            await _edit(cards, update, None, None)  # a notice keeps its text (the user's data)
        return answer
    if verb is TicketVerb.CANNOT_HANDLE:
        await cannot_handle(cards, number, by)
        return None
    if verb is TicketVerb.REPLY:
        message = await send_prompt(
            cards, ticket, "staf_info.minta_balasan", "staf_info.placeholder_balasan"
        )
        await cards.remember(message, ticket, PROMPT)
        return None
    if verb is TicketVerb.SOLVE:
        message = await send_prompt(
            cards, ticket, "staf_info.minta_catatan", "staf_info.placeholder_catatan"
        )
        await cards.remember(message, ticket, SOLVE_PROMPT)
        return None
    if verb is TicketVerb.PRIORITY:
        return await _priority(cards, update, ticket, by, extra)
    if verb is TicketVerb.TELL_LKPP:
        answer = await tell_lkpp(cards, number, by)
        await _edit(cards, update, answer, None)  # the draft is settled: say how
        return answer
    if verb is TicketVerb.DETAIL:
        await cards.send_detail(ticket)
        return None
    raise ValueError(f"unhandled staff verb {verb}")


async def _priority(
    cards: Cards, update: Update, ticket: Ticket, by: By, extra: list[str]
) -> str | None:
    """Without a level: offer the levels; with one: set it and redraw a draft it came from."""
    services = cards.services
    on_card = await _on_card(cards, update, ticket)
    if not extra:
        picker = priority_buttons(services, ticket.number)
        if on_card:
            await cards.notifier.staff(
                services.texts.msg("staf_info.pilih_prioritas", nomor=ticket.number),
                picker,
                ticket_id=ticket.id,
                reply_card=True,
            )
        else:
            await _edit(cards, update, None, picker)
        return None
    applied = await services.workflow.apply(
        ticket.number, Action.SET_PRIORITY, Actor.STAFF, by, {"priority": extra[0]},
        confirmed_by_caller=True,
    )  # fmt: skip
    name = cards.priority_name(applied.ticket.priority)
    answer = services.texts.msg("staf_info.prioritas_diubah", nomor=ticket.number, tingkat=name)
    if on_card:
        return answer
    if applied.ticket.state is State.CANNOT_HANDLE:
        html = await draft_html(services, applied.ticket)
        await _edit(cards, update, html, draft_buttons(cards, ticket.number))
    else:
        await _edit(cards, update, answer, None)
    return answer
