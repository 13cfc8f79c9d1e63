"""Asking the ``/lapor`` questions, and what every state's handlers share.

:func:`prompt` asks the question of the draft's step (a step of
:mod:`bot.conversations.report_steps`, the summary or the edit menu); :func:`advance` stores an
answer's draft and asks the next question; :func:`submit` turns the draft into a ticket. The
handlers of the states are :mod:`bot.conversations.report_answers`, wired in
:mod:`bot.conversations.report`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from dataclasses import replace
from typing import Any

from telegram import Update
from telegram.ext import ConversationHandler

from bot.callbacks import unpack
from bot.context import by_of
from bot.conversations import kb_suggest
from bot.conversations.common import Context, answer, drafts_of, label
from bot.conversations.report_draft import ReportDraft, load, save
from bot.conversations.report_steps import (
    EDIT,
    EDITABLE,
    STEP_BY_NAME,
    SUGGEST,
    SUMMARY,
    data,
    next_step,
)
from bot.domain.errors import DomainError
from bot.domain.ticket import MAX_TITLE, MIN_TITLE_VISIBLE, Contact, TicketType, UserRole
from bot.notify import Keyboard, split_html
from bot.services import Services
from bot.storage.drafts import REPORT
from bot.text import echo
from bot.workflow import NewTicket

log = logging.getLogger(__name__)


State = str | int
"""What a handler returns: the next step's name, or ``ConversationHandler.END``."""
AtStep = Callable[[Update, Context, ReportDraft], Coroutine[Any, Any, State]]
"""A handler of one state, given the chat's draft (whose step is that state)."""


def priority_of(services: Services, draft: ReportDraft) -> str:
    if draft.urgensi is None or draft.dampak is None:
        raise KeyError("urgensi" if draft.urgensi is None else "dampak")
    return services.priorities.classify(draft.urgensi, draft.dampak).key


def step_name(services: Services, step: str) -> str:
    return services.texts.plain_msg(f"pengguna_kolom.{step}")


def chat_id_of(update: Update) -> int:
    assert update.effective_chat is not None
    return update.effective_chat.id


def button_arg(update: Update) -> tuple[str, str]:
    """(step, argument) of a report button's callback data."""
    assert update.callback_query is not None
    _, parts = unpack(update.callback_query.data or "")
    step, arg = [*parts, "", ""][1:3]
    return step, arg


async def save_draft(update: Update, context: Context, draft: ReportDraft) -> None:
    await save(context.services, chat_id_of(update), draft)


# --- asking ------------------------------------------------------------------------------------
async def prompt(update: Update, context: Context, draft: ReportDraft) -> str:
    """Ask the question of the draft's current step; returns the step (the new state)."""
    if draft.step == SUGGEST:  # "Mungkin ini membantu": its own module
        return await kb_suggest.prompt(update, context, draft, advance)
    if draft.step == SUMMARY:
        return await _ask_summary(update, context, draft)
    if draft.step == EDIT:
        return await _ask_edit(update, context)
    services = context.services
    step = STEP_BY_NAME[draft.step]
    html = services.texts.msg(step.question, batas=MAX_TITLE, minimal=MIN_TITLE_VISIBLE)
    buttons: list[list[tuple[str, str]]] = []
    if step.options is not None:
        options = step.options(services)
        buttons = [[(text, data(step.name, index))] for index, (_, text) in enumerate(options)]
    if step.optional:
        buttons.append([(label(services, "pengguna_tombol.lewati"), data(step.name, "lewati"))])
    if step.button is not None:
        buttons.append([(label(services, step.button[0]), data(step.name, step.button[1]))])
    user = update.effective_user
    if step.offers_telegram_name and user is not None and user.full_name:
        name = label(services, "pengguna_tombol.pakai_nama", nama=echo(user.full_name, 40))
        buttons.append([(name, data(step.name, "tg"))])
    await answer(update, context, html, buttons or None)
    return step.name


