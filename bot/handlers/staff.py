"""The LPSE staff group: commands, replies relayed to users, and the component's hooks.

Staff work every LPSE-side step of the SOP from the group (``STAFF_CHAT_ID``): commands here
(each run by :func:`bot.handlers.staff_command.command`; ``/libur`` is
:mod:`bot.handlers.holidays`), buttons in :mod:`bot.handlers.staff_buttons`, the ticket card in
:mod:`bot.handlers.cards`.
Commands and buttons live in group -1 and stop further processing, so a staff command never
also reaches the user-side handlers; replies are relayed from group 0, after other components'
reply prompts had their turn.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Message, Update
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
)

from bot.context import by_of
from bot.conversations.common import NotAFile, attachment_from
from bot.domain.sop import OPEN, Action, Actor, State, reply_takes_first
from bot.domain.text_input import normalise
from bot.domain.ticket import Attachment, Ticket
from bot.guards import (
    Context,
    Handler,
    anonymous,
    is_admin,
    refuse_anonymous,
)
from bot.handlers import holidays, withdrawal
from bot.handlers.announce import Announcer
from bot.handlers.cards import (
    SOLVE_PROMPT,
    Cards,
    cards_of,
)
from bot.handlers.commands_menu import set_menus
from bot.handlers.staff_buttons import (
    cannot_handle,
)
from bot.handlers.staff_command import Usage, arguments, level_keys, ticket_number
from bot.notify import reply_html
from bot.outbox.component import sender_of
from bot.outbox.queue import CARD
from bot.services import Services
from bot.workflow import By

log = logging.getLogger(__name__)


# --- showing tickets ---------------------------------------------------------------------------
async def cmd_tiket(update: Update, context: Context) -> None:
    """/tiket <no>: everything about one ticket, for staff who were not there."""
    services = context.services
    args = arguments(update.effective_message, 1)  # type: ignore[arg-type]
    if not args:
        raise Usage("staf_pakai.tiket")
    ticket = await services.workflow.get(ticket_number(args[0]))
    await cards_of(services).send_detail(ticket)


async def cmd_antrian(update: Update, context: Context) -> None:
    """/antrian: open tickets by state, who holds each, and what falls due next."""
    services = context.services
    cards = cards_of(services)
    tickets = await services.tickets.open_tickets()
    groups = []
    for state in State:
        if state not in OPEN:
            continue
        rows = [
            {
                "t": t,
                "prioritas": cards.priority_name(t.priority),
                "tenggat": await cards.deadline_text(t),
            }
            for t in tickets
            if t.state is state
        ]
        if rows:
            groups.append({"status": cards.status(state), "tiket": rows})
    html = services.texts.render("staf_antrian", jumlah=len(tickets), kelompok_list=groups)
    await cards.direct.staff(html)


# --- steps -------------------------------------------------------------------------------------
async def _apply(
    services: Services,
    number: str,
    action: Action,
    by: By,
    details: dict[str, Any],
    attachments: list[Attachment] | None = None,
) -> Ticket:
    applied = await services.workflow.apply(
        number, action, Actor.STAFF, by, details, attachments, confirmed_by_caller=True
    )
    return applied.ticket


async def cmd_ambil(update: Update, context: Context) -> None:
    """/ambil <no>: take the ticket (before the SOP's step 1)."""
    services = context.services
    message = update.effective_message
    assert message is not None
    args = arguments(message, 1)
    if not args:
        raise Usage("staf_pakai.ambil")
    by = by_of(update)
    ticket = await _apply(services, ticket_number(args[0]), Action.TAKE, by, {})
    await reply_html(
        message, services.texts.msg("staf_info.diambil", nomor=ticket.number, nama=by.name)
    )


async def relay_to_user(
    services: Services, number: str, by: By, text: str, attachments: list[Attachment]
) -> str:
    """Apply REPLY_TO_USER (the user side's hook sends it); say whether the user blocked us.

    A reply to a report nobody holds yet takes it in the same transaction.
    """
    workflow = services.workflow
    take = reply_takes_first((await workflow.get(number)).facts)
    async with workflow.transaction():
        if take:
            await workflow.apply_in(number, Action.TAKE, Actor.STAFF, by, confirmed_by_caller=True)
        applied = await workflow.apply_in(
            number, Action.REPLY_TO_USER, Actor.STAFF, by, {"text": text}, attachments,
            confirmed_by_caller=True,
        )  # fmt: skip
    ticket = applied.ticket
    cards = cards_of(services)
    if await cards.messages.is_blocked(ticket.user_chat_id):
        await cards.refresh(ticket)  # the user side recorded the block after our card refresh
        return services.texts.msg("staf_info.pengguna_memblokir", nomor=number)
    return services.texts.msg("staf_info.balasan_terkirim", nomor=number)


async def cmd_balas(update: Update, context: Context) -> None:
    """/balas <no> <teks>: answer the user without looking for the card."""
    services = context.services
    message = update.effective_message
    assert message is not None
    args = arguments(message, 2)
    if len(args) < 2 or not args[1].strip():
        raise Usage("staf_pakai.balas")
    number = ticket_number(args[0])
    await reply_html(message, await relay_to_user(services, number, by_of(update), args[1], []))


async def cmd_selesai(update: Update, context: Context) -> None:
    """/selesai <no> <catatan>: solved by LPSE (or with LKPP's guide, step 4)."""
    services = context.services
    message = update.effective_message
    assert message is not None
    args = arguments(message, 2)
    if len(args) < 2 or not args[1].strip():
        raise Usage("staf_pakai.selesai")
    by = by_of(update)
    ticket = await _apply(
        services, ticket_number(args[0]), Action.SOLVE_LOCALLY, by, {"text": args[1]}
    )
    await reply_html(
        message, services.texts.msg("staf_info.diselesaikan", nomor=ticket.number, nama=by.name)
    )


async def cmd_eskalasi(update: Update, context: Context) -> None:
    """/eskalasi <no>: cannot handle; step 1's 5-minute clock starts, the draft shows."""
    services = context.services
    args = arguments(update.effective_message, 1)  # type: ignore[arg-type]
    if not args:
        raise Usage("staf_pakai.eskalasi")
    await cannot_handle(cards_of(services), ticket_number(args[0]), by_of(update))


async def cmd_prioritas(update: Update, context: Context) -> None:
    """/prioritas <no> <tingkat>: a level of the priority table (step 11)."""
    services = context.services
    message = update.effective_message
    assert message is not None
    args = arguments(message, 2)
    if len(args) < 2:
        raise Usage("staf_pakai.prioritas")
    number = ticket_number(args[0])
    try:
        level = services.priorities.level(args[1])
    except KeyError:
        raise Usage("staf_pakai.prioritas_salah", teks=args[1]) from None
    await _apply(services, number, Action.SET_PRIORITY, by_of(update), {"priority": level.key})
    await reply_html(
        message, services.texts.msg("staf_info.prioritas_diubah", nomor=number, tingkat=level.name)
    )


async def cmd_catat(update: Update, context: Context) -> None:
    """/catat <no> <teks>: an internal note, e.g. LKPP's phone confirmation (step 6)."""
    services = context.services
    message = update.effective_message
    assert message is not None
    args = arguments(message, 2)
    if len(args) < 2 or not args[1].strip():
        raise Usage("staf_pakai.catat")
    number = ticket_number(args[0])
    await _apply(services, number, Action.NOTE, by_of(update), {"text": args[1]})
    await reply_html(message, services.texts.msg("staf_info.catatan_disimpan", nomor=number))


async def cmd_bantuan(update: Update, context: Context) -> None:
    """/bantuan: the staff commands."""
    services = context.services
    html = services.texts.render(
        "staf_bantuan",
        menit=services.settings.escalate_minutes,
        tingkat=level_keys(services),
        admin=is_admin(update, services),
    )
    await cards_of(services).direct.staff(html)


# --- replies in the group ----------------------------------------------------------------------
def _attachments_of(message: Message) -> list[Attachment]:
    try:
        return [attachment_from(message, source="staf", max_bytes=None)]
    except NotAFile:
        return []


async def on_reply(update: Update, context: Context) -> None:
    """A reply to a ticket's message: a solution note for a Selesai prompt, else to the user."""
    services = context.services
    message = update.effective_message
    assert message is not None and message.reply_to_message is not None
    replied = message.reply_to_message.message_id
    text = normalise(message.text or message.caption or "")
    cards = cards_of(services)
    found = await cards.messages.lookup(message.chat_id, replied)
    if found is None:
        return  # ordinary conversation in the group
    if anonymous(update):
        await refuse_anonymous(update, services)
    ticket = await services.tickets.get_by_id(found[0])
    if ticket is None:
        return
    if found[1] == SOLVE_PROMPT:
        if not text:
            await reply_html(message, services.texts.msg("staf_pakai.selesai"))
            raise ApplicationHandlerStop
        by = by_of(update)
        await _apply(services, ticket.number, Action.SOLVE_LOCALLY, by, {"text": text})
        await reply_html(
            message,
            services.texts.msg("staf_info.diselesaikan", nomor=ticket.number, nama=by.name),
        )
        raise ApplicationHandlerStop
    text = text or services.texts.plain_msg("staf_info.lampiran_tanpa_teks")
    reply = await relay_to_user(
        services, ticket.number, by_of(update), text, _attachments_of(message)
    )
    await reply_html(message, reply)
    raise ApplicationHandlerStop


# --- the component -----------------------------------------------------------------------------
COMMANDS: dict[str, Handler] = {
    "antrian": cmd_antrian,
    "tiket": cmd_tiket,
    "ambil": cmd_ambil,
    "balas": cmd_balas,
    "selesai": cmd_selesai,
    "eskalasi": cmd_eskalasi,
    "prioritas": cmd_prioritas,
    "catat": cmd_catat,
    "libur": holidays.cmd_libur,
    "bantuan": cmd_bantuan,
}
#: Commands the user side also has in private chat: there they are the user's, not refused.
SHARED_WITH_PRIVATE = frozenset({"tiket", "bantuan"})


def install(application: Application[Any, Any, Any, Any, Any, Any], services: Services) -> None:
    """Create the cards in ``services`` and hook them into the workflow and the outbox."""
    cards = Cards(services, application.bot)
    services.cards = cards
    services.workflow.add_listener(cards.on_step)
    services.workflow.add_listener(withdrawal.listener(cards))
    sender = sender_of(services)
    sender.add_kind(CARD, cards.send_card, cards.card_sent)
    announcer = Announcer(cards)
    sender.pickers[CARD] = announcer.pick
    sender.before_round.append(announcer.before_round)


async def start(
    application: Application[Any, Any, Any, Any, Any, Any], services: Services
) -> None:
    """Set the command menus per scope, and post any card a Telegram outage left unposted."""
    await set_menus(application.bot, services.texts, services.settings.staff_chat_id)
    posted = await cards_of(services).post_missing()
    if posted:
        log.info("queued %d missing ticket card(s)", posted)
