"""The sweep: nudges, breaches, LKPP status requests, user reminders, restarts, digests."""

from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace

from telegram.error import NetworkError

from bot.callbacks import TicketVerb, ticket_action
from bot.deadlines.sweep import Sweeper, sweep_job
from bot.domain.sop import Action, Clock
from bot.services import SERVICES_KEY, Services
from bot.storage.deadlines import ClockState
from tests.support.clock import WIB, FakeClock
from tests.support.deadlines_fixtures import (
    TO_CANNOT_HANDLE,
    TO_DELIVERED,
    USER_CHAT,
    RecordingNotifier,
    dl_services,
    report,
    walk,
)
from tests.support.settings import ADMIN_ID, STAFF_CHAT_ID

from .test_clocks import only

__all__ = ["dl_services"]

Env = tuple[Services, RecordingNotifier]


def wib(*args: int) -> datetime:
    return datetime(*args, tzinfo=WIB)


async def sweep(services: Services) -> None:
    await sweep_job(SimpleNamespace(bot_data={SERVICES_KEY: services}))


async def events(services: Services, number: str, action: Action) -> int:
    ticket = await services.workflow.get(number)
    assert ticket.id is not None
    return sum(1 for e in await services.workflow.store.events(ticket.id) if e.action is action)


async def test_escalation_nudge_at_minute_three_then_breach_at_five(
    dl_services: Env, clock: FakeClock
) -> None:
    services, sent = dl_services
    number = await report(services)
    await walk(services, number, *TO_CANNOT_HANDLE)
    clock.advance(minutes=2, seconds=59)
    await sweep(services)
    assert sent.sent == []
    clock.advance(seconds=1)
    await sweep(services)
    [nudge] = sent.to(STAFF_CHAT_ID)
    assert number in nudge.html
    assert "Kirim eskalasi" in nudge.html  # the one action to take
    assert nudge.buttons == [
        [("📤 Kirim eskalasi", ticket_action(TicketVerb.SEND_ESCALATION, number))]
    ]
    await sweep(services)
    assert len(sent.sent) == 1  # not twice
    clock.advance(minutes=2)
    await sweep(services)
    staff = sent.to(STAFF_CHAT_ID)
    assert len(staff) == 2
    assert "terlewat" in staff[1].html
    assert "LPSE" in staff[1].html
    [admin] = sent.to(ADMIN_ID)
    assert admin.html == staff[1].html
    row = await only(services, number, Clock.ESCALATION)
    assert row.state is ClockState.BREACHED
    # Delivered late: the breach stays, the real time is recorded.
    clock.advance(minutes=3)
    await walk(services, number, Action.ESCALATE, Action.ESCALATION_DELIVERED)
    row = await only(services, number, Clock.ESCALATION)
    assert (row.state, row.measured) == (ClockState.BREACHED, timedelta(minutes=8))


async def test_met_clock_never_breaches(dl_services: Env, clock: FakeClock) -> None:
    services, sent = dl_services
    number = await report(services)
    await walk(services, number, *TO_CANNOT_HANDLE)
    clock.advance(minutes=1)
    await walk(services, number, Action.ESCALATE, Action.ESCALATION_DELIVERED)
    clock.advance(minutes=10)
    await sweep(services)
    assert sent.sent == []


async def test_nudge_without_button_when_the_email_is_already_queued(
    dl_services: Env, clock: FakeClock
) -> None:
    services, sent = dl_services
    number = await report(services)
    await walk(services, number, *TO_CANNOT_HANDLE, Action.ESCALATE)
    clock.advance(minutes=3)
    await sweep(services)
    [nudge] = sent.sent
    assert not nudge.buttons
    assert "antrean" in nudge.html


