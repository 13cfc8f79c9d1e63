"""Clocks judged when they stop, through the workflow, with the sweep not yet run."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from bot.deadlines.clocks import ClockKeeper
from bot.domain.measure import Outcome, progress_windows
from bot.domain.sop import Action, Clock
from bot.services import Services
from bot.storage.deadlines import ClockState
from tests.support.clock import WIB, FakeClock
from tests.support.deadlines_fixtures import (
    TO_CANNOT_HANDLE,
    TO_DELIVERED,
    RecordingNotifier,
    clock_rows,
    dl_services,
    lkpp_says,
    report,
    walk,
)
from tests.support.settings import STAFF_CHAT_ID

__all__ = ["dl_services"]

Env = tuple[Services, RecordingNotifier]
S = timedelta(seconds=1)
DAY = timedelta(days=1)
BOUNDARY = [(-S, ClockState.MET), (timedelta(0), ClockState.MET), (S, ClockState.BREACHED)]


def wib(*args: int) -> datetime:
    return datetime(*args, tzinfo=WIB)


async def breach_count(services: Services) -> int:
    return int(await services.db.fetchval("SELECT COUNT(*) FROM breaches"))


async def sweep(services: Services) -> Any:
    from bot.deadlines.sweep import sweeper_of

    return await sweeper_of(services).run()


@pytest.mark.parametrize(("offset", "state"), BOUNDARY)
async def test_escalation_stopped_around_its_limit_is_judged_without_the_sweep(
    dl_services: Env, clock: FakeClock, offset: timedelta, state: ClockState
) -> None:
    services, sent = dl_services
    number = await report(services)
    await walk(services, number, *TO_CANNOT_HANDLE)
    clock.advance(minutes=5, seconds=offset.total_seconds())
    await walk(services, number, Action.ESCALATE, Action.ESCALATION_DELIVERED)
    [row] = await clock_rows(services, number, Clock.ESCALATION)
    assert (row.state, row.measured) == (state, timedelta(minutes=5) + offset)
    assert await breach_count(services) == (1 if state is ClockState.BREACHED else 0)
    # The sweep comes later: it adds no second breach, and tells staff of a late one once.
    clock.advance(seconds=20)
    await sweep(services)
    await sweep(services)
    assert await breach_count(services) == (1 if state is ClockState.BREACHED else 0)
    alerts = [s for s in sent.to(STAFF_CHAT_ID) if "Batas waktu terlewat" in s.html]
    assert len(alerts) == (1 if state is ClockState.BREACHED else 0)
    if alerts:
        assert "Selesai terlambat 1 detik" in alerts[0].html


#: Step 9 and step 12: what leads to the clock, what stops it, and its limit.
_TO_FORWARD = (*TO_DELIVERED, Action.LKPP_REQUEST_DATA, Action.PASS_REQUEST_TO_USER,
               Action.USER_SENDS_DATA)  # fmt: skip
OTHER_CLOCKS = [
    (Clock.FORWARD, _TO_FORWARD, (Action.FORWARD_DATA, Action.FORWARD_DELIVERED), 5 * 60),
    (Clock.LKPP_STATUS, TO_DELIVERED, (Action.LKPP_PROGRESS,), 2 * 86400),
]


@pytest.mark.parametrize(("offset", "state"), BOUNDARY)
@pytest.mark.parametrize(("clock_", "before", "stop", "limit"), OTHER_CLOCKS)
async def test_forward_and_lkpp_status_stopped_around_their_limit(
    dl_services: Env, clock: FakeClock, offset: timedelta, state: ClockState, clock_: Clock,
    before: tuple[Action, ...], stop: tuple[Action, ...], limit: int,
) -> None:  # fmt: skip
    services, _ = dl_services
    number = await report(services)
    await walk(services, number, *before)  # Tuesday 09:00: no weekend in the way
    clock.advance(seconds=limit + offset.total_seconds())
    await walk(services, number, *stop)
    [row] = await clock_rows(services, number, clock_)
    assert (row.state, row.measured) == (state, timedelta(seconds=limit) + offset)


async def test_a_late_stop_after_the_sweep_breached_keeps_one_breach_with_its_real_time(
    dl_services: Env, clock: FakeClock
) -> None:
    services, _ = dl_services
    number = await report(services)
    await walk(services, number, *TO_CANNOT_HANDLE)
    clock.advance(minutes=5)
    await sweep(services)
    clock.advance(minutes=7, seconds=3)
    await walk(services, number, Action.ESCALATE, Action.ESCALATION_DELIVERED)
    [row] = await clock_rows(services, number, Clock.ESCALATION)
    assert row.state is ClockState.BREACHED
    assert row.measured == timedelta(minutes=12, seconds=3)
    elapsed = await services.db.fetchval("SELECT elapsed_seconds FROM breaches")
    assert elapsed == 12 * 60 + 3
    assert await breach_count(services) == 1


async def test_one_tagged_lkpp_email_is_one_measurement(
    dl_services: Env, clock: FakeClock
) -> None:
    services, _ = dl_services
    number = await report(services)
    await walk(services, number, *TO_DELIVERED)
    for hours, mid in ((3, "<p1@lkpp.go.id>"), (20, "<p2@lkpp.go.id>")):
        clock.advance(hours=hours)
        # What the ingest does with a tagged email: the reply, then its class, one Message-ID.
        await lkpp_says(services, number, mid, Action.LKPP_REPLY_RECEIVED, Action.LKPP_PROGRESS)
    # Staff confirming the class hours later is still that email.
    clock.advance(hours=2)
    await lkpp_says(services, number, "<p2@lkpp.go.id>", Action.LKPP_PROGRESS)
    clock.advance(hours=1)
    await lkpp_says(
        services, number, "<s@lkpp.go.id>", Action.LKPP_REPLY_RECEIVED, Action.LKPP_SOLVED
    )
    found = await clock_rows(services, number, Clock.LKPP_PROGRESS)
    measured = [(r.state, r.measured) for r in found if r.state is not ClockState.CANCELLED]
    # Window 1: first email → second (20 h); window 2: second → solved email (3 h). The
    # window the solved email itself opened yields nothing: no 0-second figure.
    assert measured == [
        (ClockState.MET, timedelta(hours=20)),
        (ClockState.MET, timedelta(hours=3)),
    ]


async def test_a_silent_lkpp_chain_is_the_domain_rule_whatever_the_requests(
    dl_services: Env, clock: FakeClock
) -> None:
    services, _ = dl_services
    clock.set(wib(2026, 11, 24, 17, 0))  # Tuesday after office hours
    number = await report(services)
    await walk(services, number, *TO_DELIVERED)  # status due Thu 26 17:00
    # The sweep runs every 20 s until the next Wednesday (sampled at each hour here).
    end = wib(2026, 12, 2, 12, 0)
    while clock() < end:
        clock.advance(hours=1)
        await sweep(services)
    clock.set(wib(2026, 12, 2, 12, 30))
    await walk(services, number, Action.LKPP_PROGRESS)  # LKPP writes at last
    status_due = wib(2026, 11, 26, 17, 0)
    expected = progress_windows(
        status_due, [clock()], clock(), DAY, services.calendar.add_working_time,
        services.calendar.working_time_between,
    )  # fmt: skip
    found = await clock_rows(services, number, Clock.LKPP_PROGRESS)
    keeper = ClockKeeper(services)
    assert [(r.started_at, r.due_at) for r in found] == [(w.start, w.due) for w in expected]
    judged = [r.state for r in found]
    want = {Outcome.BREACHED: ClockState.BREACHED, Outcome.MET: ClockState.MET,
            Outcome.RUNNING: ClockState.RUNNING}  # fmt: skip
    assert judged == [want[w.outcome] for w in expected]
    for row, window in zip(found, expected, strict=True):
        if window.end is not None:
            assert row.measured == window.measured
        else:
            assert keeper.elapsed(row, clock()) == window.measured
    # The first window (Thu 17:00 → the email on Wed 12:30) shows the whole silence.
    assert found[0].measured == 3 * DAY + timedelta(hours=19, minutes=30)
    # Status requests were sent, and none of them stopped a window.
    requests = await services.db.fetchval(
        "SELECT COUNT(*) FROM events WHERE action = ?", (Action.REQUEST_STATUS.value,)
    )
    assert requests == 4


async def test_staff_confirming_an_older_email_after_a_newer_one_measures_nothing(
    dl_services: Env, clock: FakeClock
) -> None:
    services, _ = dl_services
    number = await report(services)
    await walk(services, number, *TO_DELIVERED)
    clock.advance(hours=2)  # an untagged email: staff will confirm its class
    await lkpp_says(services, number, "<a@lkpp.go.id>", Action.LKPP_REPLY_RECEIVED)
    clock.advance(hours=4)
    await lkpp_says(services, number, "<b@lkpp.go.id>", Action.LKPP_REPLY_RECEIVED)
    clock.advance(hours=1)  # staff confirm the first email as progress, an hour later
    await lkpp_says(services, number, "<a@lkpp.go.id>", Action.LKPP_PROGRESS)
    found = await clock_rows(services, number, Clock.LKPP_PROGRESS)
    # Window 1: email a → email b (4 h); window 2 from b still running. Nothing else.
    assert [(r.state, r.measured, r.start_message_id) for r in found] == [
        (ClockState.MET, timedelta(hours=4), "<a@lkpp.go.id>"),
        (ClockState.RUNNING, None, "<b@lkpp.go.id>"),
    ]
