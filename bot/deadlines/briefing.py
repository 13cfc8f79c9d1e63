"""The morning briefing for the staff group, on working days only.

It answers the three questions a coordinator asks at 08:00: what is open, what falls due today,
and which time standards were missed since the last briefing (the previous working day, so
Monday's briefing covers Friday and the weekend).
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from typing import Any

from bot.deadlines.sweep import sweeper_of
from bot.domain.sop import OPEN, State
from bot.services import SERVICES_KEY, Services
from bot.storage.deadlines import DeadlineStore

log = logging.getLogger(__name__)

_MAX_LOOKBACK_DAYS = 40


def previous_working_day(services: Services, today: date) -> date:
    """The last working day before ``today`` (a long holiday season included)."""
    day = today - timedelta(days=1)
    for _ in range(_MAX_LOOKBACK_DAYS):
        if services.calendar.is_working_day(day):
            return day
        day -= timedelta(days=1)
    return today - timedelta(days=1)


async def build_briefing(services: Services, now: datetime) -> str:
    """The briefing's HTML for the working day containing ``now``."""
    tz = services.settings.tz
    today = now.astimezone(tz).date()
    start = datetime.combine(today, time(0), tz)
    end = start + timedelta(days=1)
    since = datetime.combine(previous_working_day(services, today), time(0), tz)
    store = DeadlineStore(services.db)
    counts = await services.workflow.store.count_by_state()
    open_counts = [
        (state, counts[state]) for state in State if state in OPEN and counts.get(state)
    ]
    due = await store.running_due_between(start, end)
    breaches = await store.breaches_between(since, start)
    return services.texts.render(
        "tenggat_briefing",
        hari_ini=now,
        terbuka=[(services.texts.msg(f"status.{s.value}"), n) for s, n in open_counts],
        jumlah_terbuka=sum(n for _, n in open_counts),
        jatuh_tempo=[
            (number, services.texts.msg(f"tenggat_jam_singkat.{row.clock.value}"), row.due_at)
            for row, number in due
        ],
        sejak=since,
        pelanggaran=[
            (
                b.number,
                services.texts.msg(f"tenggat_jam_singkat.{b.clock.value}"),
                services.texts.msg(f"tenggat_pihak.{b.responsible.value}"),
                b.detected_at,
            )
            for b in breaches
        ],
    )


async def briefing_job(context: Any) -> None:
    """The JobQueue callback (weekdays at ``DAILY_BRIEFING_TIME``)."""
    await send_briefing(context.bot_data[SERVICES_KEY])


async def catch_up_job(context: Any) -> None:
    """At start-up: today's briefing, if its time has passed while the bot was down."""
    services: Services = context.bot_data[SERVICES_KEY]
    if briefing_is_due(services, services.clock()):
        await send_briefing(services)


def briefing_is_due(services: Services, now: datetime) -> bool:
    """Whether today's briefing should have gone out by ``now`` (a working day, past its time).

    Only until the end of office hours: a bot started in the evening keeps the briefing for
    the next working morning instead of posting yesterday's news.
    """
    settings = services.settings
    local = now.astimezone(settings.tz)
    if not services.calendar.is_working_day(local):
        return False
    _, closing = services.calendar.office_hours.span(local.date())
    return settings.daily_briefing_time <= local.time() < closing


async def send_briefing(services: Services) -> bool:
    """Send today's briefing once: claimed in the database first, released if sending fails."""
    now = services.clock()
    if not services.calendar.is_working_day(now):
        log.info("no briefing today: not a working day")
        return False
    store = DeadlineStore(services.db)
    today = now.astimezone(services.settings.tz).date()
    if not await store.claim_briefing(today, now):
        log.info("briefing of %s already sent", today)
        return False
    try:
        html = await build_briefing(services, now)
        await sweeper_of(services).send_staff(html, now)
    except BaseException:
        await store.release_briefing(today)
        raise
    return True
