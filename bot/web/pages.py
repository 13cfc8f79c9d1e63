"""The dashboard's pages "Hari ini", "Tiket" and the ticket detail, and its file downloads.

Handlers are thin: they read through :class:`~bot.storage.dashboard.DashboardStore` and the
bot's own stores on the read-only connection, and hand plain values to the templates. Nothing
here writes a ticket.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import quote, urlencode

from aiohttp import web
from telegram.error import TelegramError

from bot.deadlines.clocks import ClockKeeper
from bot.domain.sop import CLOCK_OWNER, OPEN, State
from bot.domain.ticket import TicketType, UserRole
from bot.handlers.health_command import probe_rows
from bot.health import TELEGRAM_STUCK, probe_outbox, probe_quarantine, probe_telegram_outbox
from bot.services import Services
from bot.storage.dashboard import COUNT_CAP, SEARCH_DEPTH, DashboardStore, TicketFilter
from bot.storage.deadlines import ClockState, DeadlineRow, DeadlineStore
from bot.storage.tickets import TicketStore
from bot.web.server import DASHBOARD, SESSION, page
from bot.web.timeline import ticket_timeline

log = logging.getLogger(__name__)

PAGE_SIZE = 50
TODAY_CLOCKS = 100
LONG_LATE = timedelta(days=31)
"""Lateness beyond this is shown as "over a month" instead of its exact working time."""
"""Running clocks shown on "Hari ini" (soonest due first); the page says how many more."""


def _clock_view(
    services: Services, keeper: ClockKeeper, row: DeadlineRow, now: datetime
) -> dict[str, Any]:
    """A running or paused clock as the pages show it: time left or how late, working time."""
    calendar = services.calendar
    late = row.state is not ClockState.PAUSED and row.due_at <= now
    left: timedelta | None
    if row.state is ClockState.PAUSED:
        left = row.remaining or max(row.limit - keeper.elapsed(row, now), timedelta(0))
    elif late and now - row.due_at > LONG_LATE:
        left = None  # "more than a month": counting each working day of it says nothing more
    elif late:
        left = calendar.working_time_between(row.due_at, now)
    else:
        left = calendar.working_time_between(now, row.due_at)
    return {
        "jam": services.texts.msg(f"tenggat_jam_singkat.{row.clock.value}"),
        "pihak": services.texts.msg(f"tenggat_pihak.{CLOCK_OWNER[row.clock].value}"),
        "jeda": row.state is ClockState.PAUSED,
        "terlambat": late,
        "sisa": left,
        "batas": row.due_at,
    }


async def today(request: web.Request) -> web.StreamResponse:
    dashboard = request.app[DASHBOARD]
    services = dashboard.view
    now = services.clock()
    store = DashboardStore(services.db)
    keeper = ClockKeeper(services)
    counts = await TicketStore(services.db).count_by_state()
    clocks = []
    for row, number, title in await store.active_clocks(TODAY_CLOCKS):
        view = _clock_view(services, keeper, row, now)
        view.update(nomor=number, judul=title)
        clocks.append(view)
    local_today = now.astimezone(services.settings.tz).date()
    start = datetime.combine(local_today, time(0), services.settings.tz)
    breaches = await DeadlineStore(services.db).breaches_between(start, start + timedelta(days=1))
    return page(
        request,
        "hari_ini",
        sekarang=now,
        terbuka=[
            (s, services.texts.msg(f"status.{s.value}"), counts.get(s, 0))
            for s in State
            if s in OPEN
        ],
        jumlah_terbuka=sum(n for s, n in counts.items() if s in OPEN),
        terlambat=[c for c in clocks if c["terlambat"]],
        berjalan=[c for c in clocks if not c["terlambat"]],
        jumlah_jam=await store.count_active_clocks(),
        pelanggaran=[
            {
                "nomor": b.number,
                "jam": services.texts.msg(f"tenggat_jam_singkat.{b.clock.value}"),
                "pihak": services.texts.msg(f"tenggat_pihak.{b.responsible.value}"),
                "batas": b.due_at,
                "terdeteksi": b.detected_at,
            }
            for b in breaches
        ],
        antrean=await backlog_lines(services),
    )


async def backlog_lines(services: Services) -> list[dict[str, Any]]:
    """The health checks' lines about messages the bot still owes someone (``/kesehatan``)."""
    alert_after = timedelta(minutes=services.settings.outbox_alert_minutes)
    results = [
        await probe_telegram_outbox(services.db, services.clock(), TELEGRAM_STUCK),
        await probe_outbox(services.db, services.clock(), alert_after),
        await probe_quarantine(services.db),
    ]
    return probe_rows(services.texts, results)


def _choice(value: str | None, allowed: set[str]) -> str | None:
    return value if value in allowed else None


def _yes_no(value: str | None) -> bool | None:
    return {"ya": True, "tidak": False}.get(value or "")


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def parse_filter(services: Services, query: Any, applications: list[str]) -> TicketFilter:
    """The list's filters from the query string; anything unknown is ignored, never an error."""
    tz = services.settings.tz
    start, end = _day(query.get("dari")), _day(query.get("sampai"))
    return TicketFilter(
        state=_choice(query.get("status"), {s.value for s in State}),
        priority=_choice(query.get("prioritas"), set(services.priorities.levels)),
        type=_choice(query.get("jenis"), {t.value for t in TicketType}),
        role=_choice(query.get("peran"), {r.value for r in UserRole}),
        application=_choice(query.get("aplikasi"), set(applications)),
        escalated=_yes_no(query.get("eskalasi")),
        breached=_yes_no(query.get("langgar")),
        created_from=datetime.combine(start, time(0), tz) if start else None,
        created_before=datetime.combine(end + timedelta(days=1), time(0), tz) if end else None,
        text=(query.get("q") or "").strip()[:200] or None,
    )


