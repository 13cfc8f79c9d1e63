"""``/lapor``: the report a user builds step by step before it becomes a ticket.

A ConversationHandler as in python-telegram-bot's ``conversationbot.py`` example: each state (a
step of :mod:`bot.conversations.report_steps`) has its own handlers, and each handler returns the
next state. Every answer is written to the draft (:mod:`bot.conversations.report_draft`) at
once, and the draft names its current step; the state (persisted by
:mod:`bot.conversations.persistence`) is that same step name. Should the state lag behind the
draft (a crash between writing the draft and writing the state), the draft wins: the update
goes to the handlers of the draft's step.

Besides its own answer, every state takes the rest too, so a button from an older question, a
photo where text is expected or a command in the middle all get an answer that says where the
report stands, and the user always has a way forward: answer, "Lanjutkan", or /batal.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.conversations.anytime import show_help, show_tickets
from bot.conversations.common import Context, answer, drop_keyboard, label
from bot.conversations.report_answers import (
    on_answer,
    on_choice,
    on_description,
    on_description_done,
    on_edit_choice,
    on_file,
    on_files_done,
    on_other_argument,
    on_session,
    on_skip,
    on_stale_button,
    on_suggestion,
    on_summary,
    on_telegram_name,
    wrong,
)
from bot.conversations.report_ask import (
    AtStep,
    State,
    cancel,
    gone,
    load_draft,
    prompt,
    save_draft,
    step_name,
)
from bot.conversations.report_draft import ReportDraft
from bot.conversations.report_steps import (
    EDIT,
    ORDER,
    PREFIX,
    SESSION,
    STEP_BY_NAME,
    STEPS,
    SUGGEST,
    SUMMARY,
    VERB,
    WRONG_INPUT,
    Kind,
    Step,
    data,
)
from bot.notify import Keyboard
from bot.services import Services

NAME = "lapor"
"""The ConversationHandler's name: its key in the persistence table."""

Callback = Callable[[Update, Context], Coroutine[Any, Any, State]]


async def start(update: Update, context: Context) -> str:
    """/lapor or the menu's "Lapor masalah": a fresh draft at the first step."""
    services = context.services
    if update.callback_query is not None:
        await update.callback_query.answer()
    draft = ReportDraft(step=ORDER[0])
    await save_draft(update, context, draft)
    await answer(update, context, services.texts.msg("pengguna_lapor.mulai"))
    return await prompt(update, context, draft)


async def _no_draft(update: Update, context: Context) -> int:
    query = update.callback_query
    if query is not None:
        await query.answer()
        await drop_keyboard(query)
    return await gone(update, context)


def _at(step: str, handler: AtStep) -> Callback:
    """``handler`` as a callback of state ``step``: with the draft, and only at that step."""

    async def callback(update: Update, context: Context) -> State:
        draft = await load_draft(update, context)
        if draft is None:
            return await _no_draft(update, context)
        if draft.step != step:
            return await _resync(update, context, draft)
        return await handler(update, context, draft)

    callback.__qualname__ = f"{handler.__name__}@{step}"
    return callback


async def _resync(update: Update, context: Context, draft: ReportDraft) -> State:
    """The handlers of the draft's step take the update (PTB's state was lost or lags)."""
    for handler in _STATES.get(draft.step, ()):
        check = handler.check_update(update)
        if check is not None and check is not False:
            return await handler.callback(update, context)
    return draft.step


async def on_resume(update: Update, context: Context) -> State:
    """A report button while no conversation is active: the report resumes from its draft."""
    draft = await load_draft(update, context)
    if draft is None:
        return await _no_draft(update, context)
    return await _resync(update, context, draft)


async def on_edited(update: Update, context: Context) -> State:
    """An edited earlier message is never an answer; say so once per report, and how to change.

    Answers already given are in the draft; the summary's "Ubah" changes any of them.
    """
    draft = await load_draft(update, context)
    if draft is None:
        return await gone(update, context)
    if not draft.edit_diberitahu:
        draft.edit_diberitahu = True
        services = context.services
        await save_draft(update, context, draft)
        msg = services.texts.msg(
            "pengguna_lapor.edit_tidak_mengubah", langkah=step_name(services, draft.step)
        )
        await answer(update, context, msg)
    return draft.step


# --- commands in the middle ----------------------------------------------------------------------
def session_buttons(services: Services) -> Keyboard:
    return [
        [
            (label(services, "pengguna_tombol.lanjutkan"), data(SESSION, "lanjut")),
            (label(services, "pengguna_tombol.batalkan"), data(SESSION, "batal")),
        ]
    ]


async def on_restart(update: Update, context: Context) -> State:
    """/start, /lapor or the menu mid-report: continue or cancel, the user chooses."""
    if update.callback_query is not None:
        await update.callback_query.answer()
    draft = await load_draft(update, context)
    if draft is None:
        return await gone(update, context)
    services = context.services
    msg = services.texts.msg(
        "pengguna_lapor.sedang_mengisi", langkah=step_name(services, draft.step)
    )
    await answer(update, context, msg, session_buttons(services))
    return draft.step


