"""Stored instants: fixed-width UTC text whose order is time order, read back exactly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from bot.storage.timefmt import from_db, from_db_opt, to_db

WIB = timezone(timedelta(hours=7))


def test_an_instant_reads_back_as_the_same_utc_instant() -> None:
    instant = datetime(2026, 8, 17, 9, 30, 5, 120, tzinfo=WIB)
    text = to_db(instant)
    assert text == "2026-08-17T02:30:05.000120Z"
    back = from_db(text)
    assert back == instant
    assert back.tzinfo is UTC


def test_text_order_is_time_order() -> None:
    start = datetime(2026, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC)
    instants = [start + timedelta(microseconds=step * 7_919) for step in range(-50, 50)]
    texts = [to_db(instant) for instant in instants]
    assert sorted(texts) == texts
    assert len({len(text) for text in texts}) == 1


def test_a_whole_second_keeps_its_fraction_digits() -> None:
    assert to_db(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)) == "2026-01-02T03:04:05.000000Z"


def test_naive_instants_are_refused_both_ways() -> None:
    with pytest.raises(ValueError, match="naive"):
        to_db(datetime(2026, 1, 2, 3, 4, 5))
    with pytest.raises(ValueError, match="without offset"):
        from_db("2026-01-02T03:04:05.000000")


def test_garbage_is_refused() -> None:
    with pytest.raises(ValueError):
        from_db("kemarin sore")


def test_none_stays_none() -> None:
    assert from_db_opt(None) is None
    assert from_db_opt("2026-01-02T03:04:05.000000Z") == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