async def ticket_list(request: web.Request) -> web.StreamResponse:
    dashboard = request.app[DASHBOARD]
    services = dashboard.view
    store = DashboardStore(services.db)
    applications = await store.applications()
    wanted = parse_filter(services, request.query, applications)
    try:
        number = max(1, int(request.query.get("halaman", "1")))
    except ValueError:
        number = 1
    total = await store.count(wanted)
    more = total > COUNT_CAP
    total = min(total, COUNT_CAP)
    pages = max(1, -(-total // PAGE_SIZE))
    number = min(number, pages)
    rows = await store.tickets(wanted, PAGE_SIZE, (number - 1) * PAGE_SIZE)
    kept = {k: v for k, v in request.query.items() if k != "halaman" and v}

    def link(to: int) -> str:
        return "/tiket?" + urlencode({**kept, "halaman": to})

    return page(
        request,
        "tiket_daftar",
        tiket=rows,
        jumlah=total,
        lebih=more,
        dangkal=bool(wanted.text) and await store.search_capped(wanted.text or ""),
        kedalaman=SEARCH_DEPTH,
        halaman=number,
        halaman_total=pages,
        sebelumnya=link(number - 1) if number > 1 else None,
        berikutnya=link(number + 1) if number < pages else None,
        pilihan=request.query,
        nama_status={s.value: services.texts.msg(f"status.{s.value}") for s in State},
        prioritas={k: lvl.name for k, lvl in services.priorities.levels.items()},
        jenis=[(t.value, t.value) for t in TicketType],
        peran=[(r.value, r.value) for r in UserRole],
        aplikasi=[(a, a) for a in applications],
        dibuat=lambda text: datetime.fromisoformat(text.replace("Z", "+00:00")),
    )


async def ticket_detail(request: web.Request) -> web.StreamResponse:
    dashboard = request.app[DASHBOARD]
    services = dashboard.view
    ticket = await TicketStore(services.db).get(request.match_info["number"].upper())
    if ticket is None:
        return page(request, "galat", status=404, kode=404)
    now = services.clock()
    keeper = ClockKeeper(services)
    clocks = []
    for row in await DeadlineStore(services.db).for_ticket(ticket.id or 0):
        view = {
            "jam": services.texts.msg(f"tenggat_jam.{row.clock.value}"),
            "urutan": row.sequence,
            "keadaan": row.state.value,
            "mulai": row.started_at,
            "batas": row.due_at,
            "batas_waktu": row.limit,
            "diukur": row.measured if row.measured is not None else keeper.elapsed(row, now),
            "pihak": services.texts.msg(f"tenggat_pihak.{CLOCK_OWNER[row.clock].value}"),
            "aktif": None,
        }
        if row.state in (ClockState.RUNNING, ClockState.PAUSED) or (
            row.state is ClockState.BREACHED and row.stopped_at is None
        ):
            view["aktif"] = _clock_view(services, keeper, row, now)
        clocks.append(view)
    return page(
        request,
        "tiket_detail",
        t=ticket,
        nama_status=services.texts.msg(f"status.{ticket.state.value}"),
        prioritas=_priority_name(services, ticket.priority),
        linimasa=await ticket_timeline(services, ticket),
        jam=clocks,
    )


def _priority_name(services: Services, key: str) -> str:
    level = services.priorities.levels.get(key)
    return level.name if level is not None else key


def _download(name: str, content: bytes) -> web.Response:
    """A file as a download only: never rendered by the browser, whatever LKPP called it."""
    safe = quote(name.replace("\n", " ").replace("\r", " "), safe="")
    return web.Response(
        body=content,
        content_type="application/octet-stream",
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{safe}",
            "X-Content-Type-Options": "nosniff",
        },
    )


async def mail_file(request: web.Request) -> web.StreamResponse:
    services = request.app[DASHBOARD].view
    row = await DashboardStore(services.db).mail_file(int(request.match_info["id"]))
    if row is None:
        return page(request, "galat", status=404, kode=404)
    return _download(row["file_name"], bytes(row["content"]))


async def telegram_file(request: web.Request) -> web.StreamResponse:
    dashboard = request.app[DASHBOARD]
    row = await DashboardStore(dashboard.read_db).telegram_file(int(request.match_info["id"]))
    if row is None or not row["telegram_file_id"]:
        return page(request, "galat", status=404, kode=404)
    try:
        file = await dashboard.bot.get_file(row["telegram_file_id"])
        content = bytes(await file.download_as_bytearray())
    except TelegramError as exc:
        log.warning("attachment %s unavailable from Telegram: %s", request.match_info["id"], exc)
        return page(request, "galat", status=502, kode=502)
    return _download(row["file_name"], content)


async def sessions(request: web.Request) -> web.StreamResponse:
    dashboard = request.app[DASHBOARD]
    session = request[SESSION]
    if not dashboard.services.settings.is_admin(session.user_id):
        return page(request, "galat", status=403, kode=403)
    now = dashboard.services.clock()
    return page(
        request,
        "sesi",
        daftar=await dashboard.gate.store.live_sessions(now),
        sekarang=now,
    )


def add_routes(app: web.Application) -> None:
    app.router.add_get("/", today)
    app.router.add_get("/tiket", ticket_list)
    app.router.add_get(r"/tiket/{number:[A-Za-z0-9-]{1,40}}", ticket_detail)
    app.router.add_get(r"/lampiran/surel/{id:\d{1,12}}", mail_file)
    app.router.add_get(r"/lampiran/telegram/{id:\d{1,12}}", telegram_file)
    app.router.add_get("/sesi", sessions)
