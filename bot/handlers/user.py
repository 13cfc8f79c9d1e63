"""SPSE users in private chat: /start, /tiket, /batal, their buttons and free messages.

The /lapor conversation is :mod:`bot.conversations.report`; the step-8 collection is
:mod:`bot.conversations.additional_data`; what the bot tells users when their ticket moves is
:mod:`bot.handlers.user_notify`. This module answers everything a user does outside a report in
progress; :mod:`bot.registration` adds its handlers.

Callback data (prefix ``u``): ``u:menu:<lapor|tiket|bantuan>``, ``u:tiket:<no>`` (details),
``u:ok:<no>`` / ``u:belum:<no>`` (solved: confirm / reopen), ``u:nilai:<no>:<1-5>``,
``u:data:<no>`` (send the collected additional data), ``u:pilih:<no>`` (which ticket a free
message is about), ``u:l:…`` (the /lapor steps).
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.ext import (
    Application,
    filters,
)

from bot.callbacks import Prefix, pack, unpack
from bot.context import by_of
from bot.conversations import additional_data, report
from bot.conversations.anytime import show_help, show_tickets
from bot.conversations.common import (
    Context,
    FileTooLarge,
    NotAFile,
    answer,
    attachment_from,
    drafts_of,
    drop_keyboard,
    label,
    message_map,
)
from bot.domain.errors import IllegalTransition
from bot.domain.sop import FINAL, Action, Actor, State
from bot.domain.text_input import normalise
from bot.domain.ticket import Attachment, Ticket
from bot.handlers import kb_user, user_notify, withdrawal
from bot.handlers.user_tickets import own_ticket, show_ticket
from bot.services import Services
from bot.stale_buttons import answer_stale
from bot.storage.drafts import (
    MESSAGE,
    REASON,
    REPORT,
    WITHDRAW,
    attachment_from_json,
    attachment_to_json,
)

log = logging.getLogger(__name__)

PRIVATE = filters.ChatType.PRIVATE
NEW = PRIVATE & filters.UpdateType.MESSAGE
"""New messages in private: an edited one is never taken as a new command or message."""
EDITED = PRIVATE & filters.UpdateType.EDITED_MESSAGE
USER_MESSAGE_KIND = "pesan_pengguna"
"""MessageMap kind of a user's own message recorded on a ticket, so an edit of it finds it."""


def _chat_id(update: Update) -> int:
    assert update.effective_chat is not None
    return update.effective_chat.id


def _menu(services: Services) -> list[list[tuple[str, str]]]:
    return [
        [(label(services, "pengguna_tombol.lapor"), pack(Prefix.USER, "menu", "lapor"))],
        [
            (label(services, "pengguna_tombol.tiket"), pack(Prefix.USER, "menu", "tiket")),
            (label(services, "pengguna_tombol.bantuan"), pack(Prefix.USER, "menu", "bantuan")),
        ],
        [kb_user.menu_button(services)],
    ]


async def on_start(update: Update, context: Context) -> None:
    services = context.services
    user = update.effective_user
    html = services.texts.render(
        "pengguna_sambutan",
        nama=user.first_name if user else "",
        lpse=services.settings.lpse_name,
    )
    await answer(update, context, html, _menu(services))


async def on_tiket(update: Update, context: Context) -> None:
    args = context.args or []
    if args:
        await show_ticket(update, context, " ".join(args))
    else:
        await show_tickets(update, context)


