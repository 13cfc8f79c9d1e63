"""Who may use the staff side: the staff group for commands and buttons, admins for ``/libur``,
and a person (not an anonymous admin or a channel) for anything the SOP's record names.

A refusal is polite, in Indonesian, and has no effect, so a user who finds a staff command in a
private chat or another group learns that it is not for them instead of meeting silence.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine
from typing import Any

from markupsafe import Markup
from telegram import Update
from telegram.ext import ApplicationHandlerStop

from bot.context import BotContext
from bot.notify import reply_html
from bot.services import Services

Context = BotContext
Handler = Callable[[Update, Context], Coroutine[Any, Any, Any]]
"""A handler callback as PTB takes it: an ``async def`` (a coroutine function)."""


def in_staff_chat(update: Update, services: Services) -> bool:
    """Whether the update comes from the configured staff group (by chat id, never by title)."""
    chat = update.effective_chat
    return chat is not None and chat.id == services.settings.staff_chat_id


def is_admin(update: Update, services: Services) -> bool:
    """Admins (``ADMIN_USER_IDS``) may change the calendar; membership alone is not enough."""
    user = update.effective_user
    return user is not None and user.id in services.settings.admin_user_ids


async def refuse(update: Update, services: Services, key: str) -> None:
    """Tell the person, where they asked, that this is not for them; nothing else happens."""
    text = services.texts.msg(key)
    if update.callback_query is not None:
        await update.callback_query.answer(Markup(text).striptags(), show_alert=True)
    elif update.effective_message is not None:
        await reply_html(update.effective_message, text)


def anonymous(update: Update) -> bool:
    """A message sent as the group (an anonymous admin) or on behalf of a channel.

    Telegram then names no person (``from`` is the group's stand-in bot), and the SOP's record
    needs one: who took, answered or solved a ticket. Button presses always name the person.
    """
    message = update.effective_message
    return (
        update.callback_query is None and message is not None and message.sender_chat is not None
    )


async def refuse_anonymous(update: Update, services: Services) -> None:
    """Ask the staff member to turn off "Tetap anonim"; nothing is recorded, nothing else runs."""
    await refuse(update, services, "staf_tolak.anonim")
    raise ApplicationHandlerStop


def staff_only(handler: Handler) -> Handler:
    """Run ``handler`` only for updates from the staff group; refuse politely elsewhere.

    A refusal stops the update there, so a user-side handler does not also answer it.
    """

    @functools.wraps(handler)
    async def guarded(update: Update, context: Context) -> Any:
        services = context.services
        if not in_staff_chat(update, services):
            key = (
                "staf_tolak.tombol_bukan_grup_staf"
                if update.callback_query is not None
                else "staf_tolak.bukan_grup_staf"
            )
            await refuse(update, services, key)
            raise ApplicationHandlerStop  # refused: no other component acts on it either
        if anonymous(update):
            await refuse_anonymous(update, services)
        return await handler(update, context)

    return guarded
