"""Editing a message in place after a button press, within the group's budget.

Telegram counts an edit in a group's 20 messages a minute like a new message, so an edit of a
message in a group (a settled escalation draft, a notice losing its buttons, a redrawn
knowledge-base entry or LKPP reply notice) is queued in the outbox at
:attr:`~bot.outbox.pacing.Priority.ACTION`: the sender sends it at once when the budget allows
(it is woken by the queueing and that class goes first), and pending edits of one message
collapse into the newest. The press itself is still answered directly
(``answerCallbackQuery``, not a message). In a private chat the edit answers one person and
touches no group: it is made directly, as before.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from telegram import Bot, CallbackQuery, MaybeInaccessibleMessage
from telegram.error import BadRequest

from bot.outbox.pacing import is_group
from bot.outbox.queue import queue_of
from bot.outbox.sender import markup

if TYPE_CHECKING:
    from bot.callbacks import Keyboard
    from bot.services import Services

log = logging.getLogger(__name__)


async def edit_message(
    services: Services,
    bot: Bot,
    chat_id: int,
    message_id: int,
    html: str | None,
    buttons: Keyboard | None = None,
) -> None:
    """Change a message's text and keyboard (``html=None``: the keyboard only).

    In a group the edit is queued (paced, coalesced per message); elsewhere it is made now,
    and an edit that changes nothing is fine.
    """
    if is_group(chat_id):
        queue = queue_of(services)
        async with services.db.transaction():
            await queue.edit(chat_id, message_id, html, buttons)
        return
    try:
        if html is None:
            await bot.edit_message_reply_markup(
                chat_id=chat_id, message_id=message_id, reply_markup=markup(buttons)
            )
        else:
            await bot.edit_message_text(
                html, chat_id=chat_id, message_id=message_id, reply_markup=markup(buttons)
            )
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            raise


def _pressed(query: CallbackQuery) -> MaybeInaccessibleMessage:
    message = query.message
    if message is None:  # a press on an inline message: nothing of this bot's
        raise ValueError("a press without its message")
    return message


async def edit_pressed(
    services: Services, query: CallbackQuery, html: str | None, buttons: Keyboard | None
) -> None:
    """Edit the message whose button was pressed (``html=None``: its keyboard only)."""
    message = _pressed(query)
    await edit_message(
        services, query.get_bot(), message.chat.id, message.message_id, html, buttons
    )