async def test_lkpp_status_lapse_in_office_hours_requests_status_and_starts_progress(
    dl_services: Env, clock: FakeClock
) -> None:
    services, sent = dl_services
    number = await report(services)
    await walk(services, number, *TO_DELIVERED)  # Tue 09:00 → due Thu 09:00
    clock.set(wib(2026, 11, 26, 9, 0))
    await sweep(services)
    assert await events(services, number, Action.REQUEST_STATUS) == 1
    status = await only(services, number, Clock.LKPP_STATUS)
    assert status.state is ClockState.BREACHED
    progress = await only(services, number, Clock.LKPP_PROGRESS)
    assert (progress.started_at, progress.due_at) == (clock(), wib(2026, 11, 27, 9, 0))
    [alert] = sent.to(STAFF_CHAT_ID)
    assert "LKPP" in alert.html and "antrean email" in alert.html
    # The next working day without LKPP email is a further breach and request.
    clock.set(wib(2026, 11, 27, 9, 0))
    await sweep(services)
    assert await events(services, number, Action.REQUEST_STATUS) == 2
    progress_rows = [
        r for r in await services.db.fetchall("SELECT sequence, state FROM deadlines "
                                              "WHERE clock = 'progres_lkpp' ORDER BY sequence")
    ]  # fmt: skip
    assert [(r[0], r[1]) for r in progress_rows] == [(1, "breached"), (2, "running")]
    # LKPP finally answers: the status clock's real time is recorded.
    clock.set(wib(2026, 11, 27, 10, 0))
    await walk(services, number, Action.LKPP_PROGRESS)
    status = await only(services, number, Clock.LKPP_STATUS)
    assert status.measured == timedelta(days=3, hours=1)


async def test_lkpp_lapse_after_hours_defers_the_request_to_the_next_office_time(
    dl_services: Env, clock: FakeClock
) -> None:
    services, sent = dl_services
    clock.set(wib(2026, 11, 24, 17, 0))
    number = await report(services)
    await walk(services, number, *TO_DELIVERED)  # due Thu 26 17:00, after office hours
    clock.set(wib(2026, 11, 26, 17, 0))
    await sweep(services)
    assert await events(services, number, Action.REQUEST_STATUS) == 0
    [alert] = sent.to(STAFF_CHAT_ID)
    assert "jam kerja berikutnya" in alert.html
    row = await only(services, number, Clock.LKPP_STATUS)
    assert row.wake_at == wib(2026, 11, 27, 7, 30)
    clock.set(wib(2026, 11, 27, 7, 29))
    await sweep(services)
    assert await events(services, number, Action.REQUEST_STATUS) == 0
    clock.set(wib(2026, 11, 27, 7, 30))
    await sweep(services)
    assert await events(services, number, Action.REQUEST_STATUS) == 1
    progress = await only(services, number, Clock.LKPP_PROGRESS)
    # The next window started at the lapsed deadline (Thu 17:00), not at the request.
    assert progress.started_at == wib(2026, 11, 26, 17, 0)
    assert progress.due_at == wib(2026, 11, 27, 17, 0)
    assert len(sent.to(STAFF_CHAT_ID)) == 1  # the request itself is not another alert


async def test_lkpp_email_before_the_deferred_request_cancels_it(
    dl_services: Env, clock: FakeClock
) -> None:
    services, _ = dl_services
    clock.set(wib(2026, 11, 24, 17, 0))
    number = await report(services)
    await walk(services, number, *TO_DELIVERED)
    clock.set(wib(2026, 11, 26, 17, 0))
    await sweep(services)
    clock.set(wib(2026, 11, 26, 20, 0))
    await walk(services, number, Action.LKPP_PROGRESS)
    clock.set(wib(2026, 11, 27, 7, 30))
    await sweep(services)
    assert await events(services, number, Action.REQUEST_STATUS) == 0


async def test_user_is_reminded_after_one_working_day_and_staff_told_after_two(
    dl_services: Env, clock: FakeClock
) -> None:
    services, sent = dl_services
    number = await report(services)
    await walk(services, number, *TO_DELIVERED, Action.LKPP_REQUEST_DATA)
    await walk(services, number, Action.PASS_REQUEST_TO_USER)
    clock.set(wib(2026, 11, 25, 9, 0))
    await sweep(services)
    [reminder] = sent.to(USER_CHAT)
    assert number in reminder.html and "Pengingat" in reminder.html
    assert sent.to(STAFF_CHAT_ID) == []
    clock.set(wib(2026, 11, 26, 9, 0))
    await sweep(services)
    [alert] = sent.to(STAFF_CHAT_ID)
    assert "belum mengirim data" in alert.html
    assert sent.to(ADMIN_ID) == []  # the user's silence is not an SOP breach for admins
    assert len(sent.to(USER_CHAT)) == 1


