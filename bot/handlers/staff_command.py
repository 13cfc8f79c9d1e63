"""How a staff command runs: staff only, usage errors answered in place, no other group after it.

Every command of the staff group (:mod:`bot.handlers.staff`, :mod:`bot.handlers.holidays`,
``/kesehatan``) is wrapped in :func:`command` and reads its arguments with :func:`arguments`.
"""

from __future__ import annotations

from typing import Any

from telegram import Message, Update
from telegram.ext import ApplicationHandlerStop

from bot.domain.errors import IllegalTransition
from bot.domain.text_input import normalise
from bot.domain.ticket import normalise_number
from bot.guards import Context, Handler, staff_only
from bot.handlers.staff_buttons import explain_refusal
from bot.notify import reply_html
from bot.services import Services
from bot.text import echo


class Usage(Exception):
    """A command typed wrongly: the reply is the catalog message ``key``."""

    def __init__(self, key: str, **context: Any) -> None:
        self.key = key
        self.context = context
        super().__init__(key)


def level_keys(services: Services) -> str:
    """The priority levels as staff type them, for usage messages."""
    return "|".join(services.priorities.levels)


def arguments(message: Message, count: int) -> list[str]:
    """The command's arguments, the last one keeping its own spaces and line breaks."""
    text = normalise(message.text or "")  # staff text is stored and mailed: no invisibles
    return text.split(maxsplit=count)[1:]


def ticket_number(raw: str) -> str:
    number = normalise_number(raw)
    if number is None:
        raise Usage("staf_pakai.nomor_salah", teks=raw)
    return number


def command(name: str, handler: Handler) -> Handler:
    """Staff-only, with usage errors answered in place and no other group seeing the update."""

    @staff_only
    async def run(update: Update, context: Context) -> None:
        services = context.services
        try:
            await handler(update, context)
        except IllegalTransition as exc:  # someone else was faster, or the state is wrong
            message = update.effective_message
            assert message is not None
            await reply_html(message, await explain_refusal(services, exc))
        except Usage as usage:
            message = update.effective_message
            assert message is not None
            # What the person typed is quoted back cut short (a 5,000-digit "number" too).
            echoed = {k: echo(v) if isinstance(v, str) else v for k, v in usage.context.items()}
            context_ = {"tingkat": level_keys(services), **echoed}
            text = services.texts.msg(usage.key, **context_)
            if usage.key != f"staf_pakai.{name}":
                text += "\n" + services.texts.msg(
                    f"staf_pakai.{name}", tingkat=level_keys(services)
                )
            await reply_html(message, text)
        raise ApplicationHandlerStop

    return run
