"""The command menus: valid for Telegram, one per scope, a failure is not fatal."""

from __future__ import annotations

import re
from pathlib import Path

from telegram.error import NetworkError

from bot.handlers.commands_menu import PRIVATE_COMMANDS, STAFF_COMMANDS, bot_commands, set_menus
from tests.support.telegram_app_fixtures import pure_services, recording_bot


def test_every_command_is_valid_for_set_my_commands(tmp_path: Path):
    texts = pure_services(tmp_path).texts
    for commands in (PRIVATE_COMMANDS, STAFF_COMMANDS):
        for command in bot_commands(texts, commands):
            assert re.fullmatch(r"[a-z0-9_]{1,32}", command.command)
            assert 1 <= len(command.description) <= 256
            assert "&lt;" not in command.description


async def test_the_menus_go_to_private_chats_and_the_staff_group(tmp_path: Path):
    services = pure_services(tmp_path)
    bot, request = recording_bot()
    async with bot:
        assert await set_menus(bot, services.texts, -100123)
    scopes = [params["scope"] for name, params in request.calls if name == "setMyCommands"]
    assert scopes == [{"type": "all_private_chats"}, {"type": "chat", "chat_id": -100123}]


async def test_a_failing_menu_is_logged_not_fatal(tmp_path: Path):
    services = pure_services(tmp_path)
    bot, request = recording_bot()

    async def fail(*args: object, **kwargs: object) -> tuple[int, bytes]:
        raise NetworkError("down")

    async with bot:
        request.do_request = fail  # type: ignore[method-assign]
        assert await set_menus(bot, services.texts, -100123) is False
