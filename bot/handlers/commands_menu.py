"""The command menus Telegram shows: one for private chats (users), one for the staff group.

Users should not see staff commands, and staff should see theirs in the group, so the menus are
set per scope with ``setMyCommands``. Descriptions come from the catalog.
"""

from __future__ import annotations

import logging

from telegram import Bot, BotCommand, BotCommandScopeAllPrivateChats, BotCommandScopeChat
from telegram.error import TelegramError

from bot.text import Texts

log = logging.getLogger(__name__)

#: (command, catalog key of its description) for private chats. The user-side component owns
#: this list: edit it (and point the keys at your own catalog section) as commands change.
PRIVATE_COMMANDS: tuple[tuple[str, str], ...] = tuple(
    (name, f"pengguna_perintah.{name}")
    for name in ("start", "lapor", "faq", "tiket", "batal", "bantuan")
)

#: The staff group's commands (``bot.handlers.staff``).
STAFF_COMMANDS: tuple[tuple[str, str], ...] = tuple(
    (name, f"staf_menu_staf.{name}")
    for name in (
        "antrian",
        "tiket",
        "ambil",
        "balas",
        "selesai",
        "eskalasi",
        "prioritas",
        "catat",
        "libur",
        "faq",  # the knowledge base (bot.handlers.kb_staff)
        "cari",
        "laporan",  # the deadlines component's quality report (bot.deadlines.report_command)
        "kesehatan",  # the health report (bot.handlers.health_command)
        "dasbor",  # a one-time link to the web dashboard (bot.web.component)
        "bantuan",
    )
)


def bot_commands(texts: Texts, commands: tuple[tuple[str, str], ...]) -> list[BotCommand]:
    return [BotCommand(name, texts.plain_msg(key)) for name, key in commands]


async def set_menus(bot: Bot, texts: Texts, staff_chat_id: int) -> bool:
    """Set both menus; a failure is logged, never fatal (the commands work without a menu)."""
    try:
        await bot.set_my_commands(
            bot_commands(texts, PRIVATE_COMMANDS), scope=BotCommandScopeAllPrivateChats()
        )
        await bot.set_my_commands(
            bot_commands(texts, STAFF_COMMANDS), scope=BotCommandScopeChat(staff_chat_id)
        )
    except TelegramError:
        log.exception("setting the command menus failed")
        return False
    return True
