"""The report's figures for a fixture month equal what is computed here by hand."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from types import SimpleNamespace

from bot.deadlines.report import build_report, events_csv, render_report, tickets_csv
from bot.deadlines.sweep import sweep_job
from bot.domain.sop import Action, Actor, Clock, Responsible
from bot.domain.ticket import TicketType, UserRole
from bot.services import SERVICES_KEY, Services
from tests.support.clock import WIB, FakeClock
from tests.support.deadlines_fixtures import (
    STAFF,
    TO_CANNOT_HANDLE,
    RecordingNotifier,
    dl_services,
    report,
    walk,
)

__all__ = ["dl_services"]

H = timedelta(hours=1)
M = timedelta(minutes=1)


def wib(*args: int) -> datetime:
    return datetime(*args, tzinfo=WIB)


async def fixture_month(services: Services, clock: FakeClock) -> tuple[str, str, str]:
    """Three November tickets (2-6 Nov 2026 are plain working days) and one in December."""
    context = SimpleNamespace(bot_data={SERVICES_KEY: services})
    # T1: everything on time.
    clock.set(wib(2026, 11, 2, 9, 0))
    t1 = await report(services)
    await walk(services, t1, *TO_CANNOT_HANDLE)
    clock.set(wib(2026, 11, 2, 9, 3))  # escalation: 3 minutes, met
    await walk(services, t1, Action.ESCALATE, Action.ESCALATION_DELIVERED)
    clock.set(wib(2026, 11, 3, 9, 3))  # LKPP status: 1 day, met
    await walk(services, t1, Action.LKPP_PROGRESS)
    clock.set(wib(2026, 11, 3, 15, 3))  # progress: 6 h met; priority target: 30 h met
    await walk(services, t1, Action.LKPP_SOLVED)
    # T2: late escalation (LPSE), late LKPP status (LKPP).
    clock.set(wib(2026, 11, 3, 10, 0))
    t2 = await report(services)
    await walk(services, t2, *TO_CANNOT_HANDLE)
    clock.set(wib(2026, 11, 3, 10, 5))
    await sweep_job(context)  # escalation breached
    clock.set(wib(2026, 11, 3, 10, 12))  # delivered after 12 minutes
    await walk(services, t2, Action.ESCALATE, Action.ESCALATION_DELIVERED)
    clock.set(wib(2026, 11, 5, 10, 12))
    await sweep_job(context)  # LKPP status breached, request sent, progress #1 starts
    clock.set(wib(2026, 11, 6, 9, 12))  # solved: progress 23 h met; status 71 h; target 71 h
    await walk(services, t2, Action.LKPP_SOLVED)
    # T3: solved locally, no clock.
    clock.set(wib(2026, 11, 4, 8, 0))
    t3 = await report(
        services, type=TicketType.SERVICE_REQUEST, role=UserRole.PPK, application="e-Katalog"
    )
    await walk(services, t3, Action.TAKE)
    await services.workflow.apply(
        t3, Action.SOLVE_LOCALLY, Actor.STAFF, STAFF, {"text": "Akun dibuka kembali"}
    )
    # December: outside the period.
    clock.set(wib(2026, 12, 1, 9, 0))
    t4 = await report(services)
    await walk(services, t4, *TO_CANNOT_HANDLE)
    clock.set(wib(2026, 12, 1, 9, 1))
    await walk(services, t4, Action.ESCALATE, Action.ESCALATION_DELIVERED)
    clock.set(wib(2026, 12, 2, 12, 0))
    return t1, t2, t3


async def test_report_figures_equal_the_hand_computed_ones(
    dl_services: tuple[Services, RecordingNotifier], clock: FakeClock
) -> None:
    services, _ = dl_services
    _, t2, _ = await fixture_month(services, clock)
    result = await build_report(services, date(2026, 11, 1), date(2026, 11, 30))
    figures = {s.clock: s for s in result.standards}

    esc = figures[Clock.ESCALATION]
    assert (esc.measured, esc.met, esc.breached) == (2, 1, 1)
    assert esc.met_ratio == 0.5
    assert esc.median == (3 * M + 12 * M) / 2
    assert esc.worst == 12 * M

    status = figures[Clock.LKPP_STATUS]
    assert (status.measured, status.met, status.breached) == (2, 1, 1)
    assert status.median == (24 * H + 71 * H) / 2
    assert status.worst == 71 * H

    progress = figures[Clock.LKPP_PROGRESS]
    assert (progress.measured, progress.met, progress.breached) == (2, 2, 0)
    assert progress.met_ratio == 1.0
    assert progress.median == (6 * H + 23 * H) / 2
    assert progress.worst == 23 * H

    target = figures[Clock.PRIORITY_TARGET]
    assert (target.measured, target.met, target.breached) == (2, 2, 0)
    assert target.median == (30 * H + 71 * H) / 2
    assert target.worst == 71 * H

    for clock_ in (Clock.FORWARD, Clock.USER_ANSWER):
        assert figures[clock_].measured == 0
        assert figures[clock_].met_ratio is None

    assert [(b.number, b.clock, b.responsible) for b in result.breaches] == [
        (t2, Clock.ESCALATION, Responsible.LPSE),
        (t2, Clock.LKPP_STATUS, Responsible.LKPP),
    ]
    assert result.tickets == 3
    assert result.by_type == [("Permasalahan", 2), ("Permintaan Layanan", 1)]
    assert result.by_role == [("Penyedia", 2), ("PPK", 1)]
    assert result.by_application == [("SPSE 4.5", 2), ("e-Katalog", 1)]
    assert result.by_priority == [("menengah", 3)]

    html = render_report(services, result)
    assert "50,0%" in html and "100,0%" in html
    assert f"{t2} — Eskalasi, tanggung jawab LPSE" in html
    assert f"{t2} — Status LKPP, tanggung jawab LKPP" in html


async def test_csv_export_holds_the_period_tickets_and_events(
    dl_services: tuple[Services, RecordingNotifier], clock: FakeClock
) -> None:
    services, _ = dl_services
    t1, t2, t3 = await fixture_month(services, clock)
    tickets = list(csv.DictReader(io.StringIO(await tickets_csv(services, date(2026, 11, 1),
                                                               date(2026, 11, 30)))))  # fmt: skip
    assert [t["nomor"] for t in tickets] == [t1, t2, t3]
    assert tickets[0]["dibuat"] == "2026-11-02T09:00:00+07:00"
    events = list(csv.DictReader(io.StringIO(await events_csv(services, date(2026, 11, 1),
                                                             date(2026, 11, 30)))))  # fmt: skip
    november = await services.db.fetchval(
        "SELECT COUNT(*) FROM events WHERE at < '2026-11-30T17:00:00.000000Z'"
    )
    assert len(events) == november
    assert any(e["tiket"] == t2 and e["aksi"] == Action.REQUEST_STATUS.value for e in events)