async def on_cancel(update: Update, context: Context) -> None:
    """/batal outside a report: drop a pending reason, message choice or collected data.

    Collected step-8 data is emptied, not abandoned: LKPP's request still stands, so the
    user starts the answer again.
    """
    services = context.services
    drafts = drafts_of(services)
    chat_id = _chat_id(update)
    dropped = (
        await drafts.delete(chat_id, REASON)
        | await drafts.delete(chat_id, MESSAGE)
        | await drafts.delete(chat_id, WITHDRAW)
    )
    collecting = await additional_data.pending(services, chat_id)
    if collecting is not None and (collecting["texts"] or collecting["files"]):
        number = collecting["number"]
        await additional_data.start_collection(services, chat_id, number)
        msg = services.texts.msg("pengguna_data.dikosongkan", nomor=number)
        await answer(update, context, msg, additional_data.send_button(services, number))
        return
    key = "pengguna_umum.dibatalkan" if dropped else "pengguna_umum.tidak_ada_batal"
    await answer(update, context, services.texts.msg(key))


async def on_unknown_command(update: Update, context: Context) -> None:
    """A command the bot does not know, in private: point to the ones it does."""
    services = context.services
    await answer(update, context, services.texts.msg("pengguna_umum.perintah_tidak_dikenal"))


async def on_button(update: Update, context: Context) -> None:
    """Every ``u:`` button not taken by the /lapor conversation."""
    query = update.callback_query
    assert query is not None
    services = context.services
    texts = services.texts
    _, parts = unpack(query.data or "")
    verb, args = (parts[0] if parts else ""), parts[1:]
    chat_id = _chat_id(update)
    if verb == "menu":
        await query.answer()
        target = args[0] if args else ""
        if target == "tiket":
            await show_tickets(update, context)
        elif target == "bantuan":
            await show_help(update, context)
        else:  # "lapor" reaches here only while a report is already in progress
            await report.on_restart(update, context)
        return
    if verb == report.VERB:  # a /lapor button after the report was sent or cancelled
        await query.answer()
        await drop_keyboard(query)
        await answer(update, context, texts.msg("pengguna_lapor.sudah_terkirim"))
        return
    number = args[0] if args else ""
    if verb == "tiket":
        await query.answer()
        await show_ticket(update, context, number)
        return
    if verb == additional_data.SEND_VERB:
        note = await additional_data.submit(update, context, number)
        await query.answer(note or None, show_alert=bool(note))
        if not note:
            await drop_keyboard(query)
        return
    if verb not in ("ok", "belum", "nilai", "pilih", *withdrawal.VERBS):
        await answer_stale(update, context)
        return
    ticket = await own_ticket(services, chat_id, number)
    if ticket is None:
        await query.answer(texts.plain_msg("pengguna_umum.tiket_tidak_ditemukan", nomor=number))
        return
    if verb in withdrawal.VERBS:
        await withdrawal.on_button(update, context, verb, ticket)
    elif verb == "ok":
        await _confirm(update, context, ticket)
    elif verb == "belum":
        await _ask_reason(update, context, ticket)
    elif verb == "nilai":
        await _rate(update, context, ticket, args[1] if len(args) > 1 else "")
    else:
        await _file_message(update, context, ticket)


async def _already(update: Update, context: Context, ticket: Ticket, done: bool) -> None:
    """Second press of a button: polite, and the buttons go away."""
    query = update.callback_query
    assert query is not None
    texts = context.services.texts
    if done:
        await query.answer(texts.plain_msg("pengguna_umum.sudah_dicatat"), show_alert=True)
    else:
        status = texts.plain_msg(f"status.{ticket.state.value}")
        msg = texts.plain_msg("pengguna_umum.tidak_berlaku", nomor=ticket.number, status=status)
        await query.answer(msg, show_alert=True)
    await drop_keyboard(query)


async def _confirm(update: Update, context: Context, ticket: Ticket) -> None:
    query = update.callback_query
    assert query is not None
    services = context.services
    try:
        await services.workflow.apply(
            ticket.number, Action.USER_CONFIRMS, Actor.USER, by_of(update)
        )
    except IllegalTransition:
        await _already(update, context, ticket, done=ticket.state in FINAL)
        return
    await query.answer(services.texts.plain_msg("pengguna_selesai.pilihan_selesai"))
    await drop_keyboard(query)


