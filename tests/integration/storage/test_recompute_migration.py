"""Migration 8 on a database written by the bot before it: every clock recomputed right.

``tests/fixtures/db/pre008.sqlite3`` was made by ``make_pre008.py`` with the code before the
change (it stored a 5 min 02 s escalation as met, a 0-second progress window per tagged email,
and silences cut at each status request). After the upgrade the same history reads right.
"""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta
from pathlib import Path

from bot.deadlines.recompute import open_recomputed, recompute_pending
from bot.domain.sop import Clock
from bot.services import Services
from bot.storage.deadlines import ClockState, DeadlineRow, DeadlineStore
from tests.support.clock import WIB, FakeClock
from tests.support.settings import make_settings

FIXTURE = Path(__file__).parents[2] / "fixtures" / "db" / "pre008.sqlite3"
DAY, H = timedelta(days=1), timedelta(hours=1)
A, B, C, D = 1, 3, 2, 4  # ticket ids (see make_pre008.py)


def wib(*args: int) -> datetime:
    return datetime(*args, tzinfo=WIB)


async def upgraded(tmp_path: Path, clock: FakeClock) -> Services:
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(FIXTURE, data / "bot.sqlite3")
    return await open_recomputed(make_settings(data), clock)


async def clocks(services: Services, ticket_id: int, clock: Clock) -> list[DeadlineRow]:
    rows = await DeadlineStore(services.db).for_ticket(ticket_id)
    return [r for r in rows if r.clock is clock]


def judged(rows: list[DeadlineRow]) -> list[tuple[ClockState, timedelta | None]]:
    return [(r.state, r.measured) for r in rows if r.state is not ClockState.CANCELLED]


async def snapshot(services: Services) -> list[tuple[object, ...]]:
    rows = await services.db.fetchall(
        "SELECT ticket_id, clock, sequence, state, started_at, due_at, measured_seconds, "
        "breached_at, stopped_at FROM deadlines ORDER BY ticket_id, clock, sequence"
    )
    breaches = await services.db.fetchall(
        "SELECT ticket_id, clock, sequence, elapsed_seconds FROM breaches "
        "ORDER BY ticket_id, clock, sequence"
    )
    return [tuple(r) for r in rows] + [tuple(b) for b in breaches]


async def test_an_old_database_is_recomputed_under_the_measured_time_rules(
    tmp_path: Path,
) -> None:
    clock = FakeClock(wib(2026, 12, 2, 13, 0))
    services = await upgraded(tmp_path, clock)
    try:
        assert await services.db.version() >= 8
        # A: 5 min 02 s is late, whatever the sweep saw.
        [esc] = await clocks(services, A, Clock.ESCALATION)
        assert (esc.state, esc.measured) == (ClockState.BREACHED, timedelta(minutes=5, seconds=2))
        # B: two tagged emails, one real window (3 h → 20 h later), no 0-second figure.
        assert judged(await clocks(services, B, Clock.LKPP_PROGRESS)) == [(ClockState.MET, 20 * H)]
        # C: status due Thu 26 10:00, LKPP first wrote Wed 2 Dec 12:30: 6 working days 2.5 h.
        [status] = await clocks(services, C, Clock.LKPP_STATUS)
        assert (status.state, status.measured) == (ClockState.BREACHED, 6 * DAY + 2.5 * H)
        progress = await clocks(services, C, Clock.LKPP_PROGRESS)
        assert [r.started_at for r in progress] == [
            wib(2026, 11, 26, 10, 0), wib(2026, 11, 27, 10, 0), wib(2026, 11, 30, 10, 0),
            wib(2026, 12, 1, 10, 0), wib(2026, 12, 2, 10, 0), wib(2026, 12, 2, 12, 30),
        ]  # fmt: skip
        # Each lapsed window runs until LKPP wrote, not until the next status request.
        assert judged(progress) == [
            (ClockState.BREACHED, 4 * DAY + 2.5 * H),
            (ClockState.BREACHED, 3 * DAY + 2.5 * H),
            (ClockState.BREACHED, 2 * DAY + 2.5 * H),
            (ClockState.BREACHED, DAY + 2.5 * H),
            (ClockState.MET, 2.5 * H),
            (ClockState.RUNNING, None),
        ]
        # D: abandoned within its limit: not counted.
        [cancelled] = await clocks(services, D, Clock.ESCALATION)
        assert cancelled.state is ClockState.CANCELLED
        # One breach record per breached clock, none left over from the old rows.
        orphans = await services.db.fetchval(
            "SELECT COUNT(*) FROM breaches b LEFT JOIN deadlines d ON d.id = b.deadline_id "
            "WHERE d.id IS NULL OR d.state <> 'breached'"
        )
        assert orphans == 0
        # The old sweep already alerted and asked LKPP: nothing is owed again.
        assert (
            await services.db.fetchval(
                "SELECT COUNT(*) FROM deadlines WHERE wake_at <= ?", ("2026-12-02T06:00:00",)
            )
            == 0
        )
        before = await snapshot(services)
        # Idempotent: queued again, the recompute gives the same rows.
        await services.db.conn.execute(
            "UPDATE maintenance_tasks SET done_at = NULL WHERE name = 'recompute_clocks'"
        )
        assert await recompute_pending(services) == 4
        assert await snapshot(services) == before
        assert await recompute_pending(services) == 0
    finally:
        await services.db.close()
