"""Benchmark: the mutu baku report of a busy month, and the one-off recompute of its clocks.

Run: ``.venv/bin/python bench/report.py [--tickets 400] [--repeat 5]``.

Builds a fresh database with ``--tickets`` tickets in November 2026 walked through the real
workflow and clock keeper (escalated, LKPP replying with tagged emails, one in five late, one in
ten silent for days while the sweep lapses its windows), then prints the median over
``--repeat`` runs of: building the report model, rendering its text, the PNG chart and the
.xlsx workbook, and replaying every ticket's clocks from its event log (what migration 8 queues).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.deadlines.component import install
from bot.deadlines.recompute import recompute_pending
from bot.deadlines.report import build_report, render_report
from bot.deadlines.report_chart import render_chart
from bot.deadlines.report_xlsx import render_xlsx
from bot.deadlines.sweep import sweep_job
from bot.domain.sop import Action, Actor
from bot.services import SERVICES_KEY, Services, open_services
from bot.workflow import By
from tests.support.clock import WIB, FakeClock
from tests.support.deadlines_fixtures import TO_CANNOT_HANDLE, RecordingNotifier, report, walk
from tests.support.settings import make_settings

START = datetime(2026, 11, 2, 8, 0, tzinfo=WIB)


async def _month(services: Services, clock: FakeClock, tickets: int) -> None:
    context = SimpleNamespace(bot_data={SERVICES_KEY: services})
    step = timedelta(days=20) / tickets
    for i in range(tickets):
        clock.set(START + i * step)
        number = await report(services)
        await walk(services, number, *TO_CANNOT_HANDLE)
        clock.advance(minutes=6 if i % 5 == 0 else 3)
        await walk(services, number, Action.ESCALATE, Action.ESCALATION_DELIVERED)
        silent = i % 10 == 0
        clock.advance(days=4 if silent else 1)
        if silent:
            await sweep_job(context)
        for n, action in enumerate((Action.LKPP_PROGRESS, Action.LKPP_SOLVED)):
            mid = {"message_id": f"<{number}-{n}@lkpp.go.id>"}
            await services.workflow.apply(number, Action.LKPP_REPLY_RECEIVED, Actor.LKPP, By(),
                                          mid)  # fmt: skip
            await services.workflow.apply(number, action, Actor.LKPP, By(), mid)
            clock.advance(hours=5)


async def _median(repeat: int, work: Callable[[], Awaitable[Any]]) -> float:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        await work()
        times.append(time.perf_counter() - began)
    return statistics.median(times) * 1000


async def main(tickets: int, repeat: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        clock = FakeClock(START)
        services = await open_services(make_settings(Path(folder) / "data"), clock)
        install(services, RecordingNotifier(clock))  # type: ignore[arg-type]
        began = time.perf_counter()
        await _month(services, clock, tickets)
        print(f"built {tickets} tickets in {time.perf_counter() - began:.1f} s")
        clock.set(datetime(2026, 12, 7, 12, 0, tzinfo=WIB))
        period = (date(2026, 11, 1), date(2026, 11, 30))
        result = await build_report(services, *period)
        clocks = len(result.measurements)
        print(f"report: {clocks} clocks counted, {len(result.breaches)} breaches, "
              f"{len(result.events)} events")  # fmt: skip
        model = await _median(repeat, lambda: build_report(services, *period))
        text = await _median(repeat, lambda: asyncio.to_thread(render_report, services, result))
        png = await _median(repeat, lambda: asyncio.to_thread(render_chart, services.texts,
                                                              result))  # fmt: skip
        xlsx = await _median(repeat, lambda: asyncio.to_thread(render_xlsx, services, result))

        async def recompute() -> None:
            async with services.db.transaction() as conn:
                await conn.execute(
                    "UPDATE maintenance_tasks SET done_at = NULL WHERE name = 'recompute_clocks'"
                )
            await recompute_pending(services)

        replay = await _median(repeat, recompute)
        print(f"median of {repeat}: model {model:.1f} ms · text {text:.1f} ms · "
              f"chart {png:.1f} ms · xlsx {xlsx:.1f} ms")  # fmt: skip
        print(f"median of {repeat}: recompute {replay:.0f} ms for {tickets} tickets "
              f"({replay / tickets:.2f} ms per ticket)")  # fmt: skip
        await services.db.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=400)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(main(args.tickets, args.repeat))
