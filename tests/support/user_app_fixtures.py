"""Driving the bot as an SPSE user in private chat, through the real HTTP stack.

Builds on :mod:`tests.support.telegram_app_fixtures` (the running Application and the Bot API
server with the staff group): :class:`UserChat` types, sends files and presses buttons the way
a Telegram client would, and waits for what the bot answers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bot.services import SERVICES_KEY, Services
from tests.support.botapi import ApiCall, BotApiServer, inline_buttons, make_user
from tests.support.clock import FakeClock
from tests.support.telegram_app_fixtures import bot_api_fixture, running_bot

__all__ = ["BUDI", "SITI", "UserChat", "bot_api_fixture", "running_bot", "user_bot_fixture"]

BUDI = make_user(777001, "Budi", "budi_penyedia", last_name="Santoso")
SITI = make_user(777002, "Siti", "siti_ppk")


@dataclass
class UserChat:
    """One user's private chat with a running bot."""

    api: BotApiServer
    app: Any
    clock: FakeClock
    user: dict[str, Any] = field(default_factory=lambda: dict(BUDI))

    @property
    def chat_id(self) -> int:
        return int(self.user["id"])

    @property
    def services(self) -> Services:
        return self.app.bot_data[SERVICES_KEY]

    def say(self, text: str, **kwargs: Any) -> None:
        self.api.user_message(self.user, text, **kwargs)

    def photo(self, content: bytes = b"\x89PNG fake", **kwargs: Any) -> None:
        self.api.user_photo(self.user, content, **kwargs)

    def document(self, content: bytes = b"%PDF-1.4 fake", **kwargs: Any) -> None:
        self.api.user_document(self.user, content, **kwargs)

    async def reply(self, contains: str = "", within: float = 5.0) -> ApiCall:
        """The next message sent to this chat whose text contains ``contains``."""
        return await self.api.wait_for(
            lambda c: c.method == "sendMessage" and contains in (c.text or ""),
            chat_id=self.chat_id,
            timeout=within,
        )

    async def with_button(self, label: str, within: float = 5.0) -> ApiCall:
        """The next message sent to this chat that carries a button labelled ``label``."""
        return await self.api.wait_for(
            lambda c: c.method == "sendMessage" and label in [b["text"] for b in c.buttons],
            chat_id=self.chat_id,
            timeout=within,
        )

    def texts_since(self, mark: int) -> str:
        """Everything sent to this chat after ``mark`` (see ``BotApiServer.mark``), joined."""
        calls = [c for c in self.api.sent(self.chat_id) if c.seq > mark]
        return "\n".join(c.text or "" for c in calls)

    def buttons(self, message_id: int) -> list[str]:
        message = self.api.message(self.chat_id, message_id)
        return [b["text"] for b in inline_buttons(message)]

    def press(self, label: str, message_id: int | None = None) -> None:
        """Press ``label`` on ``message_id``, or on the newest bot message that has it."""
        if message_id is None:
            message_id = self.newest_with(label)
        self.api.press_button(self.user, self.chat_id, message_id, label)

    def newest_with(self, label: str) -> int:
        for message in reversed(self.api.messages(self.chat_id)):
            if any(b.get("text") == label for b in inline_buttons(message)):
                return int(message["message_id"])
        raise AssertionError(f"no message with a {label!r} button in chat {self.chat_id}")

    async def answer_text(self, within: float = 5.0) -> str:
        """The text of the next answerCallbackQuery (empty when the bot answered silently)."""
        call = await self.api.wait_for("answerCallbackQuery", timeout=within)
        return str(call.params.get("text") or "")


@pytest.fixture(name="user_bot")
async def user_bot_fixture(bot_api: BotApiServer, tmp_path: Path) -> AsyncIterator[UserChat]:
    clock = FakeClock()
    async with running_bot(bot_api, tmp_path / "data", clock) as app:
        yield UserChat(bot_api, app, clock)
