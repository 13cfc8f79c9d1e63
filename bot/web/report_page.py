""" "Laporan": the mutu baku report of a chosen period, from the code behind ``/laporan``.

The figures come from :func:`bot.deadlines.report.build_report`, the text from
:func:`~bot.deadlines.report.render_report` (the very message ``/laporan`` posts) and the
downloads from the same export functions the staff group gets, so the page, the command and
``python -m bot report`` never disagree.
"""

from __future__ import annotations

from datetime import date

from aiohttp import web
from markupsafe import Markup

from bot.deadlines.report import build_report, events_csv, render_report, tickets_csv
from bot.deadlines.report_command import PeriodError, parse_period
from bot.services import Services
from bot.web.server import DASHBOARD, page


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


async def export(request: web.Request) -> web.StreamResponse:
    services = request.app[DASHBOARD].view
    try:
        start, end = _period(services, request.query.get("periode", "")[:40])
    except PeriodError:
        raise web.HTTPBadRequest() from None
    kind = request.match_info["kind"]
    make = tickets_csv if kind == "tiket" else events_csv
    content = (await make(services, start, end)).encode("utf-8-sig")
    name = f"{kind}_{start.isoformat()}_{end.isoformat()}.csv"
    return web.Response(
        body=content,
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def add_routes(app: web.Application) -> None:
    app.router.add_get("/laporan", report)
    app.router.add_get(r"/laporan/{kind:tiket|peristiwa}.csv", export)
