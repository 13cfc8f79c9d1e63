"""The report's figures for a fixture month equal what is computed here by hand.

December 2026 (WIB). 24 Dec is cuti bersama, 25 Dec Christmas, 1 Jan 2027 New Year; the report
is made on Monday 4 January 2027 at 12:00, so December is over (not provisional) while two of its
breaches are still open. The priority is the default "Menengah" (3 working days) throughout.

T1 on time: escalation 3 min; LKPP #PROGRES after 24 h (status met); #SELESAI 6 h later
   (progress 6 h met; the window the solved email opened yields nothing); target 30 h.
T2 escalation delivered at 5 min 02 s with no sweep in between: late by 2 s. #SELESAI 24 h
   later: status 24 h met, target 24 h met, no progress figure (one email, one measurement).
T3 escalation 4 min; LKPP #DATA after 4 h (status met); user answers in 50 min; the data is
   forwarded 7 min 03 s after it came (late by 2 min 3 s); #SELESAI Fri 10:00: progress window
   from the forward (Thu 14:07:03) 19 h 52 min 57 s met; target paused 57 min 03 s → 23 h 58 min
   57 s met.
T4 across the holiday week: delivered Wed 23 Dec 10:01, #PROGRES Mon 28 09:00: status 13 h 59
   min + 9 h = 22 h 59 min met; #SELESAI 15:00: progress 6 h met; target 28 h 59 min met.
T5 LKPP silent: delivered Mon 7 Dec 09:02, status due Wed 9 09:02; the sweep lapses each window
   and asks for the status (Wed, Thu, Fri, Mon: 4 requests); #PROGRES Mon 14 11:02. Status
   5 working days 2 h (late 3 d 2 h). Windows: Wed 9→email 3 d 2 h, Thu 10→ 2 d 2 h,
   Fri 11→ 1 d 2 h (all late), Mon 14 09:02→11:02 2 h met; #SELESAI Tue 15 10:02: 23 h met.
   Target due Thu 10 09:02, solved after 6 d 1 h: late 3 d 1 h.
T6 solved locally: no clock.  T7 escalation abandoned after 2 minutes: not counted.
T8 delivered Mon 28 Dec 09:01, LKPP silent to the report: status (due Wed 30) open, measured
   to Mon 4 Jan 12:00: 14 h 59 min + 3 days + 12 h = 4 d 2 h 59 min; window Wed 30→ open
   2 d 2 h 59 min; target (due Thu 31) open 4 d 2 h 59 min. Its next window falls due in
   January: not December's.

Escalation: 3m, 5m2s, 4m, 1m, 2m, 1m → 6 measured, 5 met, median 2 m 30 s, worst 5 m 2 s.
Status: 24h, 24h, 4h, 22h59m, 5d2h (late), 4d2h59m (open) → 6, 4 met, 1 late, 1 open.
Progress: T1 6h, T3 19h52m57s, T4 6h, T5 3d2h/2d2h/1d2h (late), 2h, 23h, T8 2d2h59m (open)
   → 9 measured, 5 met, 3 late, 1 open; worst 3 d 2 h.
Target: 30h, 24h, 23h58m57s, 28h59m, 6d1h (late), 4d2h59m (open) → 6, 4 met.
LPSE: 7 measured (6 escalations + 1 forward), 5 met, 2 late. LKPP: 21 measured, 13 met, 5 late,
3 open. Breaches per week (Mondays 30 Nov … 28 Dec): LPSE 2 | LKPP 4 | LKPP 1 | 0 | LKPP 3.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from types import SimpleNamespace

from bot.deadlines.report import build_report, plain_text, render_report
from bot.deadlines.report_model import Report
from bot.deadlines.sweep import sweep_job
from bot.domain.measure import Outcome
from bot.domain.sop import Action, Actor, Clock, Responsible
from bot.services import SERVICES_KEY, Services
from tests.support.clock import WIB, FakeClock
from tests.support.deadlines_fixtures import (
    STAFF,
    TO_CANNOT_HANDLE,
    RecordingNotifier,
    dl_services,
    lkpp_says,
    report,
    walk,
)

__all__ = ["december_report", "dl_services"]

S, M, H, D = timedelta(seconds=1), timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)
ESCALATE = (Action.ESCALATE, Action.ESCALATION_DELIVERED)


def wib(*args: int) -> datetime:
    return datetime(*args, tzinfo=WIB)


async def december(services: Services, clock: FakeClock) -> dict[str, str]:
    context = SimpleNamespace(bot_data={SERVICES_KEY: services})
    t: dict[str, str] = {}

    async def at(*when: int) -> None:
        clock.set(wib(*when))

    async def sweep_at(*when: int) -> None:
        await at(*when)
        await sweep_job(context)

    async def escalated(name: str, made: datetime, delivered: datetime) -> None:
        """Reported and "cannot handle" at ``made``; escalation delivered at ``delivered``."""
        clock.set(made)
        t[name] = await report(services)
        await walk(services, t[name], *TO_CANNOT_HANDLE)
        clock.set(delivered)
        await walk(services, t[name], *ESCALATE)

    await escalated("T1", wib(2026, 12, 1, 9, 0), wib(2026, 12, 1, 9, 3))
    await escalated("T2", wib(2026, 12, 1, 10, 0), wib(2026, 12, 1, 10, 5) + 2 * S)
    await at(2026, 12, 2, 9, 3)
    await lkpp_says(
        services, t["T1"], "<t1a@lkpp.go.id>", Action.LKPP_REPLY_RECEIVED, Action.LKPP_PROGRESS
    )
    clock.set(wib(2026, 12, 2, 10, 5) + 2 * S)
    await lkpp_says(
        services, t["T2"], "<t2a@lkpp.go.id>", Action.LKPP_REPLY_RECEIVED, Action.LKPP_SOLVED
    )
    await at(2026, 12, 2, 15, 3)
    await lkpp_says(
        services, t["T1"], "<t1b@lkpp.go.id>", Action.LKPP_REPLY_RECEIVED, Action.LKPP_SOLVED
    )

    await escalated("T3", wib(2026, 12, 3, 9, 0), wib(2026, 12, 3, 9, 4))
    await at(2026, 12, 3, 13, 4)
    await lkpp_says(
        services, t["T3"], "<t3a@lkpp.go.id>", Action.LKPP_REPLY_RECEIVED, Action.LKPP_REQUEST_DATA
    )
    await at(2026, 12, 3, 13, 10)
    await walk(services, t["T3"], Action.PASS_REQUEST_TO_USER)
    await at(2026, 12, 3, 14, 0)
    await walk(services, t["T3"], Action.USER_SENDS_DATA)
    clock.set(wib(2026, 12, 3, 14, 7) + 3 * S)
    await walk(services, t["T3"], Action.FORWARD_DATA, Action.FORWARD_DELIVERED)
    await at(2026, 12, 4, 10, 0)
    await lkpp_says(
        services, t["T3"], "<t3b@lkpp.go.id>", Action.LKPP_REPLY_RECEIVED, Action.LKPP_SOLVED
    )

    await escalated("T5", wib(2026, 12, 7, 9, 0), wib(2026, 12, 7, 9, 2))
    await at(2026, 12, 8, 9, 0)
    t["T6"] = await report(services)
    await walk(services, t["T6"], Action.TAKE)
    await services.workflow.apply(
        t["T6"], Action.SOLVE_LOCALLY, Actor.STAFF, STAFF, {"text": "Akun dibuka kembali"}
    )
    for day in (9, 10, 11, 14):
        await sweep_at(2026, 12, day, 10, 0)
    await at(2026, 12, 14, 11, 2)
    await lkpp_says(
        services, t["T5"], "<t5a@lkpp.go.id>", Action.LKPP_REPLY_RECEIVED, Action.LKPP_PROGRESS
    )
    await at(2026, 12, 15, 10, 2)
    await lkpp_says(
        services, t["T5"], "<t5b@lkpp.go.id>", Action.LKPP_REPLY_RECEIVED, Action.LKPP_SOLVED
    )

    await at(2026, 12, 16, 9, 0)
    t["T7"] = await report(services)
    await walk(services, t["T7"], *TO_CANNOT_HANDLE)
    await at(2026, 12, 16, 9, 2)
    await walk(services, t["T7"], Action.CANCEL_ESCALATION)

    await escalated("T4", wib(2026, 12, 23, 10, 0), wib(2026, 12, 23, 10, 1))
    await at(2026, 12, 28, 9, 0)
    await lkpp_says(
        services, t["T4"], "<t4a@lkpp.go.id>", Action.LKPP_REPLY_RECEIVED, Action.LKPP_PROGRESS
    )
    await escalated("T8", wib(2026, 12, 28, 9, 0), wib(2026, 12, 28, 9, 1))
    await at(2026, 12, 28, 15, 0)
    await lkpp_says(
        services, t["T4"], "<t4b@lkpp.go.id>", Action.LKPP_REPLY_RECEIVED, Action.LKPP_SOLVED
    )
    for day in (30, 31):
        await sweep_at(2026, 12, day, 10, 0)
    await sweep_at(2027, 1, 4, 10, 0)
    await at(2027, 1, 4, 12, 0)
    return t


async def december_report(services: Services, clock: FakeClock) -> tuple[dict[str, str], Report]:
    """The December fixture and its report, made on Monday 4 January 2027 at 12:00."""
    t = await december(services, clock)
    return t, await build_report(services, date(2026, 12, 1), date(2026, 12, 31))


def figures(result: Report, clock: Clock) -> tuple[int, int, int, int]:
    [s] = [s for s in (*result.standards, *result.service) if s.clock is clock]
    f = s.figures
    return f.measured, f.met, f.breached, f.open


async def test_december_figures_equal_the_hand_computed_ones(
    dl_services: tuple[Services, RecordingNotifier], clock: FakeClock
) -> None:
    services, _ = dl_services
    t, result = await december_report(services, clock)
    assert not result.provisional
    by = {s.clock: s.figures for s in (*result.standards, *result.service)}

    assert figures(result, Clock.ESCALATION) == (6, 5, 1, 0)
    assert by[Clock.ESCALATION].median == 2 * M + 30 * S
    assert by[Clock.ESCALATION].worst == 5 * M + 2 * S
    assert figures(result, Clock.FORWARD) == (1, 0, 1, 0)
    assert by[Clock.FORWARD].worst == 7 * M + 3 * S
    assert figures(result, Clock.LKPP_STATUS) == (6, 4, 1, 1)
    assert by[Clock.LKPP_STATUS].worst == 5 * D + 2 * H
    assert figures(result, Clock.LKPP_PROGRESS) == (9, 5, 3, 1)
    assert by[Clock.LKPP_PROGRESS].worst == 3 * D + 2 * H
    assert by[Clock.LKPP_PROGRESS].median == 23 * H  # 2h 6h 6h 19h52m57s [23h] 26h 50h …
    assert figures(result, Clock.PRIORITY_TARGET) == (6, 4, 1, 1)
    assert by[Clock.PRIORITY_TARGET].worst == 6 * D + H
    assert figures(result, Clock.USER_ANSWER) == (1, 1, 0, 0)
    assert by[Clock.USER_ANSWER].worst == 50 * M

    lpse, lkpp_side = result.sides[Responsible.LPSE], result.sides[Responsible.LKPP]
    assert (lpse.measured, lpse.met, lpse.late) == (7, 5, 2)
    assert (lkpp_side.measured, lkpp_side.met, lkpp_side.breached, lkpp_side.open) == (
        21, 13, 5, 3,
    )  # fmt: skip
    [menengah] = [p for p in result.priorities if p.key == "menengah"]
    assert (menengah.figures.measured, menengah.figures.met, menengah.target_days) == (6, 4, 3)

    lines = [(b.number, b.clock, b.outcome, b.late) for b in result.breaches]
    assert lines == [
        (t["T2"], Clock.ESCALATION, Outcome.BREACHED, 2 * S),
        (t["T3"], Clock.FORWARD, Outcome.BREACHED, 2 * M + 3 * S),
        (t["T5"], Clock.LKPP_STATUS, Outcome.BREACHED, 3 * D + 2 * H),
        (t["T5"], Clock.LKPP_PROGRESS, Outcome.BREACHED, 2 * D + 2 * H),
        (t["T5"], Clock.PRIORITY_TARGET, Outcome.BREACHED, 3 * D + H),
        (t["T5"], Clock.LKPP_PROGRESS, Outcome.BREACHED, D + 2 * H),
        (t["T5"], Clock.LKPP_PROGRESS, Outcome.BREACHED, 2 * H),
        (t["T8"], Clock.LKPP_STATUS, Outcome.OPEN, 2 * D + 2 * H + 59 * M),
        (t["T8"], Clock.LKPP_PROGRESS, Outcome.OPEN, D + 2 * H + 59 * M),
        (t["T8"], Clock.PRIORITY_TARGET, Outcome.OPEN, D + 2 * H + 59 * M),
    ]
    weeks = [(monday, sides[Responsible.LPSE], sides[Responsible.LKPP])
             for monday, sides in result.weeks()]  # fmt: skip
    assert weeks == [
        (date(2026, 11, 30), 2, 0), (date(2026, 12, 7), 0, 4), (date(2026, 12, 14), 0, 1),
        (date(2026, 12, 21), 0, 0), (date(2026, 12, 28), 0, 3),
    ]  # fmt: skip
    requests = await services.db.fetchval(
        "SELECT COUNT(*) FROM events e JOIN tickets k ON k.id = e.ticket_id "
        "WHERE k.number = ? AND e.action = ?",
        (t["T5"], Action.REQUEST_STATUS.value),
    )
    assert requests == 4
    assert len(result.tickets) == 8

    text = plain_text(render_report(services, result))
    assert "Sementara" not in text
    assert f"{t['T2']} — Eskalasi, LPSE, batas" in text and "terlambat 2 detik" in text
    assert "terlambat 2 menit 3 detik" in text
    assert "terlambat 3 hari kerja 2 jam" in text
    assert "masih terbuka: 4 hari kerja 2 jam 59 menit" in text
    assert "Median 2 menit 30 detik · terlama 5 menit 2 detik" in text
    assert "terlama 3 hari kerja 2 jam" in text
    assert "Menengah (target 3 hari kerja): diukur 6, tepat 4, terlambat 2" in text
    assert "• LKPP: diukur 21, tepat waktu 13, terlambat 8 (masih terbuka 3)" in text
    assert "Angka layanan bot" in text


async def test_a_period_not_over_is_provisional(
    dl_services: tuple[Services, RecordingNotifier], clock: FakeClock
) -> None:
    services, _ = dl_services
    clock.set(wib(2026, 12, 15, 12, 0))
    number = await report(services)
    await walk(services, number, *TO_CANNOT_HANDLE)
    clock.advance(minutes=6)  # past its 5 minutes, not stopped, no sweep: an open breach
    result = await build_report(services, date(2026, 12, 1), date(2026, 12, 31))
    assert result.provisional
    text = plain_text(render_report(services, result))
    assert "Sementara, sampai Selasa, 15 Desember 2026 12.06 WIB" in text
    assert "masih terbuka: 6 menit (terlambat 1 menit)" in text
