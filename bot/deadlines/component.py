"""The deadlines component: clocks on every workflow step, the sweep, the briefing, /laporan.

``install`` adds the clock listener, which runs inside every workflow transaction, and creates
the sweeper. :mod:`bot.registration` puts one repeating sweep job and the daily briefing on
python-telegram-bot's JobQueue, and ``/laporan`` in the staff group.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from telegram import Update
from telegram.ext import ApplicationHandlerStop

from bot.context import services_of
from bot.deadlines.clocks import ClockKeeper
from bot.deadlines.sweep import Sweeper, sweep_job
from bot.notify import Notifier
from bot.outbox.notifier import QueuedNotifier
from bot.outbox.pacing import Priority
from bot.outbox.queue import queue_of
from bot.services import Services

#: The repeating sweep's JobQueue name: ``/kesehatan`` reads it and ``Services.last_sweep`` to
#: tell a stalled scheduler from a quiet one.
SWEEP_JOB = "tenggat_sweep"
#: Monday to Friday in python-telegram-bot's numbering (0 is Sunday since v20); holidays and
#: local closures are skipped by the job itself.
WORKING_WEEKDAYS = (1, 2, 3, 4, 5)


def install(services: Services, notifier: Notifier | QueuedNotifier) -> Sweeper:
    """Register the clock listener and create the sweeper (without Telegram jobs, for tests)."""
    keeper = ClockKeeper(services)
    services.workflow.add_listener(keeper)
    sweeper = Sweeper(services, notifier)
    services.clock_keeper = keeper
    services.sweeper = sweeper
    return sweeper


def install_with_outbox(services: Services) -> Sweeper:
    """:func:`install` with alerts sent through the Telegram outbox, as the running bot does."""
    return install(services, QueuedNotifier(queue_of(services), Priority.ALERT))


async def scheduled_sweep(context: Any) -> None:
    """One sweep from the JobQueue; only a sweep that finished counts as the scheduler's pulse."""
    await sweep_job(context)
    services: Services = services_of(context)
    services.last_sweep = services.clock()


def final(
    handler: Callable[[Update, Any], Awaitable[None]],
) -> Callable[[Update, Any], Coroutine[Any, Any, None]]:
    """Stop the update after ``handler``: no other component answers ``/laporan`` again."""

    @functools.wraps(handler)
    async def run(update: Update, context: Any) -> None:
        await handler(update, context)
        raise ApplicationHandlerStop

    return run
