"""The daily briefing: open tickets by state, deadlines due today, breaches since yesterday."""

from __future__ import annotations

from datetime import date, datetime
from types import SimpleNamespace

import pytest

from bot.deadlines.briefing import (
    briefing_is_due,
    briefing_job,
    catch_up_job,
    previous_working_day,
    send_briefing,
)
from bot.deadlines.sweep import sweep_job, sweeper_of
from bot.services import SERVICES_KEY, Services
from tests.support.clock import WIB, FakeClock
from tests.support.deadlines_fixtures import (
    TO_CANNOT_HANDLE,
    TO_DELIVERED,
    RecordingNotifier,
    dl_services,
    report,
    walk,
)
from tests.support.settings import STAFF_CHAT_ID

__all__ = ["dl_services"]


def wib(*args: int) -> datetime:
    return datetime(*args, tzinfo=WIB)


async def test_briefing_lists_open_tickets_todays_deadlines_and_yesterdays_breaches(
    dl_services: tuple[Services, RecordingNotifier], clock: FakeClock
) -> None:
    services, sent = dl_services
    context = SimpleNamespace(bot_data={SERVICES_KEY: services})
    clock.set(wib(2026, 11, 20, 10, 0))  # Friday: LKPP status due Tuesday 10:00
    due_today = await report(services)
    await walk(services, due_today, *TO_DELIVERED)
    clock.set(wib(2026, 11, 23, 11, 0))  # Monday: escalation breached at 11:05
    late = await report(services)
    await walk(services, late, *TO_CANNOT_HANDLE)
    clock.set(wib(2026, 11, 23, 11, 5))
    await sweep_job(context)
    clock.set(wib(2026, 11, 23, 12, 0))
    fresh = await report(services)
    sent.sent.clear()

    clock.set(wib(2026, 11, 24, 8, 0))
    await briefing_job(context)
    [briefing] = sent.to(STAFF_CHAT_ID)
    html = briefing.html
    assert "Selasa, 24 November 2026" in html
    assert "Tiket terbuka: 3" in html
    assert "Dieskalasi ke Helpdesk LKPP, menunggu tanggapan: 1" in html
    assert "Baru, menunggu diambil petugas: 1" in html
    assert "Tidak dapat ditangani LPSE, email eskalasi sedang disiapkan: 1" in html
    assert f"{due_today} — Status LKPP, pukul 10.00 WIB" in html
    assert f"{late} — Eskalasi (LPSE)" in html
    assert fresh not in html  # no clock runs on a ticket nobody has taken


async def test_no_briefing_on_christmas(
    dl_services: tuple[Services, RecordingNotifier], clock: FakeClock
) -> None:
    services, sent = dl_services
    clock.set(wib(2026, 12, 25, 8, 0))
    await briefing_job(SimpleNamespace(bot_data={SERVICES_KEY: services}))
    assert sent.sent == []


async def test_monday_briefing_looks_back_to_friday(
    dl_services: tuple[Services, RecordingNotifier],
) -> None:
    services, _ = dl_services
    assert previous_working_day(services, date(2026, 11, 30)) == date(2026, 11, 27)
    # After Christmas (cuti bersama 24, Natal 25, weekend): Monday looks back to Wednesday.
    assert previous_working_day(services, date(2026, 12, 28)) == date(2026, 12, 23)


async def test_a_briefing_goes_out_once_a_day_even_across_restarts(
    dl_services: tuple[Services, RecordingNotifier], clock: FakeClock
) -> None:
    services, sent = dl_services
    context = SimpleNamespace(bot_data={SERVICES_KEY: services})
    clock.set(wib(2026, 11, 24, 8, 0))
    await briefing_job(context)
    clock.set(wib(2026, 11, 24, 9, 30))
    await catch_up_job(context)  # a restart at 09:30: already sent this morning
    assert len(sent.to(STAFF_CHAT_ID)) == 1


async def test_a_bot_down_at_briefing_time_sends_it_when_back_the_same_day(
    dl_services: tuple[Services, RecordingNotifier], clock: FakeClock
) -> None:
    services, sent = dl_services
    context = SimpleNamespace(bot_data={SERVICES_KEY: services})
    clock.set(wib(2026, 11, 24, 7, 45))  # started before the briefing time: the job will run
    await catch_up_job(context)
    assert sent.to(STAFF_CHAT_ID) == []
    clock.set(wib(2026, 11, 24, 10, 15))  # down from 07:50 to 10:15
    await catch_up_job(context)
    [briefing] = sent.to(STAFF_CHAT_ID)
    assert "Selasa, 24 November 2026" in briefing.html
    assert not briefing_is_due(services, wib(2026, 11, 25, 18, 0))
    assert not briefing_is_due(services, wib(2026, 11, 28, 9, 0))  # Saturday


async def test_a_failed_briefing_is_released_for_the_next_attempt(
    dl_services: tuple[Services, RecordingNotifier], clock: FakeClock
) -> None:
    services, sent = dl_services
    clock.set(wib(2026, 11, 24, 8, 0))
    sweeper = sweeper_of(services)
    original = sweeper.send_staff

    async def broken(html: str, now: datetime) -> None:
        raise RuntimeError("Telegram down")

    sweeper.send_staff = broken  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        await send_briefing(services)
    sweeper.send_staff = original  # type: ignore[method-assign]
    assert await send_briefing(services)
    assert len(sent.to(STAFF_CHAT_ID)) == 1
