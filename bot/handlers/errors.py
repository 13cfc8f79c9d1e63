"""The bot's one error handler: log the failure, tell the person in Indonesian.

Domain errors (unknown ticket, a step the SOP does not allow now, bad input) are expected and
explained with :meth:`bot.text.Texts.error`; anything else is logged with its traceback and the
person gets a short apology, so no update ends in silence.

Errors of Telegram itself are not the bot's bugs and get no traceback: a network failure or a
5xx (``getUpdates`` during an outage) is one WARNING line, a 409 Conflict (the same token polled
by another process) one ERROR line that says so; a run of the same failure is summarised
(:class:`RepeatedErrors`) instead of filling the log once a second.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from markupsafe import Markup
from telegram import Update
from telegram.error import BadRequest, Conflict, NetworkError, RetryAfter, TelegramError
from telegram.ext import ContextTypes

from bot.domain.errors import DomainError
from bot.services import SERVICES_KEY, Services

log = logging.getLogger(__name__)

SUMMARY_SECONDS = 300.0
"""After one line about a failure, the same failure is counted for this long, then summarised."""
REPEATS_KEY = "repeated_errors"
CONFLICT_LINE = (
    "Telegram answered 409 Conflict: another process uses this bot's token (a second bot "
    "with the same TELEGRAM_BOT_TOKEN, or a webhook set elsewhere); stop it, this bot retries: %s"
)


@dataclass
class _Run:
    since: float
    count: int = 0


class RepeatedErrors:
    """One log line for the first failure of a kind, then one summary per window.

    Args:
        window: Seconds during which further failures of the kind are only counted; the first
            one after the window logs a line saying how many there were, and opens a new window.
        clock: Monotonic seconds (a parameter so tests need not wait).
    """

    def __init__(
        self, window: float = SUMMARY_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.window = window
        self.clock = clock
        self._runs: dict[str, _Run] = {}

    def log(self, level: int, kind: str, message: str, *args: object) -> bool:
        """Log ``message`` unless the kind already logged within the window; True if logged."""
        now = self.clock()
        run = self._runs.get(kind)
        if run is not None and now - run.since < self.window:
            run.count += 1
            return False
        if run is not None and run.count:
            message += " (%d more since the last line, %d s ago)"
            args = (*args, run.count, int(now - run.since))
        log.log(level, message, *args)
        self._runs[kind] = _Run(now)
        return True


def transient(error: BaseException | None) -> bool:
    """A failure of the network or of Telegram's servers that goes away by itself."""
    return isinstance(error, RetryAfter) or (
        isinstance(error, NetworkError) and not isinstance(error, BadRequest)
    )


def log_telegram_failure(repeats: RepeatedErrors, error: TelegramError, polling: bool) -> None:
    """One line, no traceback, for a Conflict or a transient failure."""
    where = "polling for updates" if polling else "answering an update"
    if isinstance(error, Conflict):
        repeats.log(logging.ERROR, "conflict", CONFLICT_LINE, error.message)
        return
    kind = f"{where}:{type(error).__name__}:{error.message}"
    repeats.log(
        logging.WARNING,
        kind,
        "Telegram unreachable while %s (%s: %s); retrying",
        where,
        type(error).__name__,
        error.message,
    )


def _text(services: Services, error: BaseException | None) -> str:
    if isinstance(error, DomainError):
        return services.texts.error(error)
    return services.texts.msg("staf_galat.umum")


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Registered with ``Application.add_error_handler``; never raises."""
    error = context.error
    polling = update is None
    if isinstance(error, TelegramError) and (transient(error) or isinstance(error, Conflict)):
        repeats = context.application.bot_data.setdefault(REPEATS_KEY, RepeatedErrors())
        log_telegram_failure(repeats, error, polling)
        if polling:
            return
    elif isinstance(error, DomainError):
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
    except TelegramError as exc:  # Telegram is failing already: its traceback tells nothing new
        log.warning("could not tell the person about the failure: %s", exc)
