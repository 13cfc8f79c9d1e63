"""The Telegram outbox's sender for tests that run a component without the whole bot."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from telegram import Bot

from bot.mail.staff_outbox import MailKinds
from bot.outbox.component import limits_of
from bot.outbox.incidents import Incidents
from bot.outbox.queue import queue_of
from bot.outbox.sender import Sender
from bot.services import Services

__all__ = ["running_outbox"]


@asynccontextmanager
async def running_outbox(services: Services, bot: Bot) -> AsyncIterator[Sender]:
    """Start the sender (with the mail bridge's kinds) on ``services``; stop it afterwards."""
    queue = queue_of(services)
    incidents = Incidents(services, queue)
    sender = Sender(queue, bot, limits_of(services.settings), incidents)
    MailKinds(services, bot).add_to(sender)
    services.sender = sender
    services.incidents = incidents
    await sender.start()
    try:
        yield sender
    finally:
        await sender.stop()
