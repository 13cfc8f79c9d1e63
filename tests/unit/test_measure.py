"""The measuring rules of the mutu baku, generated across every boundary."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bot.domain.measure import Outcome, is_met, late_by, outcome, progress_windows, same_email
from bot.workdays import WorkingCalendar
from tests.support.clock import WIB

S = timedelta(seconds=1)
LIMITS = [timedelta(minutes=5), timedelta(days=1), timedelta(days=2), timedelta(days=5)]
CAL = WorkingCalendar(WIB)
DAY = timedelta(days=1)


def wib(*args: int) -> datetime:
    return datetime(*args, tzinfo=WIB)


@pytest.mark.parametrize("limit", LIMITS)
@pytest.mark.parametrize(
    ("offset", "stopped", "abandoned", "expected"),
    [
        (-S, True, False, Outcome.MET),
        (timedelta(0), True, False, Outcome.MET),
        (S, True, False, Outcome.BREACHED),
        (-S, False, False, Outcome.RUNNING),
        (timedelta(0), False, False, Outcome.RUNNING),
        (S, False, False, Outcome.OPEN),
        (-S, True, True, Outcome.NOT_COUNTED),
        (timedelta(0), True, True, Outcome.NOT_COUNTED),
        (S, True, True, Outcome.BREACHED),
    ],
)
def test_a_clock_is_judged_by_its_measured_time_against_its_limit(
    limit: timedelta, offset: timedelta, stopped: bool, abandoned: bool, expected: Outcome
) -> None:
    measured = limit + offset
    assert outcome(measured, limit, stopped=stopped, abandoned=abandoned) is expected
    assert is_met(measured, limit) is (offset <= timedelta(0))
    assert late_by(measured, limit) == max(offset, timedelta(0))


def test_late_by_reads_seconds_exactly() -> None:
    limit = timedelta(minutes=5)
    assert late_by(timedelta(minutes=7, seconds=3), limit) == timedelta(minutes=2, seconds=3)


def test_the_same_email_is_recognised_only_by_its_message_id() -> None:
    assert same_email("<a@lkpp>", "<a@lkpp>")
    assert not same_email("<a@lkpp>", "<b@lkpp>")
    assert not same_email(None, None)  # two steps without a Message-ID are two emails
    assert not same_email(None, "<a@lkpp>")


def windows(first: datetime, emails: list[datetime], until: datetime) -> list:
    return progress_windows(
        first, emails, until, DAY, CAL.add_working_time, CAL.working_time_between
    )


@pytest.mark.parametrize("offset", [-S, timedelta(0), S])
def test_a_window_is_met_when_lkpp_writes_within_it(offset: timedelta) -> None:
    start = wib(2026, 11, 24, 10, 0)  # Tuesday
    email = start + DAY + offset
    found = windows(start, [email], wib(2026, 11, 25, 12, 0))
    first = found[0]
    assert first.start == start and first.due == start + DAY
    if offset <= timedelta(0):
        assert first.outcome is Outcome.MET and first.end == email
        assert first.measured == DAY + offset
        assert found[1].start == email and found[1].outcome is Outcome.RUNNING
    else:
        # Lapsed at its deadline; its time runs to LKPP's email, the next window starts at
        # the deadline and is met by that same email one second later.
        assert first.outcome is Outcome.BREACHED and first.end == email
        assert first.measured == DAY + S
        assert (found[1].start, found[1].end, found[1].outcome) == (
            start + DAY, email, Outcome.MET,
        )  # fmt: skip


def test_a_silent_lkpp_breaches_one_window_per_working_day_each_measured_to_the_report() -> None:
    start = wib(2026, 11, 26, 9, 0)  # Thursday
    until = wib(2026, 12, 1, 10, 0)  # the next Tuesday
    found = windows(start, [], until)
    # Thu→Fri, Fri→Mon, Mon→Tue lapsed (open), Tue→Wed still running (not counted).
    assert [(w.start, w.outcome) for w in found] == [
        (wib(2026, 11, 26, 9, 0), Outcome.OPEN),
        (wib(2026, 11, 27, 9, 0), Outcome.OPEN),
        (wib(2026, 11, 30, 9, 0), Outcome.OPEN),
        (wib(2026, 12, 1, 9, 0), Outcome.RUNNING),
    ]
    # The first window says how long LKPP really stayed silent: 3 working days and 1 hour.
    assert found[0].measured == 3 * DAY + timedelta(hours=1)
    assert found[2].measured == DAY + timedelta(hours=1)


def test_a_window_across_a_holiday_week_counts_only_working_days() -> None:
    start = wib(2026, 12, 23, 10, 0)  # Wednesday; 24 Dec cuti bersama, 25 Dec Christmas
    email = wib(2026, 12, 28, 9, 0)  # Monday
    [first, second] = windows(start, [email], wib(2026, 12, 28, 12, 0))
    assert first.due == wib(2026, 12, 28, 10, 0)
    assert (first.outcome, first.measured) == (Outcome.MET, timedelta(hours=23))
    assert second.outcome is Outcome.RUNNING
