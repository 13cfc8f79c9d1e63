"""A clock tests set and move by hand: no test sleeps for real minutes."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

WIB = ZoneInfo("Asia/Jakarta")


class FakeClock:
    """Callable like :func:`bot.clock.utc_now`; starts at ``start`` and moves only when told."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 24, 9, 0, tzinfo=WIB)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now = self.now + timedelta(**delta)
        return self.now

    def set(self, instant: datetime) -> datetime:
        self.now = instant
        return self.now
