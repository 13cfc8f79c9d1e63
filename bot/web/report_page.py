""" "Laporan": the mutu baku report of a chosen period, from the code behind ``/laporan``.

The figures come from :func:`bot.deadlines.report.build_report`, the text from
:func:`~bot.deadlines.report.render_report` (the very message ``/laporan`` posts), the chart
from :func:`~bot.deadlines.report_chart.render_chart` and the workbook from
:func:`~bot.deadlines.report_xlsx.render_xlsx`, so the page, the staff group and
``python -m bot report`` never disagree. The chart and the workbook are drawn in a worker
thread, as ``/laporan`` does: matplotlib and openpyxl must not hold the bot's loop.
"""

from __future__ import annotations

import asyncio
from datetime import date

from aiohttp import web
from markupsafe import Markup

from bot.deadlines.report import build_report, file_stem, render_report
from bot.deadlines.report_command import PeriodError, parse_period
from bot.deadlines.report_model import Report
from bot.services import Services
from bot.web.server import DASHBOARD, page

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _period(services: Services, text: str) -> tuple[date, date]:
    today = services.clock().astimezone(services.settings.tz).date()
    return parse_period(text, today)


async def report(request: web.Request) -> web.StreamResponse:
    services = request.app[DASHBOARD].view
    text = request.query.get("periode", "").strip()[:40]
    try:
        start, end = _period(services, text)
    except PeriodError as exc:
        return page(
            request,
            "laporan",
            status=400,
            periode=text,
            galat=services.texts.msg(f"tenggat_laporan.{exc.key}", teks=exc.text),
            r=None,
        )
    built = await build_report(services, start, end)
    return page(
        request,
        "laporan",
        periode=text or f"{start.isoformat()} - {end.isoformat()}",
        kunci=f"{start.isoformat()} - {end.isoformat()}",
        galat=None,
        r=built,
        teks_laporan=Markup(render_report(services, built)),  # the catalog escaped every value
    )


async def _built(request: web.Request) -> tuple[Services, Report]:
    services = request.app[DASHBOARD].view
    try:
        start, end = _period(services, request.query.get("periode", "")[:40])
    except PeriodError:
        raise web.HTTPBadRequest() from None
    return services, await build_report(services, start, end)


async def chart(request: web.Request) -> web.StreamResponse:
    from bot.deadlines.report_chart import render_chart

    services, built = await _built(request)
    png = await asyncio.to_thread(render_chart, services.texts, built)
    return web.Response(body=png, content_type="image/png")


async def workbook(request: web.Request) -> web.StreamResponse:
    from bot.deadlines.report_xlsx import render_xlsx

    services, built = await _built(request)
    xlsx = await asyncio.to_thread(render_xlsx, services, built)
    return web.Response(
        body=xlsx,
        content_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{file_stem(built)}.xlsx"'},
    )


def add_routes(app: web.Application) -> None:
    app.router.add_get("/laporan", report)
    app.router.add_get("/laporan/grafik.png", chart)
    app.router.add_get("/laporan/mutu_baku.xlsx", workbook)
