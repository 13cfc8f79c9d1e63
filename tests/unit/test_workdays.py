"""Working days in Indonesia: weekends, national holidays, cuti bersama and local closures."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.workdays import OfficeHours, WorkingCalendar

WIB = ZoneInfo("Asia/Jakarta")
WITA = ZoneInfo("Asia/Makassar")
WIT = ZoneInfo("Asia/Jayapura")


@pytest.fixture
def cal() -> WorkingCalendar:
    return WorkingCalendar(WIB)


def at(y, m, d, hh=10, mm=0, tz=WIB) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=tz)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 11, 24), True),  # an ordinary Tuesday
        (date(2026, 11, 28), False),  # Saturday
        (date(2026, 11, 29), False),  # Sunday
        (date(2026, 8, 17), False),  # Hari Kemerdekaan
        (date(2026, 3, 19), False),  # Nyepi
        (date(2026, 3, 18), False),  # cuti bersama Nyepi
        (date(2026, 3, 20), False),  # cuti bersama Idul Fitri
        (date(2026, 3, 23), False),
        (date(2026, 3, 24), False),
        (date(2026, 3, 25), True),
        (date(2026, 12, 24), False),  # cuti bersama Natal
        (date(2026, 12, 25), False),
        (date(2026, 12, 31), True),
        (date(2027, 1, 1), False),
    ],
)
def test_is_working_day(cal, day, working):
    assert cal.is_working_day(day) is working


def test_nyepi_plus_two_working_days_is_thursday_26_march(cal):
    due = cal.add_working_days(at(2026, 3, 19), 2)
    # The start is a holiday: counting begins Wednesday 25 March 00:00 and runs two full days.
    assert due == at(2026, 3, 27, 0, 0)
    assert cal.deadline_day(due) == date(2026, 3, 26)


def test_start_on_a_working_day_keeps_the_time_of_day(cal):
    assert cal.add_working_days(at(2026, 3, 17, 14, 30), 2) == at(2026, 3, 26, 14, 30)
    assert cal.add_working_days(at(2026, 11, 27, 9), 1) == at(2026, 11, 30, 9)  # Fri → Mon


def test_idul_fitri_week(cal):
    # Thursday 19 March is Nyepi, then cuti bersama and Idul Fitri until Tuesday 24 March.
    assert cal.add_working_days(at(2026, 3, 17, 10), 1) == at(2026, 3, 25, 10)
    assert cal.working_time_between(at(2026, 3, 17, 10), at(2026, 3, 25, 10)) == timedelta(days=1)


def test_year_end(cal):
    # Wed 23 Dec 2026 10:00 + 2: Thu 24 cuti bersama, Fri 25 Natal, weekend, Mon 28.
    assert cal.add_working_days(at(2026, 12, 23, 10), 2) == at(2026, 12, 29, 10)
    # Thu 31 Dec + 1: 1 Jan is New Year, then the weekend.
    assert cal.add_working_days(at(2026, 12, 31, 15), 1) == at(2027, 1, 4, 15)


def test_start_on_a_weekend_counts_from_monday_midnight(cal):
    assert cal.add_working_days(at(2026, 11, 28, 22), 1) == at(2026, 12, 1, 0, 0)


def test_local_closure_and_cancelled_cuti_bersama(cal):
    local = cal.with_overrides({date(2026, 11, 25): "Rapat kerja"}, {date(2026, 12, 24): "Masuk"})
    assert not local.is_working_day(date(2026, 11, 25))
    assert local.day_info(date(2026, 11, 25)).reason == "Rapat kerja"
    assert local.add_working_days(at(2026, 11, 24, 10), 1) == at(2026, 11, 26, 10)
    assert local.is_working_day(date(2026, 12, 24))
    assert cal.is_working_day(date(2026, 11, 25))  # the original is unchanged


def test_working_time_between(cal):
    assert cal.working_time_between(at(2026, 11, 27, 12), at(2026, 11, 30, 12)) == timedelta(
        days=1
    )
    assert cal.working_time_between(at(2026, 11, 28, 0), at(2026, 11, 29, 23)) == timedelta(0)
    assert cal.working_time_between(at(2026, 11, 30, 12), at(2026, 11, 27, 12)) == timedelta(0)
    minutes = cal.working_time_between(at(2026, 11, 24, 10), at(2026, 11, 24, 10, 7))
    assert minutes == timedelta(minutes=7)


def test_add_and_between_are_inverse(cal):
    start = at(2026, 3, 16, 8, 15)
    for days in range(0, 12):
        due = cal.add_working_days(start, days)
        assert cal.working_time_between(start, due) == timedelta(days=days)


@pytest.mark.parametrize("tz", [WIB, WITA, WIT])
def test_time_zones_decide_the_calendar_day(tz):
    cal = WorkingCalendar(tz)
    # Friday 27 Nov 2026, 23:30 UTC is already Saturday in every Indonesian zone.
    instant = datetime(2026, 11, 27, 23, 30, tzinfo=ZoneInfo("UTC"))
    assert cal.is_working_day(instant) is False
    assert cal.add_working_days(instant, 1).tzinfo is not None


def test_naive_datetimes_are_refused(cal):
    with pytest.raises(ValueError, match="naive"):
        cal.add_working_days(datetime(2026, 11, 24, 10), 1)


def test_office_hours_with_friday_of_its_own():
    cal = WorkingCalendar(WIB, office_hours=OfficeHours(time(7, 30), time(16), time(7, 30),
                                                        time(11, 0)))  # fmt: skip
    assert cal.in_office_hours(at(2026, 11, 24, 15, 59))
    assert not cal.in_office_hours(at(2026, 11, 24, 16, 0))
    assert not cal.in_office_hours(at(2026, 11, 27, 11, 30))  # Friday afternoon
    assert cal.next_office_time(at(2026, 11, 27, 11, 30)) == at(2026, 11, 30, 7, 30)
    assert cal.next_office_time(at(2026, 11, 24, 6, 0)) == at(2026, 11, 24, 7, 30)
    assert cal.next_office_time(at(2026, 12, 23, 17, 0)) == at(2026, 12, 28, 7, 30)


def test_non_working_days_reads_like_a_holiday_notice(cal):
    days = cal.non_working_days(date(2026, 3, 16), date(2026, 3, 27))
    assert [d.day for d in days] == [
        date(2026, 3, 18), date(2026, 3, 19), date(2026, 3, 20), date(2026, 3, 23),
        date(2026, 3, 24),
    ]  # fmt: skip
    assert "Nyepi" in (days[1].reason or "")
