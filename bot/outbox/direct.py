"""The Application's rate limiter: counts direct sends to the staff group, never throttles.

It also lets a late answer to a button press pass: a press handled again after a crash
cannot be answered any more (Telegram: "query is too old"), and that must not stop its work.

What must answer a person at once (a reply to a command just typed, a ForceReply prompt after a
press) is sent directly, not queued; edits after a press in a group are queued
(:mod:`bot.outbox.edits`). Telegram counts every message and every edit in the group's 20 a
minute, so each direct send or edit that still reaches the staff group is recorded in the
outbox as an already-sent row; the sender then leaves room for it. Nothing here waits or
retries: python-telegram-bot's ``AIORateLimiter`` would pause every request of the bot on one
429, and the outbox paces its own sends per lane (:mod:`bot.outbox.sender`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import BadRequest
from telegram.ext import BaseRateLimiter

from bot.clock import utc_now
from bot.config import Settings
from bot.outbox.sender import OUTBOX_CALL
from bot.storage.db import Database
from bot.storage.telegram_outbox import TelegramOutboxStore

log = logging.getLogger(__name__)

#: Bot API methods that put a message in a chat or change one: each counts in a group's budget.
SENDS = frozenset(
    {
        "sendMessage", "sendPhoto", "sendDocument", "sendVideo", "sendAudio", "sendVoice",
        "sendAnimation", "sendSticker", "sendMediaGroup", "sendLocation", "sendContact",
        "copyMessage", "forwardMessage", "sendPoll", "sendDice",
        "editMessageText", "editMessageCaption", "editMessageMedia", "editMessageReplyMarkup",
    }
)  # fmt: skip


class DirectSendMeter(BaseRateLimiter[str]):
    """Records each direct message to the staff group in the outbox (its rolling window).

    Args:
        db: The bot's database.
        settings: Which chat is the staff group (the id in use, after an upgrade too).
    """

    def __init__(self, db: Database, settings: Settings) -> None:
        self.store = TelegramOutboxStore(db)
        self.settings = settings

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: str | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        try:
            result = await callback(*args, **kwargs)
        except BadRequest as exc:
            if endpoint == "answerCallbackQuery" and "query is too old" in str(exc).lower():
                # A press handled again after a crash (or answered too late): its work must
                # still be done; the spinner on the user's screen ended long ago.
                log.info("callback query answered too late: %s", exc)
                return True
            raise
        if rate_limit_args == OUTBOX_CALL or endpoint not in SENDS:
            return result
        try:
            chat = int(data.get("chat_id"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return result
        if chat == self.settings.staff_chat_id:
            message_id = result.get("message_id") if isinstance(result, dict) else None
            try:
                await self.store.record_direct(chat, utc_now(), message_id)
            except Exception:  # counting must never cost the reply itself
                log.exception("direct send to the staff group not counted")
        return result
