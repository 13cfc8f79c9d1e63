"""Sending to the staff group, to users and to admins, for every component.

Telegram limits a message to 4,096 characters: longer HTML is split on line boundaries, and a
tag left open at a split is closed at the end of one part and opened again at the start of the
next, so each part is valid HTML. A user who blocked the bot (403) raises :class:`UserBlocked`
for the caller to record; flood control and network errors are retried by the Application's
``AIORateLimiter``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence

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

from bot.config import Settings
from bot.text import telegram_length

log = logging.getLogger(__name__)

LIMIT = 4096
Keyboard = Sequence[Sequence[tuple[str, str]]]
"""Rows of (label, callback data)."""

_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
_TAG = re.compile(r"<(/?)([a-zA-Z-]+)([^>]*)>")


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


def _open_tags(html: str) -> list[tuple[str, str]]:
    stack: list[tuple[str, str]] = []
    for closing, name, attrs in _TAG.findall(html):
        if closing:
            for index in range(len(stack) - 1, -1, -1):
                if stack[index][0] == name:
                    del stack[index:]
                    break
        else:
            stack.append((name, attrs))
    return stack


def _pieces(line: str, limit: int) -> list[str]:
    """Cut one over-long line at spaces (never inside a tag or an entity)."""
    out, current = [], ""
    for word in re.split(r"(?<=\s)", line):
        while len(word) > limit:  # one enormous word: cut outside tags/entities as best we can
            cut = limit
            while cut > 0 and (
                word.rfind("<", 0, cut) > word.rfind(">", 0, cut)
                or word.rfind("&", 0, cut) > word.rfind(";", 0, cut)
            ):
                cut -= 1
            cut = cut or limit
            out.append(current + word[:cut]) if current else out.append(word[:cut])
            current, word = "", word[cut:]
        if len(current) + len(word) > limit:
            out.append(current)
            current = ""
        current += word
    if current:
        out.append(current)
    return out


def split_html(html: str, limit: int = LIMIT) -> list[str]:
    """Split ``html`` into valid HTML parts of at most ``limit`` characters as Telegram counts.

    Telegram counts UTF-16 code units (an emoji is two): parts are cut by code points, and cut
    again with a proportionally smaller budget while one is still too long for Telegram.
    """
    if 2 * len(html) <= limit:  # fits whatever it holds: no UTF-16 count needed
        return [html]
    budget = limit
    while True:
        parts = _split(html, budget)
        longest = max(telegram_length(part) for part in parts)
        if longest <= limit or budget <= 400:
            return parts
        budget = max(400, budget * limit // longest - 1)


def _split(html: str, limit: int) -> list[str]:
    """Split ``html`` into valid HTML parts of at most ``limit`` code points."""
    if len(html) <= limit:
        return [html]
    budget = limit - 200  # room for tags closed and reopened at the edges
    lines: list[str] = []
    for line in html.split("\n"):
        lines.extend(_pieces(line, budget) if len(line) > budget else [line])
    parts: list[str] = []
    current = ""
    for line in lines:
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > budget and current:
            parts.append(current)
            current = line
        else:
            current = candidate
    if current:
        parts.append(current)
    fixed, reopen = [], ""
    for part in parts:
        text = reopen + part
        stack = _open_tags(text)
        closing = "".join(f"</{name}>" for name, _ in reversed(stack))
        reopen = "".join(f"<{name}{attrs}>" for name, attrs in stack)
        fixed.append(text + closing)
    return fixed


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
