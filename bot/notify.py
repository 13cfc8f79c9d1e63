"""Direct sends: what must answer a person at once (a reply to what they just typed).

Everything a change causes goes through the Telegram outbox instead (:mod:`bot.outbox`).
Long HTML is split by :func:`bot.outbox.limits.split_html`, the one place that knows
Telegram's limits. A user who blocked the bot (403) raises :class:`UserBlocked` for the caller
to record; a direct send to the staff group is counted in the group's budget by the
Application's :class:`~bot.outbox.direct.DirectSendMeter`, and flood control is not retried
here (the person who typed is answered at once or sees the error).
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import (
    Bot,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    ReplyParameters,
)
from telegram.error import BadRequest, Forbidden

from bot.callbacks import Keyboard
from bot.config import Settings
from bot.outbox.limits import LIMIT, split_html

__all__ = [
    "LIMIT",
    "Keyboard",
    "Notifier",
    "UserBlocked",
    "keyboard",
    "keyboard_data",
    "reply_html",
    "split_html",
]

log = logging.getLogger(__name__)


_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


class UserBlocked(Exception):
    """The user blocked the bot or deleted the chat: nothing can reach them on Telegram."""

    def __init__(self, chat_id: int) -> None:
        self.chat_id = chat_id
        super().__init__(f"chat {chat_id} blocked the bot")


async def edit_pressed(query: CallbackQuery, html: str, buttons: Keyboard | None) -> None:
    """Edit the message whose button was pressed; an edit that changes nothing is fine."""
    try:
        await query.edit_message_text(html, reply_markup=keyboard(buttons))
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            raise


async def reply_html(message: Message, html: str, **kwargs: Any) -> Message:
    """Answer ``message`` directly with ``html``, split past Telegram's 4,096 characters.

    The answer to a command just typed stays direct (the person waits for it); a long one
    (a list, a search, an error quoting long input) goes out in parts of valid HTML, the first
    replying to the command and ``reply_markup`` on the last. Returns the last part.
    """
    markup = kwargs.pop("reply_markup", None)
    parts = split_html(html)
    for part in parts[:-1]:
        await message.reply_text(part, **kwargs)
    if markup is not None:
        kwargs["reply_markup"] = markup
    return await message.reply_text(parts[-1], **kwargs)


def keyboard(rows: Keyboard | None) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )


def keyboard_data(markup: InlineKeyboardMarkup | None) -> set[str]:
    """The callback data of every button on ``markup``."""
    if markup is None:
        return set()
    return {
        str(button.callback_data)
        for row in markup.inline_keyboard
        for button in row
        if button.callback_data is not None
    }


class Notifier:
    """Sends HTML messages with optional inline keyboards.

    Args:
        bot: The Application's bot (rate-limited, with ``Defaults(parse_mode=HTML)``).
        settings: Where the staff group and the admins are.
    """

    def __init__(self, bot: Bot, settings: Settings) -> None:
        self.bot = bot
        self.settings = settings

    async def send(
        self,
        chat_id: int,
        html: str,
        buttons: Keyboard | None = None,
        reply_to: int | None = None,
    ) -> Message:
        """Send ``html``, split if needed; the keyboard goes on the last part, returned."""
        parts = split_html(html)
        message: Message | None = None
        try:
            for index, part in enumerate(parts):
                last = index == len(parts) - 1
                message = await self.bot.send_message(
                    chat_id,
                    part,
                    reply_markup=keyboard(buttons) if last else None,
                    reply_parameters=ReplyParameters(reply_to, allow_sending_without_reply=True)
                    if reply_to is not None and index == 0
                    else None,
                    link_preview_options=_NO_PREVIEW,
                )
        except Forbidden as exc:
            raise UserBlocked(chat_id) from exc
        assert message is not None
        return message

    async def staff(
        self, html: str, buttons: Keyboard | None = None, reply_to: int | None = None
    ) -> Message:
        return await self.send(self.settings.staff_chat_id, html, buttons, reply_to)

    async def admins(self, html: str) -> None:
        """Tell every admin in private; one who never started the bot is logged, not fatal."""
        for admin in self.settings.admin_user_ids:
            try:
                await self.send(admin, html)
            except UserBlocked:
                log.warning("admin %s has not started the bot or blocked it", admin)
