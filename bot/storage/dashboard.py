"""The dashboard's reads: the filtered, searched ticket list and what a detail page shows.

Read-only by construction: the dashboard runs these on its own connection opened with
``PRAGMA query_only``. The text search goes through the ``ticket_search`` FTS5 index
(migration 12), so it costs the matching rows, not a scan of every event.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.storage.db import Database, Row
from bot.storage.deadlines import ACTIVE, DeadlineRow
from bot.storage.deadlines import deadline_row as _deadline
from bot.storage.timefmt import to_db

_COUNTING = "(d.state IN (?, ?) OR (d.state = 'breached' AND d.stopped_at IS NULL))"
_WORD = re.compile(r"\w+", re.UNICODE)
MAX_SEARCH_WORDS = 8
SEARCH_DEPTH = 2000
"""A search looks at the newest this-many matches of each source (tickets, timeline messages,
LKPP replies): a word found everywhere costs the same as a rare one, and the page says when
the matches went deeper (:meth:`DashboardStore.search_capped`)."""
COUNT_CAP = 10_000
"""The list counts matching tickets up to this many; beyond it the page says "more than"."""
_SEARCH = (
    "SELECT rowid FROM (SELECT rowid FROM search_tickets WHERE search_tickets MATCH ? "
    "ORDER BY rowid DESC LIMIT ?) "
    "UNION SELECT ticket_id FROM (SELECT ticket_id, rowid FROM search_events "
    "WHERE search_events MATCH ? ORDER BY rowid DESC LIMIT ?) "
    "UNION SELECT ticket_id FROM (SELECT ticket_id, rowid FROM search_replies "
    "WHERE search_replies MATCH ? ORDER BY rowid DESC LIMIT ?)"
)


def search_query(text: str) -> str | None:
    """An FTS5 query for what a person typed: every word must occur, the last as a prefix.

    Words are quoted, so FTS5 syntax in the input (``OR``, ``NEAR``, ``*``, quotes) is text.
    """
    words = _WORD.findall(text)[:MAX_SEARCH_WORDS]
    if not words:
        return None
    quoted = [f'"{w}"' for w in words]
    quoted[-1] += "*"
    return " ".join(quoted)


@dataclass(frozen=True, slots=True)
class TicketFilter:
    """What the ticket list is narrowed to; ``None`` means "any"."""

    state: str | None = None
    priority: str | None = None
    type: str | None = None
    role: str | None = None
    application: str | None = None
    escalated: bool | None = None
    breached: bool | None = None
    created_from: datetime | None = None
    created_before: datetime | None = None
    text: str | None = None

    def where(self) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []
        for column, value in (
            ("state", self.state), ("priority", self.priority), ("type", self.type),
            ("role", self.role), ("application", self.application),
        ):  # fmt: skip
            if value is not None:
                clauses.append(f"t.{column} = ?")
                params.append(value)
        if self.escalated is not None:
            clauses.append(f"t.escalated_at IS {'NOT ' if self.escalated else ''}NULL")
        if self.breached is not None:
            clauses.append(
                f"{'' if self.breached else 'NOT '}EXISTS "
                "(SELECT 1 FROM breaches b WHERE b.ticket_id = t.id)"
            )
        if self.created_from is not None:
            clauses.append("t.created_at >= ?")
            params.append(to_db(self.created_from))
        if self.created_before is not None:
            clauses.append("t.created_at < ?")
            params.append(to_db(self.created_before))
        match = search_query(self.text or "")
        if match is not None:
            clauses.append(f"t.id IN ({_SEARCH})")
            params.extend([match, SEARCH_DEPTH] * 3)
        return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


@dataclass(frozen=True, slots=True)
class FileInfo:
    """A downloadable file, without its content."""

    id: int
    owner_id: int | None  # the event (Telegram files) or the LKPP reply (email files)
    file_name: str
    mime_type: str | None
    size: int | None


class DashboardStore:
    """Every query behind the dashboard's pages."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def tickets(self, wanted: TicketFilter, limit: int, offset: int) -> list[Row]:
        where, params = wanted.where()
        return await self.db.fetchall(
            "SELECT t.id, t.number, t.state, t.type, t.role, t.application, t.title, "
            "t.priority, t.created_at, t.escalated_at, t.assignee_name, "
            "EXISTS (SELECT 1 FROM breaches b WHERE b.ticket_id = t.id) AS breached "
            f"FROM tickets t{where} ORDER BY t.id DESC LIMIT ? OFFSET ?",
            (*params, limit, offset),
        )

    async def count(self, wanted: TicketFilter, cap: int = COUNT_CAP) -> int:
        """Matching tickets, counted up to ``cap + 1`` (so "more than ``cap``" can be said)."""
        where, params = wanted.where()
        return int(
            await self.db.fetchval(
                f"SELECT COUNT(*) FROM (SELECT 1 FROM tickets t{where} LIMIT ?)",
                (*params, cap + 1),
            )
        )

    async def search_capped(self, text: str) -> bool:
        """Whether a source had more matches than a search looks at."""
        match = search_query(text)
        if match is None:
            return False
        for table in ("search_tickets", "search_events", "search_replies"):
            found = await self.db.fetchval(
                f"SELECT COUNT(*) FROM (SELECT 1 FROM {table} WHERE {table} MATCH ? LIMIT ?)",
                (match, SEARCH_DEPTH + 1),
            )
            if found > SEARCH_DEPTH:
                return True
        return False

    async def applications(self) -> list[str]:
        rows = await self.db.fetchall("SELECT DISTINCT application FROM tickets ORDER BY 1")
        return [r[0] for r in rows]

    async def active_clocks(self, limit: int) -> list[tuple[DeadlineRow, str, str]]:
        """Clocks still counting, with their tickets' numbers and titles, soonest due first.

        Running and paused ones, and breached ones nobody has stopped yet: those are the
        lapses still growing. One indexed read each (``deadlines_due``, ``deadlines_active``,
        ``deadlines_open_breach``), merged.
        """
        part = (
            "SELECT * FROM (SELECT d.*, t.number AS number, t.title AS title FROM deadlines d "
            "JOIN tickets t ON t.id = d.ticket_id WHERE {} ORDER BY d.due_at LIMIT ?)"
        )
        rows = await self.db.fetchall(
            " UNION ALL ".join(
                part.format(where)
                for where in (
                    "d.state = 'running'",
                    "d.state = 'paused'",
                    "d.state = 'breached' AND d.stopped_at IS NULL",
                )
            )
            + " ORDER BY due_at LIMIT ?",
            (limit, limit, limit, limit),
        )
        return [(_deadline(r), r["number"], r["title"]) for r in rows]

    async def count_active_clocks(self) -> int:
        return int(
            await self.db.fetchval(f"SELECT COUNT(*) FROM deadlines d WHERE {_COUNTING}", ACTIVE)
        )

    async def files(self, ticket_id: int) -> tuple[list[FileInfo], list[FileInfo]]:
        """The ticket's Telegram files (owned by events) and LKPP's (owned by replies)."""
        found = []
        for table, owner in (("attachments", "event_id"), ("mail_attachments", "reply_id")):
            rows = await self.db.fetchall(
                f"SELECT id, {owner}, file_name, mime_type, size FROM {table} "
                "WHERE ticket_id = ? ORDER BY id",
                (ticket_id,),
            )
            found.append([FileInfo(*r) for r in rows])
        return found[0], found[1]

    async def mail_file(self, file_id: int) -> Row | None:
        """A file LKPP sent, with its content and ticket number."""
        return await self.db.fetchone(
            "SELECT f.file_name, f.content, t.number FROM mail_attachments f "
            "JOIN tickets t ON t.id = f.ticket_id WHERE f.id = ?",
            (file_id,),
        )

    async def telegram_file(self, file_id: int) -> Row | None:
        """A file a user or staff sent in Telegram: its file id, or where it was stored."""
        return await self.db.fetchone(
            "SELECT a.file_name, a.telegram_file_id, a.storage_path, t.number FROM attachments a "
            "JOIN tickets t ON t.id = a.ticket_id WHERE a.id = ?",
            (file_id,),
        )
