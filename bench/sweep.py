"""Benchmark: the deadline sweep's select-and-claim with many open tickets and 1,000 due rows.

Run: ``.venv/bin/python bench/sweep.py [--due 1000] [--sizes 10000,30000,100000]``.

For each size it builds a fresh database in a temporary folder with that many open tickets, each
with a running clock (due rows first, the rest due in the coming days), then times
:meth:`bot.deadlines.sweep.Sweeper.claim` (one ``BEGIN IMMEDIATE`` transaction selecting the due
rows through the ``deadlines_wake`` index and claiming them) and prints SQLite's query plan. The
target is under 20 ms, flat as open tickets grow: the work depends on the due rows only.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.config import Settings
from bot.deadlines.sweep import Sweeper
from bot.services import Services, open_services
from bot.storage.deadlines import DeadlineStore
from bot.storage.timefmt import to_db
from tests.support.settings import make_settings

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
REPEAT = 15


def _settings(data_dir: Path) -> Settings:
    """The tests' settings: the bench measures the same configuration the suite runs."""
    return make_settings(data_dir)


async def _fill(services: Services, open_tickets: int, due: int) -> None:
    created = to_db(NOW - timedelta(days=10))
    tickets = [
        (i, f"BNC-2026-{i:06d}", "eskalasi", "Permasalahan", "Penyedia", "SPSE 4.5", "Judul",
         "Deskripsi", "Nama", "nama@contoh.id", "menengah", 1000 + i, created, created)
        for i in range(1, open_tickets + 1)
    ]  # fmt: skip
    deadlines = []
    for i in range(1, open_tickets + 1):
        # The first `due` rows are overdue; the others wake over the next four days.
        offset = -timedelta(seconds=i) if i <= due else timedelta(seconds=60 + i * 3)
        wake = to_db(NOW + offset)
        deadlines.append((i, "status_lkpp", created, wake, 172800.0, "breach", wake, created))
    async with services.db.transaction() as conn:
        await conn.executemany(
            "INSERT INTO tickets (id, number, state, type, role, application, title, description,"
            " contact_name, contact_email, priority, user_chat_id, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            tickets,
        )
        await conn.executemany(
            "INSERT INTO deadlines (ticket_id, clock, sequence, state, started_at, due_at,"
            " limit_seconds, next_action, wake_at, updated_at)"
            " VALUES (?, ?, 1, 'running', ?, ?, ?, ?, ?, ?)",
            deadlines,
        )
    await services.db.maintain("ANALYZE")


async def _unclaim(services: Services, ids: list[int]) -> None:
    async with services.db.transaction() as conn:
        await conn.executemany(
            "UPDATE deadlines SET wake_at = due_at, claim_token = NULL WHERE id = ?",
            [(i,) for i in ids],
        )


class _Silent:
    """A notifier that sends nothing: the benchmark times the database side."""

    async def send(self, *args: object, **kwargs: object) -> None:
        return None


async def full_sweep(open_tickets: int, due: int) -> tuple[float, int]:
    """One complete sweep (claim, act on each row in its transaction, notices): ms and rows."""
    with tempfile.TemporaryDirectory() as folder:
        services = await open_services(_settings(Path(folder)), lambda: NOW)
        try:
            await _fill(services, open_tickets, due)
            sweeper = Sweeper(services, notifier=_Silent(), batch=max(due, 1))  # type: ignore[arg-type]
            started = time.perf_counter()
            result = await sweeper.run()
            return (time.perf_counter() - started) * 1000, result.outcome.breaches
        finally:
            await services.db.close()


async def measure(open_tickets: int, due: int) -> tuple[float, float, int, list[str]]:
    with tempfile.TemporaryDirectory() as folder:
        services = await open_services(_settings(Path(folder)), lambda: NOW)
        try:
            await _fill(services, open_tickets, due)
            sweeper = Sweeper(services, notifier=None, batch=max(due, 1))  # type: ignore[arg-type]
            _, ids = await sweeper.claim(NOW)  # warm-up: page cache, prepared statement
            await _unclaim(services, ids)
            timings = []
            claimed = 0
            for _ in range(REPEAT):
                started = time.perf_counter()
                _, ids = await sweeper.claim(NOW)
                timings.append((time.perf_counter() - started) * 1000)
                claimed = len(ids)
                await _unclaim(services, ids)
            plan = await DeadlineStore(services.db).explain_claim()
            return statistics.median(timings), max(timings), claimed, plan
        finally:
            await services.db.close()


async def main(sizes: list[int], due: int) -> int:
    print(f"select-and-claim of {due} due rows, median and worst of {REPEAT} runs")
    print(f"{'open tickets':>14} {'claimed':>8} {'median ms':>10} {'worst ms':>9}")
    plan: list[str] = []
    results = []
    for size in sizes:
        median, worst, claimed, plan = await measure(size, due)
        results.append(median)
        print(f"{size:>14,} {claimed:>8} {median:>10.2f} {worst:>9.2f}")
    print("query plan:", *plan, sep="\n  ")
    elapsed, acted = await full_sweep(sizes[-1], due)
    print(f"full sweep at {sizes[-1]:,} open tickets (breach, status request, next clock, "
          f"notices for each due row): {acted} rows in {elapsed:.0f} ms")  # fmt: skip
    uses_index = any("deadlines_wake" in line for line in plan)
    print(f"uses index deadlines_wake: {'yes' if uses_index else 'NO'}")
    print(f"target < 20 ms: {'met' if max(results) < 20 else 'MISSED'}; "
          f"largest/smallest = {results[-1] / results[0]:.2f}")  # fmt: skip
    return 0 if uses_index else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--due", type=int, default=1000)
    parser.add_argument("--sizes", default="10000,30000,100000")
    args = parser.parse_args()
    sys.exit(asyncio.run(main([int(s) for s in args.sizes.split(",")], args.due)))
