"""Each clock's start, pause, resume, met and breach, in working time, through the workflow."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from bot.deadlines.clocks import next_deadline
from bot.domain.errors import IllegalTransition
from bot.domain.sop import Action, Actor, Clock
from bot.services import Services
from bot.storage.deadlines import ClockState, DeadlineRow, DeadlineStore
from tests.support.clock import WIB, FakeClock
from tests.support.deadlines_fixtures import (
    STAFF,
    TO_CANNOT_HANDLE,
    TO_DELIVERED,
    RecordingNotifier,
    dl_services,
    report,
    walk,
)

__all__ = ["dl_services"]

Env = tuple[Services, RecordingNotifier]


async def rows(services: Services, number: str, clock: Clock) -> list[DeadlineRow]:
    ticket = await services.workflow.get(number)
    assert ticket.id is not None
    return [r for r in await DeadlineStore(services.db).for_ticket(ticket.id) if r.clock is clock]


async def only(services: Services, number: str, clock: Clock) -> DeadlineRow:
    found = await rows(services, number, clock)
    assert len(found) == 1, found
    return found[0]


def wib(*args: int) -> datetime:
    return datetime(*args, tzinfo=WIB)


async def test_escalation_clock_starts_with_cannot_handle_and_is_met_on_delivery(
    dl_services: Env, clock: FakeClock
) -> None:
    services, _ = dl_services
    number = await report(services)
    await walk(services, number, *TO_CANNOT_HANDLE)
    row = await only(services, number, Clock.ESCALATION)
    assert row.state is ClockState.RUNNING
    assert row.started_at == wib(2026, 11, 24, 9, 0)
    assert row.due_at == wib(2026, 11, 24, 9, 5)
    assert row.nudge_at == wib(2026, 11, 24, 9, 3)
    clock.advance(minutes=4)
    await walk(services, number, Action.ESCALATE, Action.ESCALATION_DELIVERED)
    row = await only(services, number, Clock.ESCALATION)
    assert row.state is ClockState.MET
    assert row.measured == timedelta(minutes=4)
    assert row.wake_at is None
    status = await only(services, number, Clock.LKPP_STATUS)
    assert status.due_at == wib(2026, 11, 26, 9, 4)  # Tuesday + 2 working days
    target = await only(services, number, Clock.PRIORITY_TARGET)
    assert target.due_at == wib(2026, 11, 27, 9, 4)  # "menengah": 3 working days


async def test_cancelled_escalation_is_not_counted_as_met(dl_services: Env) -> None:
    services, _ = dl_services
    number = await report(services)
    await walk(services, number, *TO_CANNOT_HANDLE, Action.CANCEL_ESCALATION)
    row = await only(services, number, Clock.ESCALATION)
    assert row.state is ClockState.CANCELLED
    assert row.met_at is None


async def test_minute_clock_started_on_saturday_counts_from_monday(
    dl_services: Env, clock: FakeClock
) -> None:
    services, _ = dl_services
    clock.set(wib(2026, 11, 28, 10, 0))
    number = await report(services)
    await walk(services, number, *TO_CANNOT_HANDLE)
    row = await only(services, number, Clock.ESCALATION)
    assert row.due_at == wib(2026, 11, 30, 0, 5)


async def test_lkpp_status_skips_a_weekend(dl_services: Env, clock: FakeClock) -> None:
    services, _ = dl_services
    clock.set(wib(2026, 11, 26, 10, 0))  # Thursday
    number = await report(services)
    await walk(services, number, *TO_DELIVERED)
    assert (await only(services, number, Clock.LKPP_STATUS)).due_at == wib(2026, 11, 30, 10, 0)


async def test_lkpp_status_skips_cuti_bersama_and_christmas(
    dl_services: Env, clock: FakeClock
) -> None:
    services, _ = dl_services
    clock.set(wib(2026, 12, 23, 10, 0))  # Wed; 24 Dec cuti bersama, 25 Dec Natal
    number = await report(services)
    await walk(services, number, *TO_DELIVERED)
    assert (await only(services, number, Clock.LKPP_STATUS)).due_at == wib(2026, 12, 29, 10, 0)


async def test_lkpp_status_skips_a_local_closure(dl_services: Env, clock: FakeClock) -> None:
    services, _ = dl_services
    async with services.db.transaction():
        await services.workflow.store.set_override(
            date(2026, 11, 27), "tutup", "Rapat kerja", None, clock()
        )
    await services.reload_calendar()
    clock.set(wib(2026, 11, 26, 10, 0))
    number = await report(services)
    await walk(services, number, *TO_DELIVERED)
    assert (await only(services, number, Clock.LKPP_STATUS)).due_at == wib(2026, 12, 1, 10, 0)


async def test_priority_target_pauses_while_the_user_is_asked_and_resumes(
    dl_services: Env, clock: FakeClock
) -> None:
    services, _ = dl_services
    number = await report(services)
    await walk(services, number, *TO_DELIVERED)  # Tue 09:00, target Fri 27 09:00
    clock.advance(hours=1)
    await walk(services, number, Action.LKPP_REQUEST_DATA)
    status = await only(services, number, Clock.LKPP_STATUS)
    assert status.state is ClockState.MET
    assert status.measured == timedelta(hours=1)
    clock.advance(hours=1)  # Tue 11:00
    await walk(services, number, Action.PASS_REQUEST_TO_USER)
    target = await only(services, number, Clock.PRIORITY_TARGET)
    assert target.state is ClockState.PAUSED
    assert target.remaining == timedelta(days=3) - timedelta(hours=2)
    assert target.wake_at is None
    answer = await only(services, number, Clock.USER_ANSWER)
    assert answer.nudge_at == wib(2026, 11, 25, 11, 0)
    assert answer.due_at == wib(2026, 11, 26, 11, 0)
    clock.advance(days=1)  # Wed 11:00
    await walk(services, number, Action.USER_SENDS_DATA)
    assert (await only(services, number, Clock.USER_ANSWER)).measured == timedelta(days=1)
    forward = await only(services, number, Clock.FORWARD)
    assert forward.due_at == wib(2026, 11, 25, 11, 5)
    clock.advance(minutes=2)
    await walk(services, number, Action.FORWARD_DATA)
    target = await only(services, number, Clock.PRIORITY_TARGET)
    assert target.state is ClockState.RUNNING
    assert target.paused == timedelta(days=1, minutes=2)
    assert target.due_at == wib(2026, 11, 28, 0, 0) + timedelta(days=2, hours=9, minutes=2)
    clock.advance(minutes=1)
    await walk(services, number, Action.FORWARD_DELIVERED)
    forward = await only(services, number, Clock.FORWARD)
    assert (forward.state, forward.measured) == (ClockState.MET, timedelta(minutes=3))
    progress = await only(services, number, Clock.LKPP_PROGRESS)
    assert progress.due_at == wib(2026, 11, 26, 11, 3)


async def test_each_lkpp_email_meets_the_progress_clock_and_starts_the_next(
    dl_services: Env, clock: FakeClock
) -> None:
    services, _ = dl_services
    number = await report(services)
    await walk(services, number, *TO_DELIVERED)
    clock.advance(hours=3)
    await walk(services, number, Action.LKPP_PROGRESS)
    clock.advance(hours=20)
    await walk(services, number, Action.LKPP_PROGRESS)
    found = await rows(services, number, Clock.LKPP_PROGRESS)
    assert [(r.sequence, r.state) for r in found] == [
        (1, ClockState.MET),
        (2, ClockState.RUNNING),
    ]
    assert found[0].measured == timedelta(hours=20)
    assert found[1].due_at == wib(2026, 11, 26, 8, 0)


async def test_new_priority_moves_the_target(dl_services: Env) -> None:
    services, _ = dl_services
    number = await report(services)
    await walk(services, number, *TO_DELIVERED)
    await services.workflow.apply(
        number, Action.SET_PRIORITY, Actor.STAFF, STAFF, {"priority": "tinggi"}
    )
    target = await only(services, number, Clock.PRIORITY_TARGET)
    assert target.due_at == wib(2026, 11, 25, 9, 0)
    assert target.wake_at == target.due_at


async def test_user_cancelling_cancels_every_running_clock(dl_services: Env) -> None:
    services, _ = dl_services
    number = await report(services)
    await walk(services, number, *TO_DELIVERED, Action.USER_CANCELS)
    ticket = await services.workflow.get(number)
    assert ticket.id is not None
    states = {r.clock: r.state for r in await DeadlineStore(services.db).for_ticket(ticket.id)}
    assert states[Clock.LKPP_STATUS] is ClockState.CANCELLED
    assert states[Clock.PRIORITY_TARGET] is ClockState.CANCELLED
    assert await next_deadline(services, ticket.id) is None


async def test_next_deadline_is_the_soonest_running_clock(dl_services: Env) -> None:
    services, _ = dl_services
    number = await report(services)
    await walk(services, number, *TO_DELIVERED)
    ticket = await services.workflow.get(number)
    assert ticket.id is not None
    assert await next_deadline(services, ticket.id) == (
        Clock.LKPP_STATUS,
        wib(2026, 11, 26, 9, 0),
    )


async def test_pause_over_christmas_counts_only_working_time(
    dl_services: Env, clock: FakeClock
) -> None:
    services, _ = dl_services
    clock.set(wib(2026, 12, 22, 12, 0))  # Tuesday
    number = await report(services)
    await walk(services, number, *TO_DELIVERED, Action.LKPP_REQUEST_DATA)
    before = (await only(services, number, Clock.PRIORITY_TARGET)).due_at
    assert before == wib(2026, 12, 29, 12, 0)  # 22, 23, then 28 (24-27 not working), 29 noon
    clock.set(wib(2026, 12, 23, 12, 0))
    await walk(services, number, Action.PASS_REQUEST_TO_USER)
    clock.set(wib(2026, 12, 28, 12, 0))  # Monday after cuti bersama, Natal and the weekend
    await walk(services, number, Action.USER_SENDS_DATA, Action.FORWARD_DATA)
    target = await only(services, number, Clock.PRIORITY_TARGET)
    assert target.paused == timedelta(hours=24)  # Wednesday afternoon + Monday morning
    assert target.due_at == wib(2026, 12, 30, 12, 0)
    answer = await only(services, number, Clock.USER_ANSWER)
    assert answer.state is ClockState.MET
    assert answer.measured == timedelta(hours=24)


async def test_lkpp_email_after_the_solution_starts_no_clock(
    dl_services: Env, clock: FakeClock
) -> None:
    services, _ = dl_services
    number = await report(services)
    await walk(services, number, *TO_DELIVERED)
    clock.advance(hours=2)
    await walk(services, number, Action.LKPP_SOLVED)
    clock.advance(hours=2)
    with pytest.raises(IllegalTransition):  # strict threading: a thank-you after "solved"
        await walk(services, number, Action.LKPP_REPLY_RECEIVED)
    assert await rows(services, number, Clock.LKPP_PROGRESS) == []
    ticket = await services.workflow.get(number)
    assert ticket.id is not None
    assert await next_deadline(services, ticket.id) is None
