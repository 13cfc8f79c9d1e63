"""Registration wires the clock listener, one sweep job, the briefing jobs and /laporan."""

from __future__ import annotations

from telegram.ext import Application, CommandHandler

from bot.conversations.persistence import SqliteConversationPersistence
from bot.deadlines.clocks import ClockKeeper
from bot.deadlines.sweep import Sweeper
from bot.registration import register
from bot.services import Services
from tests.support.settings import TOKEN


async def test_register_adds_one_sweep_job_the_briefing_and_the_command(
    services: Services,
) -> None:
    persistence = SqliteConversationPersistence(services.db)
    application = Application.builder().token(TOKEN).persistence(persistence).build()
    register(application, services)
    assert any(isinstance(listener, ClockKeeper) for listener in services.workflow.listeners)
    assert isinstance(services.sweeper, Sweeper)
    assert application.job_queue is not None
    jobs = {job.name: job for job in application.job_queue.jobs()}
    assert set(jobs) == {"tenggat_sweep", "tenggat_briefing", "tenggat_briefing_susulan"}
    sweep_trigger = jobs["tenggat_sweep"].job.trigger
    assert sweep_trigger.interval.total_seconds() == services.settings.sweep_interval_seconds
    briefing = jobs["tenggat_briefing"].job.trigger
    assert str(briefing.fields[4]) == "mon,tue,wed,thu,fri"  # APScheduler's day_of_week field
    commands = [
        h for group in application.handlers.values() for h in group
        if isinstance(h, CommandHandler) and "laporan" in h.commands
    ]  # fmt: skip
    assert len(commands) == 2  # the staff group's, and the polite refusal elsewhere
