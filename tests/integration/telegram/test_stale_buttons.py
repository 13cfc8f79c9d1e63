"""Every button press is answered: an unknown or stale one says so, its dead keyboard goes."""

from __future__ import annotations

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from tests.support.botapi import inline_buttons
from tests.support.telegram_app_fixtures import STAFF_USER
from tests.support.tickets import reported
from tests.support.user_app_fixtures import (  # noqa: F401 - fixtures
    UserChat,
    bot_api_fixture,
    user_bot_fixture,
)

STALE = "Tombol ini sudah tidak berlaku."


async def _old_message(user_bot: UserChat, chat_id: int, data: str) -> int:
    """A message the bot sent with a keyboard, as an older version of the bot would have."""
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Lama", callback_data=data)]])
    message = await user_bot.app.bot.send_message(chat_id, "lama", reply_markup=markup)
    return message.message_id


@pytest.mark.parametrize(
    "data",
    [
        "v1:lapor:mulai",  # a prefix the bot no longer has
        "u:arsip:BTG-2026-00001",  # a user verb it no longer has
        "m:zz",  # an LKPP-mail button without its reply
    ],
)
async def test_an_old_keyboard_in_private_is_answered_and_removed(user_bot: UserChat, data: str):
    chat = user_bot.chat_id
    message_id = await _old_message(user_bot, chat, data)
    user_bot.press("Lama", message_id)
    assert await user_bot.answer_text() == STALE
    edit = await user_bot.api.wait_for("editMessageReplyMarkup", chat_id=chat)
    assert edit.params.get("message_id") == message_id
    assert user_bot.buttons(message_id) == []


async def test_an_old_staff_keyboard_is_answered_and_removed(user_bot: UserChat):
    staff = user_bot.services.settings.staff_chat_id
    number = (await reported(user_bot.services)).ticket.number
    message_id = await _old_message(user_bot, staff, f"t:arsipkan:{number}")
    user_bot.api.press_button(STAFF_USER, staff, message_id, "Lama")
    assert await user_bot.answer_text() == STALE
    await user_bot.api.wait_for("editMessageReplyMarkup", chat_id=staff)
    assert inline_buttons(user_bot.api.message(staff, message_id)) == []


async def test_a_forged_press_is_answered_and_leaves_the_live_keyboard(user_bot: UserChat):
    user_bot.say("/start")
    menu = await user_bot.with_button("📝 Lapor masalah")
    assert menu.message_id is not None
    before = user_bot.buttons(menu.message_id)
    user_bot.api.callback(user_bot.user, user_bot.chat_id, menu.message_id, "x:y", check=False)
    assert await user_bot.answer_text() == STALE
    assert user_bot.buttons(menu.message_id) == before
    assert not [c for c in user_bot.api.calls if c.method == "editMessageReplyMarkup"]
