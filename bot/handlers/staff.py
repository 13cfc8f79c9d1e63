"""The LPSE staff group: commands, replies relayed to users, and the component's hooks.

Staff work every LPSE-side step of the SOP from the group (``STAFF_CHAT_ID``): commands here,
buttons in :mod:`bot.handlers.staff_buttons`, the ticket card in :mod:`bot.handlers.cards`.
Commands and buttons live in group -1 and stop further processing, so a staff command never
also reaches the user-side handlers; replies are relayed from group 0, after other components'
reply prompts had their turn.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Any

from telegram import Message, Update
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.domain.errors import IllegalTransition
from bot.domain.sop import OPEN, Action, Actor, State
from bot.domain.text_input import normalise
from bot.domain.ticket import Attachment, Ticket, normalise_number
from bot.guards import (
    Context,
    Handler,
    anonymous,
    is_admin,
    refuse,
    refuse_anonymous,
    services_of,
    staff_only,
)
from bot.handlers import withdrawal
from bot.handlers.announce import Announcer
from bot.handlers.cards import (
    CARDS_KEY,
    SOLVE_PROMPT,
    Cards,
    cards_of,
    confirmed_by_handler,
    reply_takes_first,
)
from bot.handlers.commands_menu import set_menus
from bot.handlers.errors import on_error
from bot.handlers.staff_buttons import (
    by_of,
    cannot_handle,
    explain_refusal,
    on_button,
)
from bot.notify import reply_html
from bot.outbox.component import sender_of
from bot.outbox.queue import CARD
from bot.services import Services
from bot.text import echo
from bot.workflow import By

log = logging.getLogger(__name__)

GROUP = -1
"""Handler group of commands and buttons: before the user side's, which never see them."""
REPLY_GROUP = 0
"""Replies come after other components' reply handlers in group -1 (the mail bridge's "which
ticket is this email about?" prompt), which stop the update when the reply is theirs."""
HOLIDAY_HORIZON_DAYS = 90
"""How far ahead ``/libur`` lists non-working days."""
MAX_HOLIDAY_NOTE = 200
"""Characters of a closure's note ("Cuti bersama Idul Fitri"): it is shown in every list."""


class Usage(Exception):
    """A command typed wrongly: the reply is the catalog message ``key``."""

    def __init__(self, key: str, **context: Any) -> None:
        self.key = key
        self.context = context
        super().__init__(key)


def _levels(services: Services) -> str:
    return "|".join(services.priorities.levels)


def _args(message: Message, count: int) -> list[str]:
    """The command's arguments, the last one keeping its own spaces and line breaks."""
    text = normalise(message.text or "")  # staff text is stored and mailed: no invisibles
    return text.split(maxsplit=count)[1:]


def _number(raw: str) -> str:
    number = normalise_number(raw)
    if number is None:
        raise Usage("staf_pakai.nomor_salah", teks=raw)
    return number


def command(name: str, handler: Handler) -> Handler:
    """Staff-only, with usage errors answered in place and no other group seeing the update."""

    @staff_only
    async def run(update: Update, context: Context) -> None:
        services = services_of(context)
        try:
            await handler(update, context)
        except IllegalTransition as exc:  # someone else was faster, or the state is wrong
            message = update.effective_message
            assert message is not None
            await reply_html(message, await explain_refusal(services, exc))
        except Usage as usage:
            message = update.effective_message
            assert message is not None
            # What the person typed is quoted back cut short (a 5,000-digit "number" too).
            echoed = {k: echo(v) if isinstance(v, str) else v for k, v in usage.context.items()}
            context_ = {"tingkat": _levels(services), **echoed}
            text = services.texts.msg(usage.key, **context_)
            if usage.key != f"staf_pakai.{name}":
                text += "\n" + services.texts.msg(f"staf_pakai.{name}", tingkat=_levels(services))
            await reply_html(message, text)
        raise ApplicationHandlerStop

    return run


# --- showing tickets ---------------------------------------------------------------------------
async def cmd_tiket(update: Update, context: Context) -> None:
    """/tiket <no>: everything about one ticket, for staff who were not there."""
    services = services_of(context)
    args = _args(update.effective_message, 1)  # type: ignore[arg-type]
    if not args:
        raise Usage("staf_pakai.tiket")
    ticket = await services.workflow.get(_number(args[0]))
    await cards_of(services).send_detail(ticket)


async def cmd_antrian(update: Update, context: Context) -> None:
    """/antrian: open tickets by state, who holds each, and what falls due next."""
    services = services_of(context)
    cards = cards_of(services)
    tickets = await services.workflow.store.open_tickets()
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
    with confirmed_by_handler():
        applied = await services.workflow.apply(
            number, action, Actor.STAFF, by, details, attachments
        )
    return applied.ticket


