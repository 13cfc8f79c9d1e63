"""The sweeper's per-minute send budget, kept across sweeps."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

from bot.deadlines.sweep import Sweeper
from tests.support.clock import FakeClock


def test_budget_is_spent_per_chat_and_refills_after_a_minute() -> None:
    clock = FakeClock()
    sweeper = Sweeper(SimpleNamespace(db=None), notifier=None, per_minute=20)  # type: ignore[arg-type]
    now = clock()
    assert sweeper.budget("staf", now) == 20
    sweeper._spend("staf", now, 12)
    assert sweeper.budget("staf", now + timedelta(seconds=20)) == 8
    assert sweeper.budget("admin", now) == 20
    sweeper._spend("staf", now + timedelta(seconds=40), 8)
    assert sweeper.budget("staf", now + timedelta(seconds=59)) == 0
    assert sweeper.budget("staf", now + timedelta(seconds=60)) == 12
    assert sweeper.budget("staf", now + timedelta(seconds=100)) == 20