async def _ask_reason(update: Update, context: Context, ticket: Ticket) -> None:
    query = update.callback_query
    assert query is not None
    services = context.services
    if ticket.state is not State.SOLVED:
        await _already(update, context, ticket, done=ticket.state in FINAL)
        return
    await drafts_of(services).put(_chat_id(update), REASON, {"number": ticket.number})
    await query.answer(services.texts.plain_msg("pengguna_selesai.pilihan_belum"))
    await drop_keyboard(query)
    await answer(
        update, context, services.texts.msg("pengguna_selesai.tanya_alasan", nomor=ticket.number)
    )


async def _rate(update: Update, context: Context, ticket: Ticket, raw: str) -> None:
    query = update.callback_query
    assert query is not None
    services = context.services
    if ticket.rating is not None:
        await _already(update, context, ticket, done=True)
        return
    try:
        rating = int(raw)
        await services.workflow.apply(
            ticket.number, Action.RATE, Actor.USER, by_of(update), details={"rating": rating}
        )
    except (ValueError, IllegalTransition):
        await _already(update, context, ticket, done=False)
        return
    await query.answer(services.texts.plain_msg("pengguna_selesai.pilihan_nilai", nilai=rating))
    await drop_keyboard(query)


async def _file_message(update: Update, context: Context, ticket: Ticket) -> None:
    """The user picked which ticket their waiting free message is about."""
    query = update.callback_query
    assert query is not None
    services = context.services
    pending = await drafts_of(services).get(_chat_id(update), MESSAGE)
    if pending is None:
        await query.answer(
            services.texts.plain_msg("pengguna_umum.pesan_kedaluwarsa"), show_alert=True
        )
        await drop_keyboard(query)
        return
    await query.answer()
    await drop_keyboard(query)
    files = [attachment_from_json(f) for f in pending["files"]]
    await _record_message(
        update, context, ticket, pending["text"], files, pending.get("message_id")
    )
    await drafts_of(services).delete(_chat_id(update), MESSAGE)


async def _record_message(
    update: Update,
    context: Context,
    ticket: Ticket,
    text: str,
    files: list[Attachment],
    message_id: int | None = None,
    *,
    edited: bool = False,
) -> None:
    """USER_MESSAGE on ``ticket``; the user's message is mapped to it so an edit finds it."""
    services = context.services
    texts = services.texts
    details: dict[str, Any] = {"text": text}
    if edited:
        details["diedit"] = True
    try:
        await services.workflow.apply(
            ticket.number,
            Action.USER_MESSAGE,
            Actor.USER,
            by_of(update),
            details=details,
            attachments=files,
        )
    except IllegalTransition:
        status = texts.msg(f"status.{ticket.state.value}")
        msg = texts.msg("pengguna_umum.tidak_berlaku", nomor=ticket.number, status=status)
        await answer(update, context, msg)
        return
    if message_id is not None and ticket.id is not None:
        await message_map(services).remember(
            _chat_id(update), message_id, ticket.id, USER_MESSAGE_KIND, services.clock()
        )
    key = "pengguna_umum.edit_diteruskan" if edited else "pengguna_umum.pesan_tercatat"
    await answer(update, context, texts.msg(key, nomor=ticket.number))


async def on_edited(update: Update, context: Context) -> None:
    """An edit of a message already passed to staff goes to them marked "diedit".

    Anything else edited (a command, an answer of a report already sent, step-8 data) is not
    taken again: the user is told to send a new message instead.
    """
    message = update.edited_message
    assert message is not None
    services = context.services
    chat_id = _chat_id(update)
    if await drafts_of(services).get(chat_id, REPORT) is not None:
        await report.on_edited(update, context)  # a report whose conversation state was lost
        return
    found = await message_map(services).lookup(chat_id, message.message_id)
    ticket = None
    if found is not None and found[1] == USER_MESSAGE_KIND:
        ticket = await services.tickets.get_by_id(found[0])
    text = normalise(message.text or message.caption or "")
    if ticket is None or ticket.state in FINAL or not text:
        await answer(update, context, services.texts.msg("pengguna_umum.edit_tidak_diteruskan"))
        return
    await _record_message(update, context, ticket, text, [], edited=True)


