"""Staff-only and admin-only checks: polite refusal, no effect, no further handlers."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from telegram import Bot, Update
from telegram.ext import ApplicationHandlerStop

from bot.guards import in_staff_chat, is_admin, staff_only
from bot.services import SERVICES_KEY
from tests.support.settings import ADMIN_ID, STAFF_CHAT_ID
from tests.support.telegram_app_fixtures import pure_services, recording_bot


def message_update(bot: Bot, chat_id: int, user_id: int, text: str = "/ambil 1") -> Update:
    chat = {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup", "title": "g"}
    data = {
        "update_id": 1,
        "message": {
            "message_id": 5,
            "date": 0,
            "chat": chat,
            "from": {"id": user_id, "is_bot": False, "first_name": "U"},
            "text": text,
        },
    }
    return Update.de_json(data, bot)


def context(tmp_path: Path, bot: Bot) -> Any:
    services = pure_services(tmp_path)
    bot_data = {SERVICES_KEY: services}
    return SimpleNamespace(
        application=SimpleNamespace(bot_data=bot_data), bot_data=bot_data, bot=bot,
        services=services,
    )  # fmt: skip


async def test_staff_chat_and_admin_are_recognised_by_id(tmp_path: Path):
    bot, _ = recording_bot()
    services = pure_services(tmp_path)
    assert in_staff_chat(message_update(bot, STAFF_CHAT_ID, 1), services)
    assert not in_staff_chat(message_update(bot, -100999, 1), services)
    assert not in_staff_chat(message_update(bot, 1, 1), services)
    assert is_admin(message_update(bot, STAFF_CHAT_ID, ADMIN_ID), services)
    assert not is_admin(message_update(bot, STAFF_CHAT_ID, 1), services)


async def test_outside_the_staff_group_the_handler_never_runs(tmp_path: Path):
    bot, request = recording_bot()
    ran: list[bool] = []

    @staff_only
    async def handler(update: Update, ctx: Any) -> None:
        ran.append(True)

    async with bot:
        with pytest.raises(ApplicationHandlerStop):
            await handler(message_update(bot, 4242, 4242), context(tmp_path, bot))
        await handler(message_update(bot, STAFF_CHAT_ID, 4242), context(tmp_path, bot))
    assert ran == [True]
    sent = [params for name, params in request.calls if name == "sendMessage"]
    assert len(sent) == 1
    assert sent[0]["chat_id"] == 4242
    assert "hanya dapat digunakan di grup staf LPSE" in sent[0]["text"]
