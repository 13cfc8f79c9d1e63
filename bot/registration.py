"""Where every part of the bot is wired into the Application: parts, handlers, jobs, in order.

A newcomer finds here what answers an update and in which order, like rules-bot's ``main()``.
:func:`register` runs in :func:`bot.app.build_application`, before ``Application.initialize``
(so the persistent /lapor conversation is loaded with the others, as python-telegram-bot
expects). :data:`PARTS` start in ``post_init`` in their order and stop in ``post_shutdown`` in
reverse: the Telegram outbox first up and last down, because every other part queues messages.

python-telegram-bot tries the groups from the lowest number up and, within a group, the handlers
in the order they were added; the first matching handler of each group runs. A handler that
raises ``ApplicationHandlerStop`` ends the update there (the staff guards do, once they have
refused or answered).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from enum import IntEnum
from typing import Any

from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot.callbacks import Prefix
from bot.conversations import report
from bot.conversations.anytime import show_help
from bot.conversations.persistence import flush_conversations
from bot.deadlines import component as deadlines
from bot.deadlines.briefing import briefing_job, catch_up_job
from bot.deadlines.report_command import laporan, outside_staff_group
from bot.handlers import (
    health_command,
    kb_staff,
    kb_user,
    staff,
    staff_buttons,
    staff_command,
    user,
)
from bot.handlers.errors import on_error
from bot.mail import bridge
from bot.mail.staff_view import StaffView
from bot.outbox import component as outbox
from bot.services import Services
from bot.stale_buttons import answer_stale
from bot.web import component as web

log = logging.getLogger(__name__)

App = Application[Any, Any, Any, Any, Any, Any]
Hook = Callable[[App, Services], Awaitable[None]]


class Group(IntEnum):
    """The handler groups, in the order python-telegram-bot tries them."""

    TELEGRAM = -100
    """What Telegram says about chats (a group upgraded, the bot removed): before any handler
    that may stop the update."""
    KNOWLEDGE_REPLY = -4
    """A staff reply to a knowledge-base entry is an edit of the entry, and a user's text after
    "Cari jawaban" is the question: before the mail prompt and the staff relay below."""
    KNOWLEDGE = -3
    """``/faq``, ``/cari`` and the knowledge-base buttons: before the report conversation."""
    PRIVATE_FIRST = -2
    """Every private update once (a user who writes again has unblocked the bot); never stops."""
    STAFF = -1
    """Staff commands and ticket buttons, ``/laporan``, ``/kesehatan``, ``/dasbor`` and the mail
    bridge's "which ticket is this email about?" reply: before the user side, which never
    sees them, and before the staff relay, which would take the answer for a ticket."""
    MAIN = 0
    """The staff relay of replies, the user side and /lapor, the mail buttons, and last the
    catch-all for buttons nobody took."""
    FLUSH = 90
    """Conversation states written after every handler that may change one."""


@dataclass(frozen=True, slots=True)
class Part:
    """A part with background work: started in ``post_init``, stopped in ``post_shutdown``."""

    name: str
    start: Hook | None = None
    stop: Hook | None = None


#: Start order; stop order is the reverse.
PARTS: tuple[Part, ...] = (
    # The Telegram outbox: loads the staff chat in use, replays updates a crash left.
    Part("bot.outbox", outbox.start, outbox.stop),
    # Command menus, and cards a Telegram outage left unposted.
    Part("bot.handlers.staff", staff.start),
    # Index tickets solved before the knowledge base existed, warm the search.
    Part("bot.handlers.kb_staff", kb_staff.start),
    # IMAP reader, SMTP sender and the sweep of stored mail.
    Part("bot.mail", bridge.start, bridge.stop),
    # The dashboard, when WEB_LISTEN is set.
    Part("bot.web", web.start, web.stop),
)


def register(application: App, services: Services) -> None:
    """Create every part in ``services``, then add every handler and job, in order."""
    install(application, services)
    add_handlers(application, services)
    add_jobs(application, services)


def install(application: App, services: Services) -> None:
    """Create the parts. Their workflow listeners run in this order inside each step."""
    # The Telegram queue, sender and incidents: every other part queues messages in it.
    outbox.install(application, services)
    # The ticket cards in the staff group.
    staff.install(application, services)
    # The knowledge base: its own listener, and its hooks into the cards.
    kb_staff.install(application, services)
    # The user side: drafts, and what users are told when their ticket moves.
    user.install(application, services)
    # The time standards: clocks on every step, and the sweeper.
    deadlines.install_with_outbox(services)
    # The mail bridge to the LKPP helpdesk.
    bridge.install(application, services)


def add_handlers(application: App, services: Services) -> None:
    """Every handler, group by group; within a group the first that matches runs."""
    staff_chat = filters.Chat(services.settings.staff_chat_id)
    messages = filters.UpdateType.MESSAGE
    private = filters.ChatType.PRIVATE
    new_private = private & messages

    # Telegram's news about chats: a group upgraded to a supergroup, the bot's own membership.
    application.add_handlers(
        [
            MessageHandler(filters.StatusUpdate.MIGRATE, outbox.on_migrate),
            ChatMemberHandler(outbox.on_membership, ChatMemberHandler.MY_CHAT_MEMBER),
        ],
        Group.TELEGRAM,
    )

    # A staff reply to an entry's message edits the entry; a user's pending FAQ question.
    application.add_handlers(
        [
            MessageHandler(
                staff_chat & filters.REPLY & filters.TEXT & ~filters.COMMAND, kb_staff.on_reply
            ),
            MessageHandler(private & filters.TEXT & ~filters.COMMAND, kb_user.on_text),
        ],
        Group.KNOWLEDGE_REPLY,
    )

    # The knowledge base: staff /faq and /cari in groups, users' /faq in private, the buttons.
    groups = ~filters.ChatType.PRIVATE
    application.add_handlers(
        [
            CommandHandler("faq", kb_staff.final(kb_staff.cmd_faq), filters=groups),
            CommandHandler("cari", kb_staff.final(kb_staff.cmd_cari), filters=groups),
            CallbackQueryHandler(kb_staff.on_button, pattern=Prefix.KB_STAFF.pattern),
            CommandHandler("faq", kb_user.on_faq, filters=private),
            CallbackQueryHandler(kb_user.on_button, pattern=Prefix.KB_USER.pattern),
        ],
        Group.KNOWLEDGE,
    )

    # Any private update: a user who writes again is no longer marked as blocked.
    application.add_handler(MessageHandler(private, user.on_any_private), Group.PRIVATE_FIRST)

    # Staff commands (refused politely outside the staff group) and the ticket buttons.
    # /tiket and /bantuan are also the user's commands: in a private chat they are left to them.
    for name, handler in staff.COMMANDS.items():
        where = messages & ~private if name in staff.SHARED_WITH_PRIVATE else messages
        application.add_handler(
            CommandHandler(name, staff_command.command(name, handler), where), Group.STAFF
        )
    application.add_handlers(
        [
            CallbackQueryHandler(staff_buttons.on_button, pattern=Prefix.TICKET.pattern),
            # /laporan in the staff group, and where it works for anyone who tries it elsewhere.
            CommandHandler("laporan", deadlines.final(laporan), filters=staff_chat),
            CommandHandler("laporan", deadlines.final(outside_staff_group), filters=~staff_chat),
        ],
        Group.STAFF,
    )
    mail = _mail_view(services)
    if mail is not None:
        add_mail_reply_handler(application, mail)
    application.add_handlers(
        [
            CommandHandler(
                "kesehatan",
                staff_command.command("kesehatan", health_command.cmd_kesehatan),
                messages,
            ),
            CommandHandler("dasbor", web.cmd_dasbor, messages),
        ],
        Group.STAFF,
    )

    # Staff replies to a ticket's message: a solution note, or a message for the user.
    relayed = filters.TEXT | filters.PHOTO | filters.Document.ALL
    application.add_handler(
        MessageHandler(
            staff_chat & messages & filters.REPLY & relayed & ~filters.COMMAND, staff.on_reply
        ),
        Group.MAIN,
    )
    # The /lapor conversation. One conversation per chat (per_message=False) is meant, with
    # buttons in its states: PTB's note about that is not for this bot.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "If 'per_message=False'", PTBUserWarning)
        conversation = report.build()
    application.add_handler(conversation, Group.MAIN)
    # The user side outside a report: commands, buttons, edits, free messages.
    application.add_handlers(
        [
            CommandHandler("start", user.on_start, filters=new_private),
            CommandHandler("tiket", user.on_tiket, filters=new_private),
            CommandHandler("batal", user.on_cancel, filters=new_private),
            CommandHandler("bantuan", show_help, filters=new_private),
            CallbackQueryHandler(user.on_button, pattern=Prefix.USER.pattern),
            MessageHandler(private & filters.UpdateType.EDITED_MESSAGE, user.on_edited),
            MessageHandler(
                new_private & ~filters.COMMAND & ~filters.StatusUpdate.ALL, user.on_message
            ),
            MessageHandler(new_private & filters.COMMAND, user.on_unknown_command),
        ],
        Group.MAIN,
    )
    if mail is not None:
        add_mail_buttons(application, mail)
    # Last of the buttons: a press no handler took is answered, its dead keyboard removed.
    application.add_handler(CallbackQueryHandler(answer_stale), Group.MAIN)

    # After everything: the conversation states this update changed are written now.
    application.add_handler(TypeHandler(Update, flush_conversations), Group.FLUSH)

    # One error handler for every update and job.
    application.add_error_handler(on_error)


def _mail_view(services: Services) -> StaffView | None:
    return None if services.mail is None else services.mail.staff


def add_mail_reply_handler(application: App, view: StaffView) -> None:
    """A staff reply naming the ticket a quarantined email is about."""
    staff_chat = filters.Chat(view.services.settings.staff_chat_id)
    application.add_handler(
        MessageHandler(staff_chat & filters.REPLY & filters.TEXT, view.on_number_reply),
        Group.STAFF,
    )


def add_mail_buttons(application: App, view: StaffView) -> None:
    """The buttons under an LKPP email (classify, forward) and a quarantined one."""
    application.add_handlers(
        [
            CallbackQueryHandler(view.on_mail_button, pattern=Prefix.MAIL.pattern),
            CallbackQueryHandler(view.on_quarantine_button, pattern=Prefix.QUARANTINE.pattern),
        ],
        Group.MAIN,
    )


def add_jobs(application: App, services: Services) -> None:
    """The JobQueue's jobs: one repeating sweep of due deadlines and the morning briefing."""
    settings = services.settings
    jobs = application.job_queue
    if jobs is None:  # pragma: no cover - the job-queue extra is a dependency
        raise RuntimeError("python-telegram-bot[job-queue] is required for the deadline sweep")
    # One sweep at a time; a late one runs once, never twice in a row.
    jobs.run_repeating(
        deadlines.scheduled_sweep,
        interval=timedelta(seconds=settings.sweep_interval_seconds),
        first=timedelta(seconds=1),
        name=deadlines.SWEEP_JOB,
        job_kwargs={"max_instances": 1, "coalesce": True, "misfire_grace_time": None},
    )
    # Working days only; holidays and local closures are skipped by the job itself.
    jobs.run_daily(
        briefing_job,
        time=settings.daily_briefing_time.replace(tzinfo=settings.tz),
        days=deadlines.WORKING_WEEKDAYS,
        name="tenggat_briefing",
    )
    # The briefing a bot that was down in the morning did not send.
    jobs.run_once(catch_up_job, when=timedelta(seconds=5), name="tenggat_briefing_susulan")


async def start(application: App, services: Services) -> None:
    """Start :data:`PARTS` in order; if one fails, stop those already started, in reverse."""
    started: list[Part] = []
    try:
        for part in PARTS:
            if part.start is not None:
                await part.start(application, services)
            started.append(part)
    except BaseException:
        for part in reversed(started):
            if part.stop is not None:
                await part.stop(application, services)
        raise


async def stop(application: App, services: Services) -> None:
    """Stop :data:`PARTS` in reverse order; one that fails does not keep the others running."""
    for part in reversed(PARTS):
        if part.stop is None:
            continue
        try:
            await part.stop(application, services)
        except Exception:
            log.exception("stopping %s failed", part.name)
