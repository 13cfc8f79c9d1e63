"""The only place the bot reads the wall clock; everything else takes a clock parameter."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Now = Callable[[], datetime]
"""A clock: returns the current aware instant. :func:`utc_now` in the bot, a controllable one
in tests. (A *deadline* clock, a time standard of the SOP, is :class:`bot.domain.sop.Clock`.)"""


def utc_now() -> datetime:
    return datetime.now(UTC)
