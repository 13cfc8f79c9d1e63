"""The mutu baku record of a period as plain data: what the text, chart and spreadsheet show.

:func:`build_report` reads the database once and judges every clock by the domain's rules
(:mod:`bot.domain.measure`): a clock belongs to the period in which it was decided (met when it
stopped, breached at its deadline); an open breach is measured up to the report's instant. The
renderers (:mod:`bot.deadlines.report`, ``report_chart``, ``report_xlsx``) take the
:class:`Report` and return text or bytes, with no Telegram in them, so a web page can show the
same figures from the same code.
"""

from __future__ import annotations

import json
import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from bot.deadlines.clocks import ClockKeeper, limits
from bot.domain.measure import Outcome, late_by, outcome
from bot.domain.sop import CLOCK_OWNER, Clock, Responsible
from bot.kb.base import UsageFigures, knowledge_of
from bot.services import Services
from bot.storage.deadlines import ClockState
from bot.storage.report import ClockOfTicket, ReportStore
from bot.storage.timefmt import from_db, from_db_opt

#: The SOP's own time standards, in the SOP's order.
SOP_CLOCKS = (
    Clock.ESCALATION,
    Clock.FORWARD,
    Clock.LKPP_STATUS,
    Clock.LKPP_PROGRESS,
    Clock.PRIORITY_TARGET,
)
#: Standards the SOP does not set: the bot's own service figures, shown apart.
SERVICE_CLOCKS = (Clock.USER_ANSWER,)
#: The sides the SOP's "Peringatan" holds to account.
SIDES = (Responsible.LPSE, Responsible.LKPP)
_COUNTED = frozenset({Outcome.MET, Outcome.BREACHED, Outcome.OPEN})


@dataclass(frozen=True, slots=True)
class Measurement:
    """One clock, judged."""

    deadline_id: int
    number: str
    priority: str
    clock: Clock
    sequence: int
    responsible: Responsible
    started_at: datetime
    due_at: datetime
    stopped_at: datetime | None
    measured: timedelta
    limit: timedelta
    outcome: Outcome

    @property
    def late(self) -> timedelta:
        return late_by(self.measured, self.limit)

    @property
    def is_breach(self) -> bool:
        return self.outcome in (Outcome.BREACHED, Outcome.OPEN)


@dataclass(frozen=True, slots=True)
class Figures:
    """How one standard (or one priority level, or one side) fared over the period."""

    measured: int
    met: int
    breached: int
    open: int
    median: timedelta | None
    worst: timedelta | None

    @property
    def late(self) -> int:
        """Breaches in all: closed late plus still open."""
        return self.breached + self.open

    @property
    def met_ratio(self) -> float | None:
        return None if self.measured == 0 else self.met / self.measured

    @classmethod
    def of(cls, items: Iterable[Measurement]) -> Figures:
        found = [m for m in items if m.outcome in _COUNTED]
        times = sorted(m.measured for m in found)
        return cls(
            measured=len(found),
            met=sum(1 for m in found if m.outcome is Outcome.MET),
            breached=sum(1 for m in found if m.outcome is Outcome.BREACHED),
            open=sum(1 for m in found if m.outcome is Outcome.OPEN),
            median=(
                timedelta(seconds=statistics.median(t.total_seconds() for t in times))
                if times
                else None
            ),
            worst=times[-1] if times else None,
        )


@dataclass(frozen=True, slots=True)
class StandardFigures:
    clock: Clock
    responsible: Responsible
    limit: timedelta | None  # None: it varies (the priority table)
    figures: Figures


@dataclass(frozen=True, slots=True)
class PriorityFigures:
    key: str
    name: str
    target_days: int
    figures: Figures


