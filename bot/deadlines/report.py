"""The SOP's record for a period: how each time standard fared, every breach, ticket counts.

A clock belongs to the period in which it was decided (met, or breached). Its time is the working
time it ran, pauses left out; a breached clock that has not stopped yet counts up to the moment
the report is made, so "worst time" never understates an open lapse.
"""

from __future__ import annotations

import asyncio
import csv
import html as htmlmod
import io
import json
import re
import statistics
import sys
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TextIO

from bot.deadlines.clocks import ClockKeeper
from bot.domain.sop import Clock
from bot.services import Services
from bot.storage.deadlines import BreachRow, ClockState, DeadlineStore, ReportStore
from bot.storage.timefmt import from_db, from_db_opt


@dataclass(frozen=True, slots=True)
class StandardFigures:
    """One time standard over the period."""

    clock: Clock
    measured: int
    met: int
    breached: int
    median: timedelta | None
    worst: timedelta | None

    @property
    def met_ratio(self) -> float | None:
        return None if self.measured == 0 else self.met / self.measured


@dataclass(frozen=True, slots=True)
class Report:
    start: date
    end: date  # inclusive
    made_at: datetime
    standards: list[StandardFigures]
    breaches: list[BreachRow]
    tickets: int
    by_type: list[tuple[str, int]]
    by_role: list[tuple[str, int]]
    by_application: list[tuple[str, int]]
    by_priority: list[tuple[str, int]]


def bounds(services: Services, start: date, end: date) -> tuple[datetime, datetime]:
    """The instants of local midnight at ``start`` and after ``end`` (inclusive end date)."""
    tz = services.settings.tz
    return (
        datetime.combine(start, time(0), tz),
        datetime.combine(end + timedelta(days=1), time(0), tz),
    )


def _counts(values: list[str]) -> list[tuple[str, int]]:
    return sorted(Counter(values).items(), key=lambda item: (-item[1], item[0]))


async def build_report(services: Services, start: date, end: date) -> Report:
    """Figures for the local dates ``start`` to ``end`` inclusive."""
    now = services.clock()
    first, after = bounds(services, start, end)
    store = DeadlineStore(services.db)
    keeper = ClockKeeper(services)
    decided = await store.decided_between(first, after)
    standards = []
    for clock in Clock:
        rows = [r for r in decided if r.clock is clock]
        times = [r.measured if r.measured is not None else keeper.elapsed(r, now) for r in rows]
        seconds = [t.total_seconds() for t in times]
        standards.append(
            StandardFigures(
                clock=clock,
                measured=len(rows),
                met=sum(1 for r in rows if r.state is ClockState.MET),
                breached=sum(1 for r in rows if r.state is ClockState.BREACHED),
                median=timedelta(seconds=statistics.median(seconds)) if seconds else None,
                worst=max(times) if times else None,
            )
        )
    tickets = await ReportStore(services.db).tickets_created_between(first, after)
    return Report(
        start=start,
        end=end,
        made_at=now,
        standards=standards,
        breaches=await store.breaches_between(first, after),
        tickets=len(tickets),
        by_type=_counts([t["type"] for t in tickets]),
        by_role=_counts([t["role"] for t in tickets]),
        by_application=_counts([t["application"] for t in tickets]),
        by_priority=_counts([t["priority"] for t in tickets]),
    )


def render_report(services: Services, report: Report) -> str:
    """The report as Telegram HTML (the CLI strips the tags)."""
    texts = services.texts
    return texts.render(
        "tenggat_laporan",
        r=report,
        jam={c: texts.msg(f"tenggat_jam.{c.value}") for c in Clock},
        jam_singkat={c: texts.msg(f"tenggat_jam_singkat.{c.value}") for c in Clock},
        pihak={b.responsible: texts.msg(f"tenggat_pihak.{b.responsible.value}")
               for b in report.breaches},
        prioritas={key: level.name for key, level in services.priorities.levels.items()},
    )  # fmt: skip


def _local(services: Services, text: str | None) -> str:
    value = from_db_opt(text)
    return "" if value is None else value.astimezone(services.settings.tz).isoformat()


_TICKET_COLUMNS = (
    "nomor", "status", "jenis", "peran", "aplikasi", "prioritas", "judul", "kode_paket",
    "dibuat", "diperbarui", "dieskalasi", "ditutup", "petugas", "nilai",
)  # fmt: skip
_EVENT_COLUMNS = (
    "tiket", "waktu", "aksi", "langkah_sop", "pelaku", "nama_pelaku", "dari_status", "ke_status",
    "rincian",
)  # fmt: skip


async def tickets_csv(services: Services, start: date, end: date) -> str:
    """Tickets created in the period, one row each (UTF-8 text, times in the LPSE's zone)."""
    first, after = bounds(services, start, end)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(_TICKET_COLUMNS)
    for t in await ReportStore(services.db).tickets_created_between(first, after):
        writer.writerow(
            (
                t["number"], t["state"], t["type"], t["role"], t["application"], t["priority"],
                t["title"], t["package_code"] or "", _local(services, t["created_at"]),
                _local(services, t["updated_at"]), _local(services, t["escalated_at"]),
                _local(services, t["closed_at"]), t["assignee_name"] or "", t["rating"] or "",
            )
        )  # fmt: skip
    return out.getvalue()


async def events_csv(services: Services, start: date, end: date) -> str:
    """Every event in the period, in order: the SOP's timeline."""
    first, after = bounds(services, start, end)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(_EVENT_COLUMNS)
    for e in await ReportStore(services.db).events_between(first, after):
        details = json.loads(e["details"]) if e["details"] else {}
        writer.writerow(
            (
                e["number"], from_db(e["at"]).astimezone(services.settings.tz).isoformat(),
                e["action"], e["sop_step"], e["actor"], e["actor_name"] or "",
                e["from_state"] or "", e["to_state"],
                json.dumps(details, ensure_ascii=False) if details else "",
            )
        )  # fmt: skip
    return out.getvalue()


def plain_text(html: str) -> str:
    """Telegram HTML as terminal text: tags dropped, entities decoded."""
    return htmlmod.unescape(re.sub(r"<[^>]+>", "", html))


async def run_report_cli(
    env_file: str, start: date, end: date, csv_path: Path | None, out: TextIO = sys.stdout
) -> int:
    """``python -m bot report``: print the figures, optionally write the CSV export.

    The tickets go to ``csv_path`` and the events next to it (``<name>_peristiwa.csv``).
    """
    from bot.clock import utc_now
    from bot.config import load_settings
    from bot.services import open_services

    settings = load_settings(env_file)
    services = await open_services(settings, utc_now)
    try:
        if start > end:
            print(services.texts.plain_msg("tenggat_laporan.urutan_salah"), file=sys.stderr)
            return 2
        report = await build_report(services, start, end)
        print(plain_text(render_report(services, report)), file=out)
        if csv_path is not None:
            suffix = csv_path.suffix or ".csv"
            events_path = csv_path.with_name(f"{csv_path.stem}_peristiwa{suffix}")
            exports = (
                (csv_path, await tickets_csv(services, start, end)),
                (events_path, await events_csv(services, start, end)),
            )
            for path, content in exports:
                await asyncio.to_thread(path.write_text, content, encoding="utf-8-sig")
            saved = services.texts.plain_msg(
                "tenggat_laporan.csv_tersimpan", tiket=str(csv_path), peristiwa=str(events_path)
            )
            print(saved, file=out)
    finally:
        await services.db.close()
    return 0