async def on_message(update: Update, context: Context) -> None:
    """A user's message outside /lapor: a reopen reason, step-8 data, or a note to staff."""
    message = update.effective_message
    assert message is not None
    services = context.services
    texts = services.texts
    drafts = drafts_of(services)
    chat_id = _chat_id(update)
    withdrawing = await drafts.get(chat_id, WITHDRAW)
    if withdrawing is not None and "reason" not in withdrawing and normalise(message.text or ""):
        await withdrawal.on_reason(update, context, withdrawing, normalise(message.text or ""))
        return
    reason = await drafts.get(chat_id, REASON)
    if reason is not None and normalise(message.text or ""):
        await _reopen(update, context, reason["number"], normalise(message.text or ""))
        return
    if await drafts.get(chat_id, REPORT) is not None:
        # A draft without an active conversation: its state was lost (a crash before PTB
        # wrote it). Offer to resume; "Lanjutkan" re-enters the conversation at the draft's step.
        await report.on_restart(update, context)
        return
    collecting = await additional_data.pending(services, chat_id)
    if collecting is not None:
        await additional_data.collect(update, context, collecting)
        return
    text = normalise(message.text or message.caption or "")
    files: list[Attachment] = []
    if not message.text:
        try:
            files.append(attachment_from(message))
        except (FileTooLarge, NotAFile):
            await answer(update, context, texts.msg("pengguna_umum.jenis_tidak_didukung"))
            return
    text = text or texts.plain_msg("pengguna_data.tanpa_teks")
    tickets = [t for t in await services.tickets.for_user(chat_id) if t.state not in FINAL]
    replied = message.reply_to_message
    if replied is not None:
        ticket_id = await message_map(services).ticket_for(chat_id, replied.message_id)
        chosen = [t for t in tickets if t.id == ticket_id]
        if chosen:
            tickets = chosen
    if not tickets:
        await answer(update, context, texts.msg("pengguna_umum.pesan_tanpa_tiket"))
        return
    if len(tickets) == 1:
        await _record_message(update, context, tickets[0], text, files, message.message_id)
        return
    pending = {"text": text, "files": [attachment_to_json(f) for f in files]}
    await drafts.put(chat_id, MESSAGE, {**pending, "message_id": message.message_id})
    buttons = [
        [(f"{t.number} – {t.title}"[:60], pack(Prefix.USER, "pilih", t.number))]
        for t in tickets[:8]
    ]
    await answer(update, context, texts.msg("pengguna_umum.pilih_tiket"), buttons)


async def _reopen(update: Update, context: Context, number: str, reason: str) -> None:
    services = context.services
    await drafts_of(services).delete(_chat_id(update), REASON)
    try:
        await services.workflow.apply(
            number, Action.USER_REOPENS, Actor.USER, by_of(update), details={"reason": reason}
        )
    except IllegalTransition as exc:
        status = services.texts.msg(f"status.{exc.state.value}") if exc.state else "-"
        msg = services.texts.msg("pengguna_umum.tidak_berlaku", nomor=number, status=status)
        await answer(update, context, msg)


async def on_any_private(update: Update, context: Context) -> None:
    """A user who writes again has unblocked the bot: staff should know they are reachable."""
    services = context.services
    chat_id = _chat_id(update)
    messages = message_map(services)
    if await messages.is_blocked(chat_id):
        await messages.unmark_blocked(chat_id)
        log.info("chat %s writes again: no longer marked as blocked", chat_id)


def install(application: Application[Any, Any, Any, Any, Any, Any], services: Services) -> None:
    """Create the drafts and the notify hook in ``services``."""
    drafts_of(services)
    user_notify.install(application, services)