@dataclass(frozen=True, slots=True)
class Report:
    """The period's record. ``until`` is the instant the figures are measured up to."""

    start: date
    end: date  # inclusive
    made_at: datetime
    until: datetime
    provisional: bool
    standards: list[StandardFigures]
    service: list[StandardFigures]
    sides: dict[Responsible, Figures]
    priorities: list[PriorityFigures]
    measurements: list[Measurement]
    tickets: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    kb: UsageFigures | None = None
    """Problems answered by the knowledge base instead of a ticket (:mod:`bot.kb`)."""

    @property
    def breaches(self) -> list[Measurement]:
        """Every breach of an SOP standard, in deadline order."""
        found = [m for m in self.measurements if m.is_breach and m.clock in SOP_CLOCKS]
        return sorted(found, key=lambda m: (m.due_at, m.number, m.clock.value))

    def counts(self, key: str) -> list[tuple[str, int]]:
        """Tickets created in the period, counted by ``key`` (type, role, application …)."""
        tally = Counter(str(t[key]) for t in self.tickets)
        return sorted(tally.items(), key=lambda item: (-item[1], item[0]))

    def weeks(self) -> list[tuple[date, dict[Responsible, int]]]:
        """Breaches of the SOP's standards per week (Monday first), by side."""
        tz = self.made_at.tzinfo
        first = self.start - timedelta(days=self.start.weekday())
        result: list[tuple[date, dict[Responsible, int]]] = []
        monday = first
        while monday <= self.end:
            result.append((monday, dict.fromkeys(SIDES, 0)))
            monday += timedelta(days=7)
        for m in self.breaches:
            day = m.due_at.astimezone(tz).date()
            index = (day - first).days // 7
            if 0 <= index < len(result) and m.responsible in SIDES:
                result[index][1][m.responsible] += 1
        return result


def bounds(services: Services, start: date, end: date) -> tuple[datetime, datetime]:
    """The instants of local midnight at ``start`` and after ``end`` (inclusive end date)."""
    tz = services.settings.tz
    return (
        datetime.combine(start, time(0), tz),
        datetime.combine(end + timedelta(days=1), time(0), tz),
    )


def judge(keeper: ClockKeeper, item: ClockOfTicket, until: datetime) -> Measurement:
    """One stored clock as the domain's rules read it, measured up to ``until`` if open."""
    row = item.row
    stopped = row.stopped_at is not None and row.state is not ClockState.RUNNING
    measured = row.measured if stopped and row.measured is not None else keeper.elapsed(row, until)
    judged = outcome(
        measured, row.limit, stopped=stopped, abandoned=row.state is ClockState.CANCELLED
    )
    return Measurement(
        deadline_id=row.id,
        number=item.number,
        priority=item.priority,
        clock=row.clock,
        sequence=row.sequence,
        responsible=CLOCK_OWNER[row.clock],
        started_at=row.started_at,
        due_at=row.due_at,
        stopped_at=row.stopped_at if stopped else None,
        measured=measured,
        limit=row.limit,
        outcome=judged,
    )


def _limit(services: Services, clock: Clock) -> timedelta | None:
    if clock is Clock.PRIORITY_TARGET:
        return None
    return limits(services, clock, services.priorities.default)[0]


async def build_report(services: Services, start: date, end: date) -> Report:
    """The figures for the local dates ``start`` to ``end`` inclusive, as of now."""
    now = services.clock()
    first, after = bounds(services, start, end)
    until = min(now, after)
    store = ReportStore(services.db)
    keeper = ClockKeeper(services)
    measurements = [
        judge(keeper, item, now) for item in await store.clocks_decided(first, after, now)
    ]
    measurements = [m for m in measurements if m.outcome in _COUNTED]

    def standard(clock: Clock) -> StandardFigures:
        mine = [m for m in measurements if m.clock is clock]
        limit = _limit(services, clock)
        return StandardFigures(clock, CLOCK_OWNER[clock], limit, Figures.of(mine))

    sop = [m for m in measurements if m.clock in SOP_CLOCKS]
    targets = [m for m in measurements if m.clock is Clock.PRIORITY_TARGET]
    priorities = [
        PriorityFigures(
            key, level.name, level.target_working_days,
            Figures.of(m for m in targets if m.priority == key),
        )
        for key, level in services.priorities.levels.items()
    ]  # fmt: skip
    return Report(
        start=start,
        end=end,
        made_at=now,
        until=until,
        provisional=now < after,
        standards=[standard(c) for c in SOP_CLOCKS],
        service=[standard(c) for c in SERVICE_CLOCKS],
        sides={side: Figures.of(m for m in sop if m.responsible is side) for side in SIDES},
        priorities=priorities,
        measurements=measurements,
        tickets=[dict(t) for t in await store.tickets_created_between(first, after)],
        events=[_event(e) for e in await store.events_between(first, after)],
        kb=await knowledge_of(services).usage(first, after),
    )


def _event(row: Any) -> dict[str, Any]:
    event = dict(row)
    event["at"] = from_db(event["at"])
    event["details"] = json.loads(event["details"]) if event["details"] else {}
    return event


def ticket_times(ticket: dict[str, Any]) -> dict[str, datetime | None]:
    """The ticket's stored instants, parsed (for the spreadsheet)."""
    names = ("created_at", "updated_at", "escalated_at", "closed_at")
    return {name: from_db_opt(ticket.get(name)) for name in names}