async def cmd_ambil(update: Update, context: Context) -> None:
    """/ambil <no>: take the ticket (before the SOP's step 1)."""
    services = services_of(context)
    message = update.effective_message
    assert message is not None
    args = _args(message, 1)
    if not args:
        raise Usage("staf_pakai.ambil")
    by = by_of(update)
    ticket = await _apply(services, _number(args[0]), Action.TAKE, by, {})
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
    take = reply_takes_first(await workflow.get(number))
    with confirmed_by_handler():
        async with workflow.transaction() as conn:
            if take:
                await workflow.apply_in(conn, number, Action.TAKE, Actor.STAFF, by)
            applied = await workflow.apply_in(
                conn, number, Action.REPLY_TO_USER, Actor.STAFF, by, {"text": text}, attachments
            )
    ticket = applied.ticket
    cards = cards_of(services)
    if await cards.messages.is_blocked(ticket.user_chat_id):
        await cards.refresh(ticket)  # the user side recorded the block after our card refresh
        return services.texts.msg("staf_info.pengguna_memblokir", nomor=number)
    return services.texts.msg("staf_info.balasan_terkirim", nomor=number)


async def cmd_balas(update: Update, context: Context) -> None:
    """/balas <no> <teks>: answer the user without looking for the card."""
    services = services_of(context)
    message = update.effective_message
    assert message is not None
    args = _args(message, 2)
    if len(args) < 2 or not args[1].strip():
        raise Usage("staf_pakai.balas")
    number = _number(args[0])
    await reply_html(message, await relay_to_user(services, number, by_of(update), args[1], []))


async def cmd_selesai(update: Update, context: Context) -> None:
    """/selesai <no> <catatan>: solved by LPSE (or with LKPP's guide, step 4)."""
    services = services_of(context)
    message = update.effective_message
    assert message is not None
    args = _args(message, 2)
    if len(args) < 2 or not args[1].strip():
        raise Usage("staf_pakai.selesai")
    by = by_of(update)
    ticket = await _apply(services, _number(args[0]), Action.SOLVE_LOCALLY, by, {"text": args[1]})
    await reply_html(
        message, services.texts.msg("staf_info.diselesaikan", nomor=ticket.number, nama=by.name)
    )


async def cmd_eskalasi(update: Update, context: Context) -> None:
    """/eskalasi <no>: cannot handle; step 1's 5-minute clock starts, the draft shows."""
    services = services_of(context)
    args = _args(update.effective_message, 1)  # type: ignore[arg-type]
    if not args:
        raise Usage("staf_pakai.eskalasi")
    await cannot_handle(cards_of(services), _number(args[0]), by_of(update))


async def cmd_prioritas(update: Update, context: Context) -> None:
    """/prioritas <no> <tingkat>: a level of the priority table (step 11)."""
    services = services_of(context)
    message = update.effective_message
    assert message is not None
    args = _args(message, 2)
    if len(args) < 2:
        raise Usage("staf_pakai.prioritas")
    number = _number(args[0])
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
    services = services_of(context)
    message = update.effective_message
    assert message is not None
    args = _args(message, 2)
    if len(args) < 2 or not args[1].strip():
        raise Usage("staf_pakai.catat")
    number = _number(args[0])
    await _apply(services, number, Action.NOTE, by_of(update), {"text": args[1]})
    await reply_html(message, services.texts.msg("staf_info.catatan_disimpan", nomor=number))


async def cmd_bantuan(update: Update, context: Context) -> None:
    """/bantuan: the staff commands."""
    services = services_of(context)
    html = services.texts.render(
        "staf_bantuan",
        menit=services.settings.escalate_minutes,
        tingkat=_levels(services),
        admin=is_admin(update, services),
    )
    await cards_of(services).direct.staff(html)


