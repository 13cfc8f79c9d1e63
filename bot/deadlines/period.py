"""The period forms ``/laporan`` and ``python -m bot report`` both accept.

``bulan`` (or nothing) is this month up to today, ``2026-05`` a whole month, ``2026-05-07`` one
day, ``2026-05-01–2026-05-31`` (also ``..``, ``-``, ``s/d``, ``sampai``) a range of days.
"""

from __future__ import annotations

import calendar
import re
from datetime import date

_DAY = r"(\d{4}-\d{2}-\d{2})"
_RANGE = re.compile(rf"{_DAY}\s*(?:–|—|-|\.\.|s/?d|sampai)\s*{_DAY}")
_MONTH = re.compile(r"(\d{4})-(\d{2})")


class PeriodError(ValueError):
    """The text is not a period; ``key`` names the catalog message to answer with."""

    def __init__(self, key: str, text: str) -> None:
        super().__init__(key)
        self.key = key
        self.text = text


def parse_period(text: str, today: date) -> tuple[date, date]:
    """The inclusive dates ``text`` means; empty or ``bulan`` is this month up to today.

    Raises:
        PeriodError: Not a period this command understands, or the dates are reversed.
    """
    cleaned = " ".join(text.split()).lower()
    try:
        if cleaned in ("", "bulan", "bulan ini"):
            return today.replace(day=1), today
        if match := _MONTH.fullmatch(cleaned):
            year, month = int(match[1]), int(match[2])
            last = calendar.monthrange(year, month)[1]
            return date(year, month, 1), date(year, month, last)
        if match := _RANGE.fullmatch(cleaned):
            start, end = date.fromisoformat(match[1]), date.fromisoformat(match[2])
        elif re.fullmatch(_DAY, cleaned):
            start = end = date.fromisoformat(cleaned)
        else:
            raise PeriodError("format_salah", text)
    except ValueError as exc:
        if isinstance(exc, PeriodError):
            raise
        raise PeriodError("format_salah", text) from None
    if start > end:
        raise PeriodError("urutan_salah", text)
    return start, end
