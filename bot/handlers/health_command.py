"""``/kesehatan`` in the staff group: is every part of the bot working right now?

A module (added in :mod:`bot.registration`) of its own so the staff component stays about
tickets.
The command answers "memeriksa…" at once, runs every probe of :mod:`bot.health` concurrently
through the running bot (its own ``getMe``, its database connection, its JobQueue) and edits
that message into one OK/GAGAL line per part, so staff see a mail outage or a stalled deadline
sweep without shell access to the server.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from markupsafe import Markup
from telegram import Update
from telegram.ext import Application

from bot.clock import utc_now
from bot.deadlines.component import SWEEP_JOB
from bot.guards import Context
from bot.health import (
    TELEGRAM_STUCK,
    ProbeResult,
    probe_database,
    probe_imap,
    probe_outbox,
    probe_quarantine,
    probe_smtp,
    probe_telegram,
    probe_telegram_outbox,
    run_probes,
    scheduler_result,
    sender_auth_result,
)
from bot.notify import reply_html
from bot.services import Services
from bot.text import Texts

HEALTH_TIMEOUT = 10.0
"""Seconds staff wait at most: a dead server becomes a timeout line, not a silent bot."""


def probe_rows(texts: Texts, results: list[ProbeResult]) -> list[dict[str, Any]]:
    """One row per part (working or not, its name, why), for this report and the dashboard."""
    return [
        {
            "ok": result.ok,
            "label": texts.msg(f"staf_kesehatan.label.{result.name}"),
            "rincian": Markup(result.detail(texts)),  # already escaped by the catalog
        }
        for result in results
    ]


def report(texts: Texts, results: list[ProbeResult], now: datetime) -> str:
    """The staff group's message: one line per part, then how many parts failed."""
    failed = sum(result.ok is False for result in results)
    return texts.render(
        "staf_kesehatan", baris=probe_rows(texts, results), gagal=failed, waktu=now
    )


def probe_scheduler(
    application: Application[Any, Any, Any, Any, Any, Any], services: Services
) -> ProbeResult:
    """The JobQueue runs and the deadline sweep finished within a few intervals."""
    jobs = application.job_queue
    running = jobs is not None and jobs.scheduler.running
    # next_t, not Job.enabled: PTB sets that flag only when someone toggles it; a paused or
    # removed job has no next run.
    scheduled = jobs is not None and any(
        job.next_t is not None for job in jobs.get_jobs_by_name(SWEEP_JOB)
    )
    return scheduler_result(
        running=running,
        scheduled=scheduled,
        last_sweep=services.last_sweep,
        started=services.started,
        now=services.clock(),
        interval=timedelta(seconds=services.settings.sweep_interval_seconds),
    )


async def cmd_kesehatan(update: Update, context: Context) -> None:
    """/kesehatan: say "memeriksa…" at once, then edit it into the report."""
    services = context.services
    settings = services.settings
    message = update.effective_message
    assert message is not None
    progress = await reply_html(message, services.texts.msg("staf_kesehatan.memeriksa"))

    async def scheduler() -> ProbeResult:
        return probe_scheduler(context.application, services)

    alert_after = timedelta(minutes=settings.outbox_alert_minutes)
    results = await run_probes(
        {
            "telegram": lambda: probe_telegram(context.bot, settings.staff_chat_id),
            "smtp": lambda: probe_smtp(settings, HEALTH_TIMEOUT),
            "imap": lambda: probe_imap(settings, HEALTH_TIMEOUT),
            "database": lambda: probe_database(services.db),
            "scheduler": scheduler,
            "outbox": lambda: probe_outbox(services.db, services.clock(), alert_after),
            "inbox": lambda: probe_quarantine(services.db),
            "telegram_keluar": lambda: probe_telegram_outbox(
                services.db, utc_now(), TELEGRAM_STUCK
            ),
        },
        HEALTH_TIMEOUT,
    )
    results.append(sender_auth_result(settings))
    await progress.edit_text(report(services.texts, results, services.clock()))