# --- /libur --------------------------------------------------------------------------------------
def _day(raw: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise Usage("staf_pakai.tanggal_salah", teks=raw) from None


async def cmd_libur(update: Update, context: Context) -> None:
    """/libur: upcoming closures; admins add, reopen or remove local days."""
    services = services_of(context)
    message = update.effective_message
    assert message is not None
    args = _args(message, 3)
    if not args:
        await _list_holidays(update, services)
        return
    if not is_admin(update, services):
        await refuse(update, services, "staf_tolak.bukan_admin")
        return
    verb = args[0].lower()
    if verb not in ("tambah", "buka", "hapus") or len(args) < 2:
        raise Usage("staf_pakai.libur")
    day = _day(args[1])
    note = args[2].strip() if len(args) > 2 else ""
    if len(note) > MAX_HOLIDAY_NOTE:
        raise Usage("staf_pakai.libur_terlalu_panjang", batas=MAX_HOLIDAY_NOTE)
    texts = services.texts
    by = by_of(update)
    store = services.workflow.store
    if verb == "hapus":
        async with services.db.transaction() as conn:
            removed = await store.delete_override(conn, day)
        key = "staf_info.libur_dihapus" if removed else "staf_info.libur_tidak_ada"
        reply = texts.msg(key, tanggal=texts.date(day))
    else:
        if not note:
            raise Usage("staf_pakai.libur")
        kind = "tutup" if verb == "tambah" else "buka"
        async with services.db.transaction() as conn:
            await store.set_override(conn, day, kind, note, by.id, services.clock())
        key = "staf_info.libur_ditambah" if kind == "tutup" else "staf_info.libur_dibuka"
        reply = texts.msg(key, tanggal=texts.date(day), keterangan=note)
    await services.reload_calendar()
    await reply_html(message, reply)


async def _list_holidays(update: Update, services: Services) -> None:
    today = services.clock().astimezone(services.settings.tz).date()
    until = today + timedelta(days=HOLIDAY_HORIZON_DAYS)
    days = [
        {
            "day": info.day,
            "working": info.working,
            "reason": info.reason,
            "catatan": services.calendar.openings.get(info.day, ""),
        }
        for info in services.calendar.non_working_days(today, until)
    ]
    html = services.texts.render(
        "staf_libur", dari=today, sampai=until, hari=days, admin=is_admin(update, services)
    )
    await cards_of(services).direct.staff(html)


# --- replies in the group ----------------------------------------------------------------------
def _attachments_of(message: Message) -> list[Attachment]:
    if message.photo:
        photo = message.photo[-1]
        name = f"foto_{message.message_id}.jpg"
        return [Attachment(None, 0, "staf", name, "image/jpeg", photo.file_size, photo.file_id)]
    if message.document:
        doc = message.document
        name = doc.file_name or f"dokumen_{message.message_id}"
        return [Attachment(None, 0, "staf", name, doc.mime_type, doc.file_size, doc.file_id)]
    return []


async def on_reply(update: Update, context: Context) -> None:
    """A reply to a ticket's message: a solution note for a Selesai prompt, else to the user."""
    services = services_of(context)
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
    ticket = await services.workflow.store.get_by_id(found[0])
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
    "libur": cmd_libur,
    "bantuan": cmd_bantuan,
}
#: Commands the user side also has in private chat: there they are the user's, not refused.
SHARED_WITH_PRIVATE = frozenset({"tiket", "bantuan"})


def register(application: Application[Any, Any, Any, Any, Any, Any], services: Services) -> None:
    """Add the staff handlers, the card hook and the one error handler."""
    cards = Cards(services, application.bot)
    services.extras[CARDS_KEY] = cards
    services.workflow.add_listener(cards.on_step)
    services.workflow.add_after_commit(cards.on_commit)
    services.workflow.add_listener(withdrawal.listener(cards))
    sender = sender_of(services)
    sender.add_kind(CARD, cards.send_card, cards.card_sent)
    announcer = Announcer(cards)
    sender.pickers[CARD] = announcer.pick
    sender.before_round.append(announcer.before_round)
    messages = filters.UpdateType.MESSAGE
    for name, handler in COMMANDS.items():
        where = messages & ~filters.ChatType.PRIVATE if name in SHARED_WITH_PRIVATE else messages
        application.add_handler(CommandHandler(name, command(name, handler), where), GROUP)
    application.add_handler(CallbackQueryHandler(on_button, pattern=r"^t:"), GROUP)
    relayed = filters.TEXT | filters.PHOTO | filters.Document.ALL
    application.add_handler(
        MessageHandler(
            filters.Chat(services.settings.staff_chat_id)
            & messages
            & filters.REPLY
            & relayed
            & ~filters.COMMAND,
            on_reply,
        ),
        REPLY_GROUP,
    )
    application.add_error_handler(on_error)


async def start(
    application: Application[Any, Any, Any, Any, Any, Any], services: Services
) -> None:
    """Set the command menus per scope, and post any card a Telegram outage left unposted."""
    await set_menus(application.bot, services.texts, services.settings.staff_chat_id)
    posted = await cards_of(services).post_missing()
    if posted:
        log.info("queued %d missing ticket card(s)", posted)
