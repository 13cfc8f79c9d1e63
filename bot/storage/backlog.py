"""Read-only counts of mail the bot still owes someone, for the health report.

Kept apart from :mod:`bot.storage.mail` (the bridge's own statements) because nothing here
changes a row: ``/kesehatan`` and ``python -m bot check`` only look.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.storage.db import Database
from bot.storage.mail import FAILED, QUARANTINED, QUEUED
from bot.storage.timefmt import from_db_opt


@dataclass(frozen=True, slots=True)
class MailBacklog:
    """Emails waiting to go out, refused for good, and inbound mail held for staff.

    Attributes:
        waiting: Outbox rows still queued (first try or a retry after a failure).
        oldest_waiting: When the oldest of them was queued; ``None`` without any.
        failed: Outbox rows the server refused permanently (staff were told at the time).
        quarantined: Inbound emails in quarantine, waiting for a staff decision.
    """

    waiting: int
    oldest_waiting: datetime | None
    failed: int
    quarantined: int


async def mail_backlog(db: Database) -> MailBacklog:
    """Count the backlog in three indexed reads (``mail_outbox_due``, ``mail_inbox_state``)."""
    row = await db.fetchone(
        "SELECT COUNT(*), MIN(created_at) FROM mail_outbox WHERE state = ?", (QUEUED,)
    )
    waiting, oldest = (row[0], row[1]) if row is not None else (0, None)
    failed = await db.fetchval("SELECT COUNT(*) FROM mail_outbox WHERE state = ?", (FAILED,))
    quarantined = await db.fetchval(
        "SELECT COUNT(*) FROM mail_inbox WHERE state = ?", (QUARANTINED,)
    )
    return MailBacklog(waiting, from_db_opt(oldest), failed or 0, quarantined or 0)