async def test_blocked_user_reminder_is_logged_not_retried(
    dl_services: Env, clock: FakeClock
) -> None:
    services, sent = dl_services
    sent.blocked.add(USER_CHAT)
    number = await report(services)
    await walk(services, number, *TO_DELIVERED, Action.LKPP_REQUEST_DATA)
    await walk(services, number, Action.PASS_REQUEST_TO_USER)
    clock.set(wib(2026, 11, 25, 9, 0))
    await sweep(services)
    sent.blocked.clear()
    await sweep(services)
    assert sent.to(USER_CHAT) == []
    error = await services.db.fetchval("SELECT error FROM deadline_notices")
    assert error == "diblokir"


async def test_priority_target_breach_alerts_group_and_admins(
    dl_services: Env, clock: FakeClock
) -> None:
    services, sent = dl_services
    number = await report(services)
    await walk(services, number, *TO_DELIVERED, Action.LKPP_PROGRESS)
    for day in (25, 26, 27):
        clock.set(wib(2026, 11, day, 8, 59))
        await walk(services, number, Action.LKPP_PROGRESS)  # keep the daily clock met
    clock.set(wib(2026, 11, 27, 9, 0))
    await sweep(services)
    [alert] = sent.to(STAFF_CHAT_ID)
    assert "tabel prioritas" in alert.html
    assert len(sent.to(ADMIN_ID)) == 1


async def test_telegram_failure_keeps_notices_for_the_next_sweep(
    dl_services: Env, clock: FakeClock
) -> None:
    services, sent = dl_services
    number = await report(services)
    await walk(services, number, *TO_CANNOT_HANDLE)
    clock.advance(minutes=3)
    sent.failing = NetworkError("down")
    await sweep(services)
    assert sent.sent == []
    sent.failing = None
    clock.advance(seconds=20)
    await sweep(services)
    assert len(sent.to(STAFF_CHAT_ID)) == 1


async def test_restart_after_downtime_fires_each_overdue_action_once(
    dl_services: Env, clock: FakeClock
) -> None:
    services, sent = dl_services
    minute = await report(services)
    await walk(services, minute, *TO_CANNOT_HANDLE)
    lkpp = await report(services)
    await walk(services, lkpp, *TO_DELIVERED)
    asked = await report(services)
    await walk(services, asked, *TO_DELIVERED, Action.LKPP_REQUEST_DATA)
    await walk(services, asked, Action.PASS_REQUEST_TO_USER)
    # Down from Tuesday 09:00 until Tuesday a week later, 10:00: then a fresh sweeper starts.
    clock.set(wib(2026, 12, 1, 10, 0))
    restarted = Sweeper(services, sent)  # type: ignore[arg-type]
    services.sweeper = restarted
    for _ in range(6):
        await sweep(services)
        clock.advance(seconds=20)
    breaches = await services.db.fetchall(
        "SELECT t.number, b.clock FROM breaches b JOIN tickets t ON t.id = b.ticket_id"
    )
    # Status due Thu 26 Nov 09:00; LKPP stayed silent, so the progress windows Thu-Fri,
    # Fri-Mon and Mon-Tue each lapsed at their deadline (step 14), one breach each.
    assert sorted((r[0], r[1]) for r in breaches) == sorted(
        [
            (minute, Clock.ESCALATION.value),
            (lkpp, Clock.LKPP_STATUS.value),
            *[(lkpp, Clock.LKPP_PROGRESS.value)] * 3,
            (lkpp, Clock.PRIORITY_TARGET.value),
            (asked, Clock.USER_ANSWER.value),
        ]
    )
    # One status request for the whole silence, not one per lapsed window.
    assert await events(services, lkpp, Action.REQUEST_STATUS) == 1
    staff = "\n".join(s.html for s in sent.to(STAFF_CHAT_ID))
    assert "Batas waktu hampir habis" not in staff  # the stale nudge is skipped
    assert len(sent.to(USER_CHAT)) == 1  # the user still gets one reminder
    unsent = await services.db.fetchval(
        "SELECT COUNT(*) FROM deadline_notices WHERE sent_at IS NULL"
    )
    assert unsent == 0
    # The running window lapses once per working day, not per sweep.
    clock.set(wib(2026, 12, 2, 10, 0))
    for _ in range(3):
        await sweep(services)
        clock.advance(seconds=20)
    assert await events(services, lkpp, Action.REQUEST_STATUS) == 2


