"""The bot's one error handler: log the failure, tell the person in Indonesian.

Domain errors (unknown ticket, a step the SOP does not allow now, bad input) are expected and
explained with :meth:`bot.text.Texts.error`; anything else is logged with its traceback and the
person gets a short apology, so no update ends in silence.
"""

from __future__ import annotations

import logging

from markupsafe import Markup
from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.domain.errors import DomainError
from bot.services import SERVICES_KEY, Services

log = logging.getLogger(__name__)


def _text(services: Services, error: BaseException | None) -> str:
    if isinstance(error, DomainError):
        return services.texts.error(error)
    return services.texts.msg("staf_galat.umum")


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Registered with ``Application.add_error_handler``; never raises."""
    error = context.error
    if isinstance(error, DomainError):
        log.info("refused: %s", error)
    else:
        log.error("update failed: %r", update, exc_info=error)
    services: Services | None = context.application.bot_data.get(SERVICES_KEY)
    if services is None or not isinstance(update, Update):
        return
    text = _text(services, error)
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(Markup(text).striptags()[:200], show_alert=True)
        elif update.effective_chat is not None:
            await context.bot.send_message(update.effective_chat.id, text)
    except TelegramError:
        log.exception("could not tell the person about the failure")
