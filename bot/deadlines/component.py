"""The deadlines component: clocks on every workflow step, the sweep, the briefing, /laporan.

Listed in :data:`bot.app.COMPONENTS`. ``register`` wires everything: the clock listener runs
inside every workflow transaction, one repeating sweep job and one daily briefing job go on
python-telegram-bot's JobQueue, and ``/laporan`` answers in the staff group.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Coroutine
from datetime import timedelta
from typing import Any

from telegram import Update
from telegram.ext import Application, ApplicationHandlerStop, CommandHandler, filters

from bot.deadlines.briefing import briefing_job, catch_up_job
from bot.deadlines.clocks import ClockKeeper
from bot.deadlines.report_command import laporan, outside_staff_group
from bot.deadlines.sweep import SWEEPER_KEY, Sweeper, sweep_job
from bot.notify import Notifier
from bot.outbox.notifier import QueuedNotifier
from bot.outbox.pacing import Priority
from bot.outbox.queue import queue_of
from bot.services import SERVICES_KEY, Services

KEEPER_KEY = "deadlines.keeper"
#: The repeating sweep's JobQueue name, and where it notes when it last finished (services
#: clock): ``/kesehatan`` reads both to tell a stalled scheduler from a quiet one.
SWEEP_JOB = "tenggat_sweep"
LAST_SWEEP_KEY = "deadlines.last_sweep"
#: The staff side's handler group: /laporan is answered before the user side's catch-all for
#: unknown private commands, so a user who tries it learns where it works.
GROUP = -1
#: Monday to Friday in python-telegram-bot's numbering (0 is Sunday since v20); holidays and
#: local closures are skipped by the job itself.
WORKING_WEEKDAYS = (1, 2, 3, 4, 5)


def install(services: Services, notifier: Notifier | QueuedNotifier) -> Sweeper:
    """Register the clock listener and create the sweeper (without Telegram jobs, for tests)."""
    keeper = ClockKeeper(services)
    services.workflow.add_listener(keeper)
    sweeper = Sweeper(services, notifier)
    services.extras[KEEPER_KEY] = keeper
    services.extras[SWEEPER_KEY] = sweeper
    return sweeper


def register(application: Application[Any, Any, Any, Any, Any, Any], services: Services) -> None:
    settings = services.settings
    install(services, QueuedNotifier(queue_of(services), Priority.ALERT))
    jobs = application.job_queue
    if jobs is None:  # pragma: no cover - the job-queue extra is a dependency
        raise RuntimeError("python-telegram-bot[job-queue] is required for the deadline sweep")
    jobs.run_repeating(
        _scheduled_sweep,
        interval=timedelta(seconds=settings.sweep_interval_seconds),
        first=timedelta(seconds=1),
        name=SWEEP_JOB,
        job_kwargs={"max_instances": 1, "coalesce": True, "misfire_grace_time": None},
    )
    jobs.run_daily(
        briefing_job,
        time=settings.daily_briefing_time.replace(tzinfo=settings.tz),
        days=WORKING_WEEKDAYS,
        name="tenggat_briefing",
    )
    jobs.run_once(catch_up_job, when=timedelta(seconds=5), name="tenggat_briefing_susulan")
    staff = filters.Chat(settings.staff_chat_id)
    application.add_handler(CommandHandler("laporan", _final(laporan), filters=staff), GROUP)
    application.add_handler(
        CommandHandler("laporan", _final(outside_staff_group), filters=~staff), GROUP
    )


async def _scheduled_sweep(context: Any) -> None:
    """One sweep from the JobQueue; only a sweep that finished counts as the scheduler's pulse."""
    await sweep_job(context)
    services: Services = context.bot_data[SERVICES_KEY]
    services.extras[LAST_SWEEP_KEY] = services.clock()


def _final(
    handler: Callable[[Update, Any], Awaitable[None]],
) -> Callable[[Update, Any], Coroutine[Any, Any, None]]:
    """Stop the update after ``handler``: no other component answers ``/laporan`` again."""

    @functools.wraps(handler)
    async def run(update: Update, context: Any) -> None:
        await handler(update, context)
        raise ApplicationHandlerStop

    return run
