"""The SOP's clocks, moved by the workflow: each step's ``ClockEffect`` applied in its transaction.

Handlers never start or stop a clock: :class:`ClockKeeper` is a workflow listener, so a clock
changes in the same commit as the step that moved it, or not at all. Every duration is working
time (:class:`bot.workdays.WorkingCalendar`): a weekend, a national holiday, *cuti bersama* or a
local closure does not count against anyone.

A clock row keeps its limit (``limit``) and, for clocks with an earlier warning, the warning's
offset (``nudge_offset``) as working time from the start; pauses are summed in ``paused``, so the
due instant after a resume is simply "what was left, counted from now".

How a stopped clock is judged, and how LKPP's progress windows chain, is the domain's rule
(:mod:`bot.domain.measure`): this module applies it as steps happen. A clock is met or breached
when it stops, by its measured time against its limit; the sweep only acts at the deadline
(alerts, status requests) and opens the next progress window at a lapsed window's deadline.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timedelta

from bot.domain.measure import is_met, same_email
from bot.domain.sop import (
    CLOCK_OWNER,
    FINAL,
    TRANSITIONS_BY_ACTION,
    WITH_LKPP,
    Action,
    Actor,
    Clock,
    State,
)
from bot.services import Services
from bot.storage.deadlines import ClockState, DeadlineRow, DeadlineStore, NextAction
from bot.workflow import Applied

log = logging.getLogger(__name__)

#: Clocks measured in minutes: staff are nudged before the deadline.
MINUTE_CLOCKS = frozenset({Clock.ESCALATION, Clock.FORWARD})
#: Clocks whose lapse sends LKPP a status request and starts the next progress clock.
LKPP_CLOCKS = frozenset({Clock.LKPP_STATUS, Clock.LKPP_PROGRESS})
#: Clocks LKPP answers for: they run only while the ticket is with LKPP (the domain's
#: ``WITH_LKPP``). An LKPP email or a late delivery receipt for a ticket already solved, handed
#: back to LPSE or closed must not start a daily clock nobody can ever stop.
LKPP_SIDE = frozenset({Clock.LKPP_STATUS, Clock.LKPP_PROGRESS, Clock.PRIORITY_TARGET})
#: Steps that stop a clock because the work was abandoned, not done: not counted as met.
_ABANDONING = frozenset({Action.CANCEL_ESCALATION, Action.USER_CANCELS})
#: At most this many lapsed windows are chained in one step (a year of working days).
_MAX_CATCH_UP = 300


def limits(services: Services, clock: Clock, priority: str) -> tuple[timedelta, timedelta | None]:
    """The working time a clock allows, and when (from its start) the early warning is due.

    Args:
        priority: The ticket's priority key; only the priority target uses it.
    """
    standards = services.settings.standards
    day = timedelta(days=1)
    if clock in MINUTE_CLOCKS:
        limit = standards.escalate if clock is Clock.ESCALATION else standards.forward_data
        before = standards.nudge_before
        return limit, (limit - before if timedelta(0) < before < limit else None)
    if clock is Clock.LKPP_STATUS:
        return day * standards.lkpp_status_working_days, None
    if clock is Clock.LKPP_PROGRESS:
        return day * standards.lkpp_progress_working_days, None
    if clock is Clock.USER_ANSWER:
        reminder = day * standards.user_reminder_working_days
        alert = day * standards.user_staff_alert_working_days
        return alert, (reminder if reminder < alert else None)
    try:
        days = services.priorities.level(priority).target_working_days
    except KeyError:
        days = services.priorities.level(services.priorities.default).target_working_days
    return day * days, None


def _early_action(clock: Clock) -> NextAction:
    return NextAction.REMIND if clock is Clock.USER_ANSWER else NextAction.NUDGE


class ClockKeeper:
    """Starts, stops, pauses and resumes clock rows; registered as a workflow listener."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.store = DeadlineStore(services.db)

    async def __call__(self, applied: Applied) -> None:
        """Apply the step's clock effects (the workflow calls this inside its transaction)."""
        ticket = applied.ticket
        assert ticket.id is not None
        message_id = applied.details.get("message_id")
        await self.apply(
            ticket.id, applied.step.action, applied.step.actor, applied.step.source,
            ticket.state, ticket.priority, applied.at,
            message_id=message_id if isinstance(message_id, str) else None,
        )  # fmt: skip

    async def apply(
        self, ticket_id: int, action: Action, actor: Actor,
        source: State | None, state: State, priority: str, at: datetime,
        message_id: str | None = None,
    ) -> None:  # fmt: skip
        """The clock effects of ``action`` (from ``source`` to ``state``); replays use it too.

        Args:
            message_id: The LKPP email behind an LKPP step, when known: a second step of the
                same email (the tagged or confirmed class) neither meets nor measures the
                window that email opened.
        """
        effects = TRANSITIONS_BY_ACTION[action].clocks
        abandoned = action in _ABANDONING or state in FINAL
        await self.catch_up(ticket_id, at, source or state, priority)
        progress = await self.store.active(ticket_id, Clock.LKPP_PROGRESS)
        opened_it = progress is not None and same_email(progress.start_message_id, message_id)
        echo = (
            actor is Actor.LKPP
            and action is not Action.LKPP_REPLY_RECEIVED
            and message_id is not None
            and (opened_it or await self.store.email_recorded(ticket_id, message_id, at))
        )
        if actor is Actor.LKPP and not echo:
            for clock in LKPP_CLOCKS:  # LKPP wrote: every lapsed window's silence ends here
                await self.close_breaches(ticket_id, clock, at)
        for clock in effects.stop:
            if echo and clock is Clock.LKPP_PROGRESS:
                # The email was measured when it came: the window it opened yields nothing; a
                # later window ends with LKPP's duty, counted only if it had already lapsed.
                await self.stop(ticket_id, clock, at, cancelled=True, counted=not opened_it)
                continue
            await self.stop(ticket_id, clock, at, cancelled=abandoned)
        for clock in effects.pause:
            await self.pause(ticket_id, clock, at)
        for clock in effects.resume:
            await self.resume(ticket_id, clock, at)
        for clock in effects.start:
            if echo and clock is Clock.LKPP_PROGRESS:
                continue  # the running window goes on: this email was already counted
            if clock in LKPP_SIDE and state not in WITH_LKPP:
                log.info("ticket %s is not with LKPP (%s): %s not started", ticket_id, state,
                         clock)  # fmt: skip
                continue
            started_by = message_id if actor is Actor.LKPP else None
            await self.start(ticket_id, clock, at, priority, started_by=started_by)
        if action is Action.SET_PRIORITY:
            await self.reprioritise(ticket_id, at, priority)
        if state in FINAL:
            for clock in Clock:
                await self.stop(ticket_id, clock, at, cancelled=True)

    # --- effects ---------------------------------------------------------------------------
    def elapsed(self, row: DeadlineRow, at: datetime) -> timedelta:
        """Working time the clock has run by ``at``, pauses left out."""
        end = row.paused_at if row.state is ClockState.PAUSED and row.paused_at else at
        worked = self.services.calendar.working_time_between(row.started_at, end)
        return max(worked - row.paused, timedelta(0))

    async def start(
        self, ticket_id: int, clock: Clock, at: datetime,
        priority: str, started_by: str | None = None,
    ) -> int:  # fmt: skip
        """Start ``clock``; one already running is judged now and a new one (next sequence) starts.

        That restart is how LKPP's daily progress duty works: each LKPP email ends the running
        window (met, or late when past its limit) and opens the next.

        Args:
            started_by: The Message-ID of the LKPP email that opens this clock, if any.
        """
        await self._stop_active(ticket_id, clock, at, cancelled=False, counted=True)
        limit, nudge_offset = limits(self.services, clock, priority)
        calendar = self.services.calendar
        due = calendar.add_working_time(at, limit)
        nudge_at = None if nudge_offset is None else calendar.add_working_time(at, nudge_offset)
        sequence = await self.store.last_sequence(ticket_id, clock) + 1
        return await self.store.insert(
            ticket_id=ticket_id,
            clock=clock,
            sequence=sequence,
            started_at=at,
            due_at=due,
            limit=limit,
            nudge_at=nudge_at,
            nudge_offset=nudge_offset,
            next_action=NextAction.BREACH if nudge_at is None else _early_action(clock),
            wake_at=due if nudge_at is None else nudge_at,
            start_message_id=started_by,
        )

    async def stop(
        self, ticket_id: int, clock: Clock, at: datetime,
        cancelled: bool = False, counted: bool = True,
    ) -> None:  # fmt: skip
        """Stop ``clock``: met when its measured time is within its limit, else breached.

        A clock already breached (the sweep saw its deadline pass) keeps its one breach and gets
        its real time (the report's worst time), and a pending status request is dropped.

        Args:
            cancelled: The work was abandoned: within the limit the clock is not counted.
            counted: ``False`` for a window that must yield no measurement at all.
        """
        await self._stop_active(ticket_id, clock, at, cancelled=cancelled, counted=counted)
        await self.close_breaches(ticket_id, clock, at)

    async def close_breaches(self, ticket_id: int, clock: Clock, at: datetime) -> None:
        """End the open breaches of ``clock`` at ``at``: their time is now known."""
        for breached in await self.store.unstopped_breaches(ticket_id, clock):
            measured = self.elapsed(breached, at)
            await self.store.update(
                breached.id, at, stopped_at=at, measured_seconds=measured,
                next_action=None, wake_at=None, claim_token=None,
            )  # fmt: skip
            await self.store.set_breach_time(breached.id, measured)

    async def _stop_active(
        self, ticket_id: int, clock: Clock, at: datetime, *,
        cancelled: bool, counted: bool,
    ) -> None:  # fmt: skip
        row = await self.store.active(ticket_id, clock)
        if row is None:
            return
        measured = self.elapsed(row, at)
        if not counted or (cancelled and is_met(measured, row.limit)):
            await self.store.update(
                row.id, at, state=ClockState.CANCELLED, stopped_at=at,
                measured_seconds=measured, next_action=None, wake_at=None, claim_token=None,
                paused_at=None,
            )  # fmt: skip
            return
        if is_met(measured, row.limit):
            await self.store.update(
                row.id, at, state=ClockState.MET, met_at=at, stopped_at=at,
                measured_seconds=measured, next_action=None, wake_at=None, claim_token=None,
                paused_at=None,
            )  # fmt: skip
            return
        # Late: decided now, whatever the sweep has seen. The sweep still sends the alert
        # (its next action is the breach, due at once) but adds no second record.
        late = replace(row, state=ClockState.BREACHED)
        await self.store.update(
            row.id, at, state=ClockState.BREACHED, breached_at=min(row.due_at, at),
            stopped_at=at, measured_seconds=measured, paused_at=None,
            next_action=NextAction.BREACH, wake_at=at, claim_token=None,
        )  # fmt: skip
        await self.store.add_breach(late, CLOCK_OWNER[row.clock], at, measured)

    async def lapse(
        self, row: DeadlineRow, at: datetime, state: State,
        priority: str,
    ) -> bool:  # fmt: skip
        """Record that ``row`` passed its deadline unstopped (an open breach); ``True`` if new.

        An LKPP window that lapses opens the next one at its deadline (step 14), whether or not
        the status request can be sent yet: LKPP's duty does not wait for office hours.

        Args:
            state: The ticket's state at the deadline: only a ticket with LKPP gets a window.
        """
        if row.state is not ClockState.RUNNING:
            return False
        elapsed = self.elapsed(row, at)
        await self.store.update(row.id, at, state=ClockState.BREACHED, breached_at=row.due_at)
        await self.store.add_breach(row, CLOCK_OWNER[row.clock], at, elapsed)
        if row.clock in LKPP_CLOCKS and state in WITH_LKPP:
            await self.start(row.ticket_id, Clock.LKPP_PROGRESS, row.due_at, priority)
        return True

    async def catch_up(
        self, ticket_id: int, at: datetime, state: State,
        priority: str,
    ) -> None:  # fmt: skip
        """Lapse the LKPP windows whose deadline passed before ``at`` (the sweep may lag).

        So the chain is the same whether the sweep ran at each deadline or the bot was down:
        the sweep still sends each lapse's alert and status request when it comes to it.
        """
        for _ in range(_MAX_CATCH_UP):
            lapsed = False
            for clock in LKPP_CLOCKS:
                row = await self.store.active(ticket_id, clock)
                if row is not None and row.state is ClockState.RUNNING and row.due_at < at:
                    await self.lapse(row, at, state, priority)
                    await self.store.update(
                        row.id, at, next_action=NextAction.BREACH, wake_at=at,
                        claim_token=None,
                    )  # fmt: skip
                    lapsed = True
            if not lapsed:
                return

    async def pause(self, ticket_id: int, clock: Clock, at: datetime) -> None:
        """Stop counting: the working time left is kept for :meth:`resume`."""
        row = await self.store.active(ticket_id, clock)
        if row is None or row.state is not ClockState.RUNNING:
            return
        remaining = max(row.limit - self.elapsed(row, at), timedelta(0))
        await self.store.update(
            row.id, at, state=ClockState.PAUSED, paused_at=at, remaining_seconds=remaining,
            wake_at=None, claim_token=None,
        )  # fmt: skip

    async def resume(self, ticket_id: int, clock: Clock, at: datetime) -> None:
        """Count again from ``at``: the due instant moves by the working time spent paused."""
        row = await self.store.active(ticket_id, clock)
        if row is None or row.state is not ClockState.PAUSED or row.paused_at is None:
            return
        paused = row.paused + self.services.calendar.working_time_between(row.paused_at, at)
        resumed = replace(row, paused=paused, state=ClockState.RUNNING, paused_at=None)
        due, nudge_at, action = self._schedule(resumed, at)
        await self.store.update(
            row.id, at, state=ClockState.RUNNING, paused_at=None, paused_seconds=paused,
            remaining_seconds=None, due_at=due, nudge_at=nudge_at, next_action=action,
            wake_at=nudge_at if action in (NextAction.NUDGE, NextAction.REMIND) else due,
        )  # fmt: skip

    async def reprioritise(self, ticket_id: int, at: datetime, priority: str) -> None:
        """A new priority changes the target of a priority clock already running or paused."""
        row = await self.store.active(ticket_id, Clock.PRIORITY_TARGET)
        if row is None:
            return
        limit, _ = limits(self.services, Clock.PRIORITY_TARGET, priority)
        changed = replace(row, limit=limit)
        if row.state is ClockState.PAUSED:
            remaining = max(limit - self.elapsed(changed, at), timedelta(0))
            await self.store.update(row.id, at, limit_seconds=limit, remaining_seconds=remaining)
            return
        due, _, _ = self._schedule(changed, at)
        await self.store.update(
            row.id, at, limit_seconds=limit, due_at=due, next_action=NextAction.BREACH,
            wake_at=due, claim_token=None,
        )  # fmt: skip

    def _schedule(
        self, row: DeadlineRow, at: datetime
    ) -> tuple[datetime, datetime | None, NextAction]:
        """Due instant, warning instant and next action of a running row, counted from ``at``."""
        calendar = self.services.calendar
        elapsed = self.elapsed(row, at)
        due = calendar.add_working_time(at, max(row.limit - elapsed, timedelta(0)))
        early = row.next_action in (NextAction.NUDGE, NextAction.REMIND, None)
        if row.nudge_offset is not None and early and elapsed < row.nudge_offset:
            nudge_at = calendar.add_working_time(at, row.nudge_offset - elapsed)
            return due, nudge_at, _early_action(row.clock)
        return due, row.nudge_at, NextAction.BREACH


async def next_deadline(services: Services, ticket_id: int) -> tuple[Clock, datetime] | None:
    """The running clock of the ticket that falls due first, for cards and ``/antrian``."""
    row = await DeadlineStore(services.db).next_running(ticket_id)
    return None if row is None else (row.clock, row.due_at)
