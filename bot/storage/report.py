"""The period queries behind the mutu baku report (``/laporan``, ``python -m bot report``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.storage.db import Database, Row
from bot.storage.deadlines import DeadlineRow, deadline_row
from bot.storage.timefmt import to_db


@dataclass(frozen=True, slots=True)
class ClockOfTicket:
    """A clock row with what the report says about its ticket."""

    row: DeadlineRow
    number: str
    priority: str


class ReportStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def clocks_decided(
        self, start: datetime, end: datetime, now: datetime
    ) -> list[ClockOfTicket]:
        """Clocks decided in ``[start, end)``: met when they stopped, breached at their deadline.

        A clock still running or paused whose deadline fell in the period (and before ``now``)
        is a candidate open breach: the report judges it by its measured time, so a lapse the
        sweep has not seen yet is counted too.
        """
        rows = await self.db.fetchall(
            "SELECT d.*, t.number AS number, t.priority AS priority FROM deadlines d "
            "JOIN tickets t ON t.id = d.ticket_id WHERE "
            "(d.state = 'met' AND d.met_at >= :a AND d.met_at < :b) "
            "OR (d.state = 'breached' AND d.breached_at >= :a AND d.breached_at < :b) "
            "OR (d.state IN ('running', 'paused') AND d.due_at >= :a AND d.due_at < :b "
            "AND d.due_at < :now) ORDER BY d.id",
            {"a": to_db(start), "b": to_db(end), "now": to_db(now)},
        )
        return [ClockOfTicket(deadline_row(r), r["number"], r["priority"]) for r in rows]

    async def tickets_created_between(self, start: datetime, end: datetime) -> list[Row]:
        return await self.db.fetchall(
            "SELECT * FROM tickets WHERE created_at >= ? AND created_at < ? ORDER BY id",
            (to_db(start), to_db(end)),
        )

    async def events_between(self, start: datetime, end: datetime) -> list[Row]:
        return await self.db.fetchall(
            "SELECT e.*, t.number AS number FROM events e JOIN tickets t ON t.id = e.ticket_id "
            "WHERE e.at >= ? AND e.at < ? ORDER BY e.at, e.id",
            (to_db(start), to_db(end)),
        )
