"""How instants are stored: UTC ISO-8601 text of fixed width, so text order is time order."""

from __future__ import annotations

from datetime import UTC, datetime


def to_db(instant: datetime) -> str:
    if instant.tzinfo is None:
        raise ValueError("naive datetime: pass an aware instant")
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def from_db(text: str) -> datetime:
    """Read a stored instant; ``fromisoformat`` reads the fixed format about 50 times faster
    than ``strptime``, which the deadline sweep and every ticket read feel.

    Raises:
        ValueError: The text is not an instant with its offset (every stored one has ``Z``).
    """
    instant = datetime.fromisoformat(text)
    if instant.tzinfo is None:
        raise ValueError(f"stored instant without offset: {text!r}")
    return instant.astimezone(UTC)


def from_db_opt(text: str | None) -> datetime | None:
    return None if text is None else from_db(text)
