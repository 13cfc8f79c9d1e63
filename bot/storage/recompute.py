"""SQL of the one-off recompute of stored clocks (queued by migration 8).

The replay itself is Python (:mod:`bot.deadlines.recompute`): working time needs the calendar.
Everything here runs inside the caller's transaction, so a ticket's clocks are replaced whole
or not at all, and the task is marked done in the same commit as the last ticket.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.storage.db import Database
from bot.storage.timefmt import from_db, to_db

RECOMPUTE_CLOCKS = "recompute_clocks"


@dataclass(frozen=True, slots=True)
class ReplayEvent:
    """One event of a ticket's log, as the replay needs it."""

    action: str
    actor: str
    to_state: str
    at: datetime
    details: dict[str, Any]


class RecomputeStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def pending(self, name: str = RECOMPUTE_CLOCKS) -> bool:
        if not await self.db.fetchval(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'maintenance_tasks'"
        ):
            return False
        return bool(
            await self.db.fetchval(
                "SELECT 1 FROM maintenance_tasks WHERE name = ? AND done_at IS NULL", (name,)
            )
        )

    async def mark_done(self, at: datetime, note: str, name: str = RECOMPUTE_CLOCKS) -> None:
        conn = self.db.conn
        await conn.execute(
            "UPDATE maintenance_tasks SET done_at = ?, note = ? WHERE name = ?",
            (to_db(at), note, name),
        )

    async def tickets_with_history(self) -> list[tuple[int, str]]:
        """Every ticket that ever had a clock, with its current priority."""
        conn = self.db.conn
        async with conn.execute(
            "SELECT t.id, t.priority FROM tickets t WHERE EXISTS "
            "(SELECT 1 FROM deadlines d WHERE d.ticket_id = t.id) ORDER BY t.id"
        ) as cursor:
            return [(int(r[0]), str(r[1])) for r in await cursor.fetchall()]

    async def events(self, ticket_id: int) -> list[ReplayEvent]:
        conn = self.db.conn
        async with conn.execute(
            "SELECT action, actor, to_state, at, details FROM events WHERE ticket_id = ? "
            "ORDER BY at, id",
            (ticket_id,),
        ) as cursor:
            rows = await cursor.fetchall()
        return [
            ReplayEvent(
                r["action"], r["actor"], r["to_state"], from_db(r["at"]),
                json.loads(r["details"]) if r["details"] else {},
            )
            for r in rows
        ]  # fmt: skip

    async def clear(self, ticket_id: int) -> None:
        """Drop the ticket's clocks and breaches; sent notices stay, detached from them."""
        conn = self.db.conn
        await conn.execute(
            "UPDATE deadline_notices SET deadline_id = NULL WHERE ticket_id = ?", (ticket_id,)
        )
        await conn.execute("DELETE FROM breaches WHERE ticket_id = ?", (ticket_id,))
        await conn.execute("DELETE FROM deadlines WHERE ticket_id = ?", (ticket_id,))

    async def quiet_history(self, ticket_id: int, now: datetime) -> None:
        """Replayed breaches were alerted (and LKPP asked) before: the sweep owes none again.

        A running clock's early warning that lies in the past was sent too: it goes straight to
        its deadline.
        """
        conn = self.db.conn
        await conn.execute(
            "UPDATE deadlines SET next_action = NULL, wake_at = NULL WHERE ticket_id = ? "
            "AND state NOT IN ('running', 'paused')",
            (ticket_id,),
        )
        await conn.execute(
            "UPDATE deadlines SET next_action = 'breach', wake_at = due_at WHERE ticket_id = ? "
            "AND state = 'running' AND next_action IN ('nudge', 'remind') AND nudge_at < ?",
            (ticket_id, to_db(now)),
        )
