"""Every SQL statement about clocks, breaches and deadline notices.

Writers take the connection of an open transaction (the workflow's, so a clock changes in the
same commit as the step that moved it); readers use the :class:`Database` directly.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from bot.domain.sop import Action, Clock, Responsible
from bot.storage.db import Database, Row
from bot.storage.timefmt import from_db, from_db_opt, to_db


class ClockState(StrEnum):
    """Where a clock row stands. Values are stored: never rename one."""

    RUNNING = "running"
    PAUSED = "paused"
    MET = "met"
    BREACHED = "breached"
    CANCELLED = "cancelled"


class NextAction(StrEnum):
    """The one thing the sweep still has to do for a clock row."""

    NUDGE = "nudge"  # minute-level clocks: tell staff before the deadline
    REMIND = "remind"  # user answer: remind the user
    BREACH = "breach"  # the deadline itself
    REQUEST = "request"  # LKPP lapse: the status-request email, within office hours


class Audience(StrEnum):
    STAFF = "staf"
    ADMIN = "admin"
    USER = "pengguna"


ACTIVE = (ClockState.RUNNING.value, ClockState.PAUSED.value)


@dataclass(frozen=True, slots=True)
class DeadlineRow:
    """One clock of one ticket, as stored."""

    id: int
    ticket_id: int
    clock: Clock
    sequence: int
    state: ClockState
    started_at: datetime
    due_at: datetime
    nudge_at: datetime | None
    limit: timedelta
    nudge_offset: timedelta | None
    paused_at: datetime | None
    paused: timedelta
    remaining: timedelta | None
    next_action: NextAction | None
    wake_at: datetime | None
    claim_token: str | None
    met_at: datetime | None
    breached_at: datetime | None
    stopped_at: datetime | None
    measured: timedelta | None
    start_message_id: str | None = None
    """The LKPP email that opened this clock (a progress window), if one did."""


def _secs(value: float | None) -> timedelta | None:
    return None if value is None else timedelta(seconds=value)


def deadline_row(row: Row) -> DeadlineRow:
    return DeadlineRow(
        id=row["id"],
        ticket_id=row["ticket_id"],
        clock=Clock(row["clock"]),
        sequence=row["sequence"],
        state=ClockState(row["state"]),
        started_at=from_db(row["started_at"]),
        due_at=from_db(row["due_at"]),
        nudge_at=from_db_opt(row["nudge_at"]),
        limit=timedelta(seconds=row["limit_seconds"]),
        nudge_offset=_secs(row["nudge_seconds"]),
        paused_at=from_db_opt(row["paused_at"]),
        paused=timedelta(seconds=row["paused_seconds"]),
        remaining=_secs(row["remaining_seconds"]),
        next_action=NextAction(row["next_action"]) if row["next_action"] else None,
        wake_at=from_db_opt(row["wake_at"]),
        claim_token=row["claim_token"],
        met_at=from_db_opt(row["met_at"]),
        breached_at=from_db_opt(row["breached_at"]),
        stopped_at=from_db_opt(row["stopped_at"]),
        measured=_secs(row["measured_seconds"]),
        start_message_id=row["start_message_id"],
    )


@dataclass(frozen=True, slots=True)
class BreachRow:
    id: int
    deadline_id: int
    ticket_id: int
    number: str
    clock: Clock
    sequence: int
    responsible: Responsible
    started_at: datetime
    due_at: datetime
    detected_at: datetime
    elapsed: timedelta
    limit: timedelta


@dataclass(frozen=True, slots=True)
class Notice:
    """A message the sweep owes someone, kept until Telegram accepted it."""

    id: int
    ticket_id: int
    kind: str
    audience: Audience
    chat_id: int | None
    html: str
    line: str
    buttons: list[list[tuple[str, str]]]
    created_at: datetime


def _db(value: Any) -> Any:
    """Storage form of a column value: instants as text, durations as seconds."""
    if isinstance(value, datetime):
        return to_db(value)
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, StrEnum):
        return value.value
    return value


_COLUMNS = {
    "state", "due_at", "nudge_at", "limit_seconds", "nudge_seconds", "paused_at",
    "paused_seconds", "remaining_seconds", "next_action", "wake_at", "claim_token",
    "claimed_at", "met_at", "breached_at", "stopped_at", "measured_seconds",
}  # fmt: skip

#: The sweep's selection; :func:`DeadlineStore.explain_claim` shows it uses ``deadlines_wake``.
_CLAIM = (
    "UPDATE deadlines SET claim_token = ?, claimed_at = ?, wake_at = ? WHERE id IN "
    "(SELECT id FROM deadlines WHERE wake_at <= ? ORDER BY wake_at LIMIT ?) RETURNING id"
)


class DeadlineStore:
    """Clock rows, breaches and pending notices."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # --- clocks (inside a transaction) -----------------------------------------------------
    async def active(self, ticket_id: int, clock: Clock) -> DeadlineRow | None:
        """The running or paused row of ``clock`` for the ticket (at most one exists)."""
        conn = self.db.conn
        async with conn.execute(
            "SELECT * FROM deadlines WHERE ticket_id = ? AND clock = ? AND state IN (?, ?)",
            (ticket_id, clock.value, *ACTIVE),
        ) as cursor:
            row = await cursor.fetchone()
        return None if row is None else deadline_row(row)

    async def unstopped_breaches(self, ticket_id: int, clock: Clock) -> list[DeadlineRow]:
        """Breached rows whose clock has not been stopped yet (their time is still unknown)."""
        conn = self.db.conn
        async with conn.execute(
            "SELECT * FROM deadlines WHERE ticket_id = ? AND clock = ? AND state = ? "
            "AND stopped_at IS NULL",
            (ticket_id, clock.value, ClockState.BREACHED.value),
        ) as cursor:
            rows = await cursor.fetchall()
        return [deadline_row(r) for r in rows]

    async def email_recorded(self, ticket_id: int, message_id: str, at: datetime) -> bool:
        """Whether LKPP's email ``message_id`` was already recorded on the ticket by ``at``."""
        conn = self.db.conn
        async with conn.execute(
            "SELECT 1 FROM events WHERE ticket_id = ? AND action = ? AND at <= ? "
            "AND json_extract(details, '$.message_id') = ? LIMIT 1",
            (ticket_id, Action.LKPP_REPLY_RECEIVED.value, to_db(at), message_id),
        ) as cursor:
            return await cursor.fetchone() is not None

    async def last_sequence(self, ticket_id: int, clock: Clock) -> int:
        conn = self.db.conn
        async with conn.execute(
            "SELECT COALESCE(MAX(sequence), 0) FROM deadlines WHERE ticket_id = ? AND clock = ?",
            (ticket_id, clock.value),
        ) as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def insert(
        self,
        *,
        ticket_id: int,
        clock: Clock,
        sequence: int,
        started_at: datetime,
        due_at: datetime,
        limit: timedelta,
        nudge_at: datetime | None,
        nudge_offset: timedelta | None,
        next_action: NextAction,
        wake_at: datetime,
        start_message_id: str | None = None,
    ) -> int:
        conn = self.db.conn
        cursor = await conn.execute(
            """
            INSERT INTO deadlines (ticket_id, clock, sequence, state, started_at, due_at,
                nudge_at, limit_seconds, nudge_seconds, next_action, wake_at, updated_at,
                start_message_id)
            VALUES (?, ?, ?, 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            (
                ticket_id, clock.value, sequence, to_db(started_at), to_db(due_at),
                _db(nudge_at), limit.total_seconds(), _db(nudge_offset), next_action.value,
                to_db(wake_at), to_db(started_at), start_message_id,
            ),
        )  # fmt: skip
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    async def update(self, deadline_id: int, at: datetime, **columns: Any) -> None:
        """Set ``columns``; datetimes, durations and enums are converted to storage form."""
        conn = self.db.conn
        unknown = set(columns) - _COLUMNS
        if unknown:
            raise ValueError(f"not updatable: {sorted(unknown)}")
        sets = "".join(f"{name} = :{name}, " for name in columns)
        values = {name: _db(value) for name, value in columns.items()}
        await conn.execute(
            f"UPDATE deadlines SET {sets}updated_at = :at WHERE id = :id",
            {**values, "at": to_db(at), "id": deadline_id},
        )

    # --- the sweep ---------------------------------------------------------------------------
    async def claim(
        self, now: datetime, lease_until: datetime, token: str,
        limit: int,
    ) -> list[int]:  # fmt: skip
        """Claim up to ``limit`` rows due at ``now``: they wake again at ``lease_until``.

        The lease means a sweep that dies between claiming and acting loses nothing: the rows
        come due again when the lease ends. Acting on a row checks the token, so a row claimed
        twice is acted on by one sweep only.
        """
        conn = self.db.conn
        async with conn.execute(
            _CLAIM, (token, to_db(now), to_db(lease_until), to_db(now), limit)
        ) as cursor:
            rows = await cursor.fetchall()
        return sorted(r[0] for r in rows)

    async def claimed(self, deadline_id: int, token: str) -> DeadlineRow | None:
        conn = self.db.conn
        async with conn.execute(
            "SELECT * FROM deadlines WHERE id = ? AND claim_token = ?", (deadline_id, token)
        ) as cursor:
            row = await cursor.fetchone()
        return None if row is None else deadline_row(row)

    async def explain_claim(self) -> list[str]:
        """SQLite's plan for the sweep's selection (the benchmark prints it)."""
        rows = await self.db.fetchall(f"EXPLAIN QUERY PLAN {_CLAIM}", ("", "", "", "", 1))
        return [str(r["detail"]) for r in rows]

    # --- breaches and notices ---------------------------------------------------------------
    async def add_breach(
        self,
        row: DeadlineRow,
        responsible: Responsible,
        detected_at: datetime,
        elapsed: timedelta,
    ) -> int | None:
        """Record the breach of ``row``; ``None`` when it already has its one record."""
        conn = self.db.conn
        cursor = await conn.execute(
            """
            INSERT OR IGNORE INTO breaches (deadline_id, ticket_id, clock, sequence, responsible,
                started_at, due_at, detected_at, elapsed_seconds, limit_seconds)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            (
                row.id, row.ticket_id, row.clock.value, row.sequence, responsible.value,
                to_db(row.started_at), to_db(row.due_at), to_db(detected_at),
                elapsed.total_seconds(), row.limit.total_seconds(),
            ),
        )  # fmt: skip
        return cursor.lastrowid if cursor.rowcount == 1 else None

    async def set_breach_time(self, deadline_id: int, elapsed: timedelta) -> None:
        """The breach's real time, once the late step has happened."""
        conn = self.db.conn
        await conn.execute(
            "UPDATE breaches SET elapsed_seconds = ? WHERE deadline_id = ?",
            (elapsed.total_seconds(), deadline_id),
        )

    async def add_notice(
        self,
        *,
        ticket_id: int,
        deadline_id: int | None,
        kind: str,
        audience: Audience,
        chat_id: int | None,
        html: str,
        line: str,
        buttons: list[list[tuple[str, str]]] | None,
        at: datetime,
    ) -> int:
        conn = self.db.conn
        cursor = await conn.execute(
            """
            INSERT INTO deadline_notices (ticket_id, deadline_id, kind, audience, chat_id, html,
                line, buttons, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            (
                ticket_id, deadline_id, kind, audience.value, chat_id, html, line,
                json.dumps(buttons or []), to_db(at),
            ),
        )  # fmt: skip
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    async def pending_notices(self, audience: Audience, limit: int = 5000) -> list[Notice]:
        rows = await self.db.fetchall(
            "SELECT * FROM deadline_notices WHERE sent_at IS NULL AND audience = ? "
            "ORDER BY id LIMIT ?",
            (audience.value, limit),
        )
        return [
            Notice(
                id=r["id"],
                ticket_id=r["ticket_id"],
                kind=r["kind"],
                audience=Audience(r["audience"]),
                chat_id=r["chat_id"],
                html=r["html"],
                line=r["line"],
                buttons=[
                    [(label, data) for label, data in row] for row in json.loads(r["buttons"])
                ],
                created_at=from_db(r["created_at"]),
            )
            for r in rows
        ]

    async def mark_sent(self, ids: list[int], at: datetime, error: str | None = None) -> None:
        if not ids:
            return
        async with self.db.transaction():
            await self.mark_sent_in(ids, at, error)

    async def mark_sent_in(self, ids: list[int], at: datetime, error: str | None = None) -> None:
        """:meth:`mark_sent` inside the caller's transaction (the one queueing the message)."""
        conn = self.db.conn
        await conn.executemany(
            "UPDATE deadline_notices SET sent_at = ?, error = ? WHERE id = ?",
            [(to_db(at), error, notice_id) for notice_id in ids],
        )

    async def claim_briefing(self, day: date, at: datetime) -> bool:
        """Claim ``day``'s briefing; ``False`` when it was already sent (or is being sent)."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT OR IGNORE INTO daily_briefings (day, sent_at) VALUES (?, ?)",
                (day.isoformat(), to_db(at)),
            )
            return cursor.rowcount == 1

    async def release_briefing(self, day: date) -> None:
        """Undo a claim whose briefing could not be sent, so the next attempt sends it."""
        async with self.db.transaction() as conn:
            await conn.execute("DELETE FROM daily_briefings WHERE day = ?", (day.isoformat(),))

    # --- reads -------------------------------------------------------------------------------
    async def for_ticket(self, ticket_id: int) -> list[DeadlineRow]:
        rows = await self.db.fetchall(
            "SELECT * FROM deadlines WHERE ticket_id = ? ORDER BY id", (ticket_id,)
        )
        return [deadline_row(r) for r in rows]

    async def next_running(self, ticket_id: int) -> DeadlineRow | None:
        row = await self.db.fetchone(
            "SELECT * FROM deadlines WHERE ticket_id = ? AND state = 'running' "
            "ORDER BY due_at LIMIT 1",
            (ticket_id,),
        )
        return None if row is None else deadline_row(row)

    async def running_due_between(
        self, start: datetime, end: datetime
    ) -> list[tuple[DeadlineRow, str]]:
        """Running clocks due in ``[start, end)``, with their ticket numbers, soonest first."""
        rows = await self.db.fetchall(
            "SELECT d.*, t.number AS number FROM deadlines d JOIN tickets t ON t.id = d.ticket_id "
            "WHERE d.state = 'running' AND d.due_at >= ? AND d.due_at < ? ORDER BY d.due_at",
            (to_db(start), to_db(end)),
        )
        return [(deadline_row(r), r["number"]) for r in rows]

    async def breaches_between(self, start: datetime, end: datetime) -> list[BreachRow]:
        rows = await self.db.fetchall(
            "SELECT b.*, t.number AS number FROM breaches b JOIN tickets t ON t.id = b.ticket_id "
            "WHERE b.detected_at >= ? AND b.detected_at < ? ORDER BY b.detected_at, b.id",
            (to_db(start), to_db(end)),
        )
        return [
            BreachRow(
                id=r["id"],
                deadline_id=r["deadline_id"],
                ticket_id=r["ticket_id"],
                number=r["number"],
                clock=Clock(r["clock"]),
                sequence=r["sequence"],
                responsible=Responsible(r["responsible"]),
                started_at=from_db(r["started_at"]),
                due_at=from_db(r["due_at"]),
                detected_at=from_db(r["detected_at"]),
                elapsed=timedelta(seconds=r["elapsed_seconds"]),
                limit=timedelta(seconds=r["limit_seconds"]),
            )
            for r in rows
        ]
