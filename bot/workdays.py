"""Working days of an Indonesian government office, and working time between instants.

A working day is Monday-Friday in the LPSE's time zone, minus national holidays and *cuti
bersama* (the ``holidays`` package, categories public + government), minus the LPSE's own
closures, plus days on which a cuti bersama was cancelled for the LPSE.

Working time is counted in whole calendar days: every moment of a working day counts, every
moment of a non-working day does not. So "2 working days after Tuesday 10:00" is Thursday
10:00, and a start that falls outside working days begins counting at 00:00 of the next working
day: "2 working days after Nyepi (Thursday 19 March 2026, 10:00)" is the end of Thursday 26
March 2026, i.e. Friday 27 March 00:00, because 20, 23 and 24 March are cuti bersama. That
gives the counterpart the full time the SOP promises, whenever the clock started. Office hours,
which decide only *when the bot may send* a reminder email, are a separate question
(:meth:`WorkingCalendar.in_office_hours`).

Nothing here reads the clock: every instant is a parameter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays

_MAX_SCAN_DAYS = 3 * 366


@dataclass(frozen=True, slots=True)
class OfficeHours:
    """When the office answers mail: one span Monday-Thursday, Friday's own span."""

    start: time = time(7, 30)
    end: time = time(16, 0)
    friday_start: time = time(7, 30)
    friday_end: time = time(16, 30)

    def span(self, day: date) -> tuple[time, time]:
        return (
            (self.friday_start, self.friday_end) if day.weekday() == 4 else (self.start, self.end)
        )


@dataclass(frozen=True, slots=True)
class DayInfo:
    """Why a day is or is not a working day, for ``/libur`` and the reports."""

    day: date
    working: bool
    reason: str | None  # holiday name, "Sabtu"/"Minggu", or the local closure's note


class WorkingCalendar:
    """Answers working-day questions for one LPSE.

    Args:
        tz: The LPSE's time zone (Asia/Jakarta, Asia/Makassar or Asia/Jayapura).
        closures: Local extra closures: date → note.
        openings: Days that are working days despite a national cuti bersama: date → note.
        office_hours: When reminder emails may be sent.
    """

    def __init__(
        self,
        tz: ZoneInfo,
        closures: dict[date, str] | None = None,
        openings: dict[date, str] | None = None,
        office_hours: OfficeHours | None = None,
    ) -> None:
        self.tz = tz
        self.closures = dict(closures or {})
        self.openings = dict(openings or {})
        self.office_hours = office_hours or OfficeHours()
        self._national = holidays.country_holidays(
            "ID", categories=("public", "government"), language="id"
        )

    def with_overrides(
        self, closures: dict[date, str], openings: dict[date, str]
    ) -> WorkingCalendar:
        """A copy with other local overrides (after staff change them)."""
        calendar = WorkingCalendar(self.tz, closures, openings, self.office_hours)
        calendar._national = self._national
        return calendar

    # --- days ----------------------------------------------------------------------------
    def day_info(self, day: date) -> DayInfo:
        if day in self.closures:
            return DayInfo(day, False, self.closures[day] or "Libur lokal")
        if day in self.openings:
            return DayInfo(day, True, None)
        name = self._national.get(day)
        if name:
            return DayInfo(day, False, str(name))
        if day.weekday() >= 5:
            return DayInfo(day, False, "Sabtu" if day.weekday() == 5 else "Minggu")
        return DayInfo(day, True, None)

    def is_working_day(self, day: date | datetime) -> bool:
        """Whether ``day`` (a date, or an instant read in the LPSE's zone) is a working day."""
        if isinstance(day, datetime):
            day = self._local(day).date()
        return self.day_info(day).working

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after ``day``."""
        for offset in range(1, _MAX_SCAN_DAYS):
            candidate = day + timedelta(days=offset)
            if self.is_working_day(candidate):
                return candidate
        raise RuntimeError("no working day within three years")

    def non_working_days(self, start: date, end: date) -> list[DayInfo]:
        """Non-working weekdays and local changes between ``start`` and ``end`` inclusive.

        Weekends are left out unless a local closure or opening names them, so the list reads
        like an office's holiday notice.
        """
        out = []
        day = start
        while day <= end:
            info = self.day_info(day)
            if (not info.working and (day.weekday() < 5 or day in self.closures)) or (
                day in self.openings
            ):
                out.append(info)
            day += timedelta(days=1)
        return out

    # --- working time --------------------------------------------------------------------
    def add_working_time(self, start: datetime, amount: timedelta) -> datetime:
        """The instant at which ``amount`` of working time has passed since ``start``."""
        if amount < timedelta(0):
            raise ValueError("amount must not be negative")
        cursor = self._local(start)
        remaining = amount
        for _ in range(_MAX_SCAN_DAYS):
            day_end = self._midnight(cursor.date() + timedelta(days=1))
            if self.is_working_day(cursor.date()):
                available = day_end - cursor
                if remaining <= available:
                    return cursor + remaining
                remaining -= available
            cursor = day_end
        raise RuntimeError("no working time within three years")

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """The instant ``days`` working days after ``start`` (see the module docstring)."""
        return self.add_working_time(start, timedelta(days=days))

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Working time elapsed from ``start`` to ``end``; zero when ``end`` is not later."""
        cursor = self._local(start)
        end = self._local(end)
        total = timedelta(0)
        while cursor < end:
            day_end = min(self._midnight(cursor.date() + timedelta(days=1)), end)
            if self.is_working_day(cursor.date()):
                total += day_end - cursor
            cursor = day_end
        return total

    def deadline_day(self, due: datetime) -> date:
        """The calendar day a deadline belongs to: a due at 00:00 is the end of the day before."""
        local = self._local(due)
        if local.time() == time(0):
            return local.date() - timedelta(days=1)
        return local.date()

    # --- office hours --------------------------------------------------------------------
    def in_office_hours(self, instant: datetime) -> bool:
        """Whether the office is open at ``instant`` (a working day, within its hours)."""
        local = self._local(instant)
        if not self.is_working_day(local.date()):
            return False
        start, end = self.office_hours.span(local.date())
        return start <= local.time() < end

    def next_office_time(self, instant: datetime) -> datetime:
        """``instant`` itself when the office is open, else the next opening."""
        local = self._local(instant)
        if self.in_office_hours(local):
            return local
        day = local.date()
        start, _ = self.office_hours.span(day)
        if self.is_working_day(day) and local.time() < start:
            return self._at(day, start)
        day = self.next_working_day(day)
        return self._at(day, self.office_hours.span(day)[0])

    # --- helpers -------------------------------------------------------------------------
    def _local(self, instant: datetime) -> datetime:
        if instant.tzinfo is None:
            raise ValueError("naive datetime: pass an aware instant")
        return instant.astimezone(self.tz)

    def _midnight(self, day: date) -> datetime:
        return datetime.combine(day, time(0), self.tz)

    def _at(self, day: date, at: time) -> datetime:
        return datetime.combine(day, at, self.tz)