async def remind_position(update: Update, context: Context) -> State:
    """After answering another command, say where the unfinished report stands."""
    draft = await load_draft(update, context)
    if draft is None:
        return ConversationHandler.END
    services = context.services
    msg = services.texts.msg("pengguna_lapor.posisi", langkah=step_name(services, draft.step))
    await answer(update, context, msg, session_buttons(services))
    return draft.step


async def on_tickets(update: Update, context: Context) -> State:
    await show_tickets(update, context)
    return await remind_position(update, context)


async def on_help(update: Update, context: Context) -> State:
    await show_help(update, context)
    return await remind_position(update, context)


# --- the states ----------------------------------------------------------------------------------
# New messages only: an edited one is never taken as an answer (on_edited says so).
PRIVATE = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
EDITED = filters.ChatType.PRIVATE & filters.UpdateType.EDITED_MESSAGE
TEXT = PRIVATE & filters.TEXT & ~filters.COMMAND
FILE = PRIVATE & (filters.PHOTO | filters.Document.ALL)


#: The handler of each page's buttons (the suggestions, the summary, the edit menu).
_PAGE_BUTTONS: dict[str, AtStep] = {
    SUGGEST: on_suggestion,
    SUMMARY: on_summary,
    EDIT: on_edit_choice,
}


def _button(step: str, handler: AtStep, arg: str | None = None) -> CallbackQueryHandler[Any, Any]:
    """A handler of the buttons of ``step`` (with argument ``arg`` only, if given)."""
    pattern = rf"^{PREFIX}:{VERB}:{step}:" + (rf"{arg}(:|$)" if arg is not None else "")
    return CallbackQueryHandler(_at(step, handler), pattern=pattern)


def _own_buttons(step: Step) -> list[BaseHandler[Update, Any, Any]]:
    """The handlers of what this step's own buttons mean."""
    name = step.name
    if step.kind is Kind.CHOICE:
        return [_button(name, on_choice)]
    if name in _PAGE_BUTTONS:
        return [_button(name, _PAGE_BUTTONS[name])]
    own: list[BaseHandler[Update, Any, Any]] = []
    if step.optional:
        own.append(_button(name, on_skip, "lewati"))
    if step.offers_telegram_name:
        own.append(_button(name, on_telegram_name, "tg"))
    if step.button is not None:
        done = on_description_done if step.kind is Kind.TEXT else on_files_done
        own.append(_button(name, done, step.button[1]))
    return [*own, _button(name, on_other_argument)]


def _handlers(name: str) -> list[BaseHandler[Update, Any, Any]]:
    """The handlers of state ``name``: its own input first, then everything else it answers."""
    step = STEP_BY_NAME[name]
    replies = WRONG_INPUT[step.kind]
    text: AtStep = wrong(replies.text)
    if step.kind is Kind.TEXT:
        text = on_description if name == "deskripsi" else on_answer
    file = on_file if step.kind is Kind.FILES else wrong(replies.file)
    return [
        MessageHandler(EDITED, on_edited),
        CallbackQueryHandler(_at(name, on_session), pattern=rf"^{PREFIX}:{VERB}:{SESSION}:"),
        *_own_buttons(step),
        CallbackQueryHandler(_at(name, on_stale_button), pattern=rf"^{PREFIX}:{VERB}:"),
        MessageHandler(TEXT, _at(name, text)),
        MessageHandler(FILE, _at(name, file)),
        MessageHandler(PRIVATE & ~filters.COMMAND, _at(name, wrong(replies.other))),
    ]


_STATES: dict[str, list[BaseHandler[Update, Any, Any]]] = {name: _handlers(name) for name in STEPS}


def build() -> ConversationHandler[Any]:
    """The /lapor ConversationHandler (persistent, private chats only)."""
    return ConversationHandler(
        entry_points=[
            CommandHandler("lapor", start, filters=PRIVATE),
            CallbackQueryHandler(start, pattern=rf"^{PREFIX}:menu:lapor$"),
            # A report button while no conversation is active: the state was lost (a crash
            # before PTB wrote it) but the draft is there, so the report resumes from it.
            CallbackQueryHandler(on_resume, pattern=rf"^{PREFIX}:{VERB}:"),
        ],
        states={name: list(handlers) for name, handlers in _STATES.items()},
        fallbacks=[
            CommandHandler("batal", cancel, filters=PRIVATE),
            CommandHandler(["start", "lapor"], on_restart, filters=PRIVATE),
            CallbackQueryHandler(on_restart, pattern=rf"^{PREFIX}:menu:lapor$"),
            CommandHandler("tiket", on_tickets, filters=PRIVATE),
            CommandHandler("bantuan", on_help, filters=PRIVATE),
            MessageHandler(PRIVATE & filters.COMMAND, remind_position),
        ],
        name=NAME,
        persistent=True,
        allow_reentry=False,
    )
