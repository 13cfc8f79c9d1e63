"""The mutu baku report as text, and ``python -m bot report``.

The figures come from :func:`bot.deadlines.report_model.build_report`; this module only says
them in Indonesian (``locales/id/telegram/tenggat_laporan.html``). The chart and the
spreadsheet are :mod:`bot.deadlines.report_chart` and :mod:`bot.deadlines.report_xlsx`; each
returns bytes, so the staff group, the command line and a web page show the same report.
"""

from __future__ import annotations

import asyncio
import html as htmlmod
import re
import sys
from datetime import date
from pathlib import Path
from typing import TextIO

from bot.deadlines.report_model import Report, build_report
from bot.domain.measure import Outcome
from bot.domain.sop import Clock, Responsible
from bot.services import Services

__all__ = ["build_report", "plain_text", "render_report", "run_report_cli"]


def render_report(services: Services, report: Report) -> str:
    """The report as Telegram HTML (the command line strips the tags)."""
    texts = services.texts
    return texts.render(
        "tenggat_laporan",
        r=report,
        jam={c: texts.msg(f"tenggat_jam.{c.value}") for c in Clock},
        jam_singkat={c: texts.msg(f"tenggat_jam_singkat.{c.value}") for c in Clock},
        pihak={side: texts.msg(f"tenggat_pihak.{side.value}") for side in Responsible},
        prioritas={key: level.name for key, level in services.priorities.levels.items()},
        pengingat=services.settings.standards.user_reminder_working_days,
        target=Clock.PRIORITY_TARGET,
        progres=Clock.LKPP_PROGRESS,
        terbuka=Outcome.OPEN,
    )


def plain_text(html: str) -> str:
    """Telegram HTML as terminal text: tags dropped, entities decoded."""
    return htmlmod.unescape(re.sub(r"<[^>]+>", "", html))


def file_stem(report: Report) -> str:
    """``mutu_baku_2026-05-01_2026-05-31``: the name of the chart and the spreadsheet."""
    return f"mutu_baku_{report.start.isoformat()}_{report.end.isoformat()}"


async def run_report_cli(
    env_file: str,
    period: str | None,
    start: date | None,
    end: date | None,
    chart: Path | None = None,
    xlsx: Path | None = None,
    out: TextIO | None = None,
) -> int:
    """``python -m bot report [periode] [--from --to] [--chart f.png] [--xlsx f.xlsx]``.

    ``--from``/``--to`` win over the period; neither means this month up to today.
    """
    from bot.clock import utc_now
    from bot.config import load_settings
    from bot.deadlines.period import PeriodError, parse_period
    from bot.deadlines.recompute import open_recomputed

    out = out or sys.stdout
    settings = load_settings(env_file)
    services = await open_recomputed(settings, utc_now)
    texts = services.texts
    try:
        today = services.clock().astimezone(settings.tz).date()
        try:
            first, last = parse_period(period or "", today)
        except PeriodError as exc:
            print(texts.plain_msg(f"tenggat_laporan.{exc.key}", teks=exc.text), file=sys.stderr)
            return 2
        first, last = start or first, end or last
        if first > last:
            print(texts.plain_msg("tenggat_laporan.urutan_salah"), file=sys.stderr)
            return 2
        report = await build_report(services, first, last)
        print(plain_text(render_report(services, report)), file=out)
        if chart is not None:
            from bot.deadlines.report_chart import render_chart

            png = await asyncio.to_thread(render_chart, services.texts, report)
            await asyncio.to_thread(chart.write_bytes, png)
            print(texts.plain_msg("tenggat_laporan.tersimpan", berkas=str(chart)), file=out)
        if xlsx is not None:
            from bot.deadlines.report_xlsx import render_xlsx

            data = await asyncio.to_thread(render_xlsx, services, report)
            await asyncio.to_thread(xlsx.write_bytes, data)
            print(texts.plain_msg("tenggat_laporan.tersimpan", berkas=str(xlsx)), file=out)
    finally:
        await services.db.close()
    return 0
