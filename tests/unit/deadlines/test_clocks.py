"""How long each clock allows, from the settings and the priority table."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

from bot.deadlines.clocks import limits
from bot.domain.priority import PriorityTable
from bot.domain.sop import Clock
from tests.support.settings import make_settings


def services(tmp_path: Path, **overrides: object) -> SimpleNamespace:
    return SimpleNamespace(
        settings=make_settings(tmp_path, **overrides), priorities=PriorityTable.load()
    )


def test_minute_clocks_warn_at_minute_three_of_five(tmp_path: Path) -> None:
    fake = services(tmp_path)
    for clock in (Clock.ESCALATION, Clock.FORWARD):
        assert limits(fake, clock, "menengah") == (  # type: ignore[arg-type]
            timedelta(minutes=5),
            timedelta(minutes=3),
        )


def test_no_warning_when_it_would_not_come_before_the_deadline(tmp_path: Path) -> None:
    fake = services(tmp_path, nudge_before_minutes=5)
    assert limits(fake, Clock.ESCALATION, "menengah") == (timedelta(minutes=5), None)  # type: ignore[arg-type]
    fake = services(tmp_path, nudge_before_minutes=0)
    assert limits(fake, Clock.FORWARD, "menengah") == (timedelta(minutes=5), None)  # type: ignore[arg-type]


def test_working_day_clocks_follow_the_settings(tmp_path: Path) -> None:
    fake = services(tmp_path, lkpp_status_working_days=3, user_staff_alert_working_days=4)
    day = timedelta(days=1)
    assert limits(fake, Clock.LKPP_STATUS, "x") == (3 * day, None)  # type: ignore[arg-type]
    assert limits(fake, Clock.LKPP_PROGRESS, "x") == (day, None)  # type: ignore[arg-type]
    assert limits(fake, Clock.USER_ANSWER, "x") == (4 * day, day)  # type: ignore[arg-type]


def test_priority_target_uses_the_table_and_falls_back_to_the_default(tmp_path: Path) -> None:
    fake = services(tmp_path)
    day = timedelta(days=1)
    assert limits(fake, Clock.PRIORITY_TARGET, "tinggi") == (day, None)  # type: ignore[arg-type]
    assert limits(fake, Clock.PRIORITY_TARGET, "rendah") == (5 * day, None)  # type: ignore[arg-type]
    assert limits(fake, Clock.PRIORITY_TARGET, "hilang") == (3 * day, None)  # type: ignore[arg-type]
