"""The last word on every button press: one nobody else took is answered, never left spinning.

A press whose data no handler knows (a keyboard from an older version of the bot, a message
whose flow has moved on, a forged press) would otherwise get no ``answerCallbackQuery``, and
the person's button spins until Telegram gives up. :mod:`bot.registration` adds
:func:`answer_stale` as one catch-all ``CallbackQueryHandler`` after every component's button
handlers; it answers "Tombol ini sudah tidak
berlaku" and takes the dead keyboard off the message when the pressed button is really on it
(a forged press on a live card leaves the card alone).
"""

from __future__ import annotations

import logging

from telegram import CallbackQuery, Message, Update
from telegram.error import TelegramError

from bot.context import BotContext
from bot.notify import keyboard_data
from bot.outbox.edits import edit_pressed

log = logging.getLogger(__name__)


def _on_keyboard(query: CallbackQuery) -> bool:
    message = query.message
    return isinstance(message, Message) and query.data in keyboard_data(message.reply_markup)


async def answer_stale(update: Update, context: BotContext) -> None:
    """Answer a press that no handler takes, and remove its keyboard where it is dead."""
    query = update.callback_query
    assert query is not None
    log.info("stale or unknown button %r in chat %s", query.data, update.effective_chat)
    services = context.services
    await query.answer(services.texts.plain_msg("tombol.tidak_berlaku"), show_alert=False)
    if not _on_keyboard(query):
        return
    try:  # in the group queued like every edit there (it counts in the group's budget)
        await edit_pressed(services, query, None, None)
    except TelegramError as exc:  # too old to edit, or already changed: the answer is enough
        log.debug("dead keyboard not removed: %s", exc)