async def test_claimed_rows_of_a_crashed_sweep_come_back_after_the_lease(
    dl_services: Env, clock: FakeClock
) -> None:
    services, sent = dl_services
    number = await report(services)
    await walk(services, number, *TO_CANNOT_HANDLE)
    clock.advance(minutes=3)
    sweeper = services.sweeper
    assert sweeper is not None
    _, ids = await sweeper.claim(clock())  # claimed, then the process dies
    assert len(ids) == 1
    await sweep(services)
    assert sent.sent == []  # still leased
    clock.advance(minutes=5)
    await sweep(services)
    assert [s.chat_id for s in sent.sent] == [STAFF_CHAT_ID, ADMIN_ID]  # breach only
    assert await services.db.fetchval("SELECT COUNT(*) FROM breaches") == 1


async def test_forward_nudge_offers_the_forward_button_then_breaches(
    dl_services: Env, clock: FakeClock
) -> None:
    services, sent = dl_services
    number = await report(services)
    await walk(services, number, *TO_DELIVERED, Action.LKPP_REQUEST_DATA)
    await walk(services, number, Action.PASS_REQUEST_TO_USER)
    clock.advance(hours=2)
    await walk(services, number, Action.USER_SENDS_DATA)
    clock.advance(minutes=3)
    await sweep(services)
    [nudge] = sent.to(STAFF_CHAT_ID)
    assert nudge.buttons == [
        [("📤 Teruskan data ke LKPP", ticket_action(TicketVerb.FORWARD_DATA, number))]
    ]
    clock.advance(minutes=2)
    await sweep(services)
    assert "Teruskan data tambahan ke LKPP" in sent.to(STAFF_CHAT_ID)[1].html
    assert (await only(services, number, Clock.FORWARD)).state is ClockState.BREACHED


async def test_a_closure_added_while_the_clock_runs_postpones_the_breach(
    dl_services: Env, clock: FakeClock
) -> None:
    services, sent = dl_services
    clock.set(wib(2026, 11, 26, 10, 0))  # Thursday: LKPP status due Monday 10:00
    number = await report(services)
    await walk(services, number, *TO_DELIVERED)
    async with services.db.transaction():  # then staff close the office on Friday
        await services.workflow.store.set_override(
            datetime(2026, 11, 27).date(), "tutup", "Banjir", None, clock()
        )
    await services.reload_calendar()
    clock.set(wib(2026, 11, 30, 10, 0))
    await sweep(services)
    assert sent.sent == []
    row = await only(services, number, Clock.LKPP_STATUS)
    assert (row.state, row.due_at) == (ClockState.RUNNING, wib(2026, 12, 1, 10, 0))
    clock.set(wib(2026, 12, 1, 10, 0))
    await sweep(services)
    assert (await only(services, number, Clock.LKPP_STATUS)).state is ClockState.BREACHED


async def test_user_reminder_goes_through_the_user_side_when_installed(
    dl_services: Env, clock: FakeClock
) -> None:
    services, sent = dl_services
    reminded: list[str] = []

    class UserSide:
        async def remind_data(self, number: str) -> bool:
            reminded.append(number)
            return True

    services.user_notifier = UserSide()  # type: ignore[assignment]
    number = await report(services)
    await walk(services, number, *TO_DELIVERED, Action.LKPP_REQUEST_DATA)
    await walk(services, number, Action.PASS_REQUEST_TO_USER)
    clock.set(wib(2026, 11, 25, 9, 0))
    await sweep(services)
    await sweep(services)
    assert reminded == [number]
    assert sent.to(USER_CHAT) == []