async def _ask_summary(update: Update, context: Context, draft: ReportDraft) -> str:
    """The summary with Kirim/Ubah/Batal under it, or, when it needs several messages, the
    buttons in a short message of their own after the last part, so they are not lost on a
    phone under one part of many."""
    services = context.services
    level = services.priorities.level(priority_of(services, draft))
    html = services.texts.render("pengguna_ringkasan", d=draft, prioritas=level.name)
    buttons: Keyboard = [
        [
            (label(services, f"pengguna_tombol.{verb}"), data(SUMMARY, verb))
            for verb in ("kirim", "ubah", "batal")
        ]
    ]
    if len(split_html(html)) == 1:
        await answer(update, context, html, buttons)
    else:
        await answer(update, context, html)
        msg = services.texts.msg("pengguna_lapor.ringkasan_lengkap")
        await answer(update, context, msg, buttons)
    return SUMMARY


async def _ask_edit(update: Update, context: Context) -> str:
    services = context.services
    fields = [(step_name(services, f), data(EDIT, f)) for f in EDITABLE]
    buttons = [fields[i : i + 2] for i in range(0, len(fields), 2)]
    buttons.append([(label(services, "pengguna_tombol.kembali"), data(EDIT, "kembali"))])
    await answer(update, context, services.texts.msg("pengguna_tanya.ubah"), buttons)
    return EDIT


async def advance(update: Update, context: Context, draft: ReportDraft, step: str) -> str:
    draft.step = next_step(draft, step)
    await save_draft(update, context, draft)
    return await prompt(update, context, draft)


async def load_draft(update: Update, context: Context) -> ReportDraft | None:
    return await load(context.services, chat_id_of(update))


async def cancel(update: Update, context: Context) -> int:
    services = context.services
    await drafts_of(services).delete(chat_id_of(update), REPORT)
    await answer(update, context, services.texts.msg("pengguna_lapor.dibatalkan"))
    return ConversationHandler.END


async def gone(update: Update, context: Context) -> int:
    """The conversation outlived its draft (sent or cancelled elsewhere): end it politely."""
    await answer(update, context, context.services.texts.msg("pengguna_lapor.sudah_terkirim"))
    return ConversationHandler.END


# --- sending -------------------------------------------------------------------------------------
def _required(value: str | None, name: str) -> str:
    if value is None:
        raise KeyError(name)
    return value


async def submit(update: Update, context: Context, draft: ReportDraft) -> State:
    """Kirim: the ticket is created; the notify hook tells the user its number."""
    services = context.services
    chat_id = chat_id_of(update)
    description = draft.deskripsi
    if draft.keterangan_lampiran:
        description += "\n\n" + "\n".join(draft.keterangan_lampiran)
    try:
        new = NewTicket(
            type=TicketType(_required(draft.jenis, "jenis")),
            role=UserRole(_required(draft.peran, "peran")),
            application=_required(draft.aplikasi, "aplikasi"),
            title=_required(draft.judul, "judul"),
            description=description,
            contact=Contact(
                _required(draft.nama, "nama"), _required(draft.email, "email"), draft.telepon
            ),
            user_chat_id=chat_id,
            package_code=draft.kode_paket,
            error_code=draft.kode_error,
            priority=priority_of(services, draft),
            attachments=[replace(a) for a in draft.lampiran],  # the report fills in their ids
        )
        drafts = drafts_of(services)

        async def forget_draft() -> None:
            await drafts.delete_in(chat_id, REPORT)

        await services.workflow.report(new, by_of(update), forget_draft)
    except (DomainError, KeyError, ValueError) as exc:
        log.warning("report of chat %s refused: %r", chat_id, exc)
        reason = services.texts.error(exc) if isinstance(exc, DomainError) else str(exc)
        await answer(
            update, context, services.texts.msg("pengguna_lapor.gagal_kirim", alasan=reason)
        )
        return await prompt(update, context, draft)
    return ConversationHandler.END
