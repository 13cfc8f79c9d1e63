"""The only place the bot reads the wall clock; everything else takes a clock parameter."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    return datetime.now(UTC)
