"""Reading the period of ``/laporan``."""

from __future__ import annotations

from datetime import date

import pytest

from bot.deadlines.report_command import PeriodError, parse_period

TODAY = date(2026, 11, 24)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", (date(2026, 11, 1), TODAY)),
        ("bulan", (date(2026, 11, 1), TODAY)),
        ("  Bulan  ", (date(2026, 11, 1), TODAY)),
        ("2026-02", (date(2026, 2, 1), date(2026, 2, 28))),
        ("2026-10-01–2026-10-31", (date(2026, 10, 1), date(2026, 10, 31))),
        ("2026-10-01 - 2026-10-15", (date(2026, 10, 1), date(2026, 10, 15))),
        ("2026-10-01 s/d 2026-10-15", (date(2026, 10, 1), date(2026, 10, 15))),
        ("2026-10-01..2026-10-15", (date(2026, 10, 1), date(2026, 10, 15))),
        ("2026-10-05", (date(2026, 10, 5), date(2026, 10, 5))),
    ],
)
def test_periods(text: str, expected: tuple[date, date]) -> None:
    assert parse_period(text, TODAY) == expected


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("kemarin", "format_salah"),
        ("2026-13", "format_salah"),
        ("2026-02-30", "format_salah"),
        ("2026-10-31–2026-10-01", "urutan_salah"),
    ],
)
def test_bad_periods_name_the_message_to_answer_with(text: str, key: str) -> None:
    with pytest.raises(PeriodError) as caught:
        parse_period(text, TODAY)
    assert caught.value.key == key
    assert caught.value.text == text
