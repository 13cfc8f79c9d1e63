"""SQL for tickets, their events, attachments and calendar overrides.

Writers take the connection of an open :meth:`Database.transaction`, so callers decide what
commits together; readers use the :class:`Database` directly.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from bot.domain.sop import Action, Actor, State
from bot.domain.ticket import Attachment, Contact, Ticket, TicketType, UserRole, format_number
from bot.storage.db import Database, Row
from bot.storage.timefmt import from_db, from_db_opt, to_db


@dataclass(frozen=True, slots=True)
class Event:
    """One line of a ticket's timeline."""

    id: int
    ticket_id: int
    action: Action
    sop_step: str
    actor: Actor
    actor_id: int | None
    actor_name: str | None
    from_state: State | None
    to_state: State
    at: datetime
    details: dict[str, Any]


def _ticket(row: Row) -> Ticket:
    return Ticket(
        id=row["id"],
        number=row["number"],
        state=State(row["state"]),
        type=TicketType(row["type"]),
        role=UserRole(row["role"]),
        application=row["application"],
        title=row["title"],
        description=row["description"],
        contact=Contact(row["contact_name"], row["contact_email"], row["contact_phone"]),
        priority=row["priority"],
        user_chat_id=row["user_chat_id"],
        created_at=from_db(row["created_at"]),
        updated_at=from_db(row["updated_at"]),
        package_code=row["package_code"],
        error_code=row["error_code"],
        assignee_id=row["assignee_id"],
        assignee_name=row["assignee_name"],
        escalated_at=from_db_opt(row["escalated_at"]),
        version=row["version"],
        rating=row["rating"],
    )


def _event(row: Row) -> Event:
    return Event(
        id=row["id"],
        ticket_id=row["ticket_id"],
        action=Action(row["action"]),
        sop_step=row["sop_step"],
        actor=Actor(row["actor"]),
        actor_id=row["actor_id"],
        actor_name=row["actor_name"],
        from_state=State(row["from_state"]) if row["from_state"] else None,
        to_state=State(row["to_state"]),
        at=from_db(row["at"]),
        details=json.loads(row["details"]),
    )


def _attachment(row: Row) -> Attachment:
    return Attachment(
        id=row["id"],
        ticket_id=row["ticket_id"],
        source=row["source"],
        file_name=row["file_name"],
        mime_type=row["mime_type"],
        size=row["size"],
        telegram_file_id=row["telegram_file_id"],
        storage_path=row["storage_path"],
        created_at=from_db(row["created_at"]),
    )


_OPEN_STATES = tuple(s.value for s in State if s not in (State.CLOSED, State.CANCELLED))


class TicketStore:
    """Every SQL statement about tickets lives here."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # --- writes (inside a transaction) ---------------------------------------------------
    async def next_number(self, lpse_code: str, year: int) -> str:
        conn = self.db.conn
        await conn.execute(
            "INSERT INTO ticket_counters (year, last_seq) VALUES (?, 1) "
            "ON CONFLICT (year) DO UPDATE SET last_seq = last_seq + 1",
            (year,),
        )
        async with conn.execute(
            "SELECT last_seq FROM ticket_counters WHERE year = ?", (year,)
        ) as cursor:
            row = await cursor.fetchone()
        assert row is not None
        return format_number(lpse_code, year, row[0])

    async def insert(self, ticket: Ticket) -> int:
        conn = self.db.conn
        cursor = await conn.execute(
            """
            INSERT INTO tickets (number, state, type, role, application, title, description,
                package_code, error_code, contact_name, contact_email, contact_phone, priority,
                user_chat_id, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            (
                ticket.number, ticket.state.value, ticket.type.value, ticket.role.value,
                ticket.application, ticket.title, ticket.description, ticket.package_code,
                ticket.error_code, ticket.contact.name, ticket.contact.email,
                ticket.contact.phone, ticket.priority, ticket.user_chat_id,
                to_db(ticket.created_at), to_db(ticket.updated_at),
            ),
        )  # fmt: skip
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    async def update(self, ticket_id: int, at: datetime, **columns: Any) -> None:
        """Set ``columns`` (already in storage form), bump the version and ``updated_at``."""
        conn = self.db.conn
        allowed = {
            "state", "assignee_id", "assignee_name", "escalated_at", "priority", "rating",
            "closed_at",
        }  # fmt: skip
        unknown = set(columns) - allowed
        if unknown:
            raise ValueError(f"not updatable: {sorted(unknown)}")
        sets = "".join(f"{name} = :{name}, " for name in columns)
        await conn.execute(
            f"UPDATE tickets SET {sets}version = version + 1, updated_at = :at WHERE id = :id",
            {**columns, "at": to_db(at), "id": ticket_id},
        )

    async def add_event(
        self,
        *,
        ticket_id: int,
        action: Action,
        sop_step: str,
        actor: Actor,
        actor_id: int | None,
        actor_name: str | None,
        from_state: State | None,
        to_state: State,
        at: datetime,
        details: dict[str, Any],
    ) -> int:
        conn = self.db.conn
        cursor = await conn.execute(
            """
            INSERT INTO events (ticket_id, action, sop_step, actor, actor_id, actor_name,
                from_state, to_state, at, details)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            (
                ticket_id, action.value, sop_step, actor.value, actor_id, actor_name,
                from_state.value if from_state else None, to_state.value, to_db(at),
                json.dumps(details, ensure_ascii=False, default=str),
            ),
        )  # fmt: skip
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    async def add_attachment(self, attachment: Attachment, event_id: int | None = None) -> int:
        conn = self.db.conn
        if attachment.created_at is None:
            raise ValueError("attachment.created_at is required")
        cursor = await conn.execute(
            """
            INSERT INTO attachments (ticket_id, event_id, source, file_name, mime_type, size,
                telegram_file_id, storage_path, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            (
                attachment.ticket_id, event_id, attachment.source, attachment.file_name,
                attachment.mime_type, attachment.size, attachment.telegram_file_id,
                attachment.storage_path, to_db(attachment.created_at),
            ),
        )  # fmt: skip
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    # --- reads ---------------------------------------------------------------------------
    async def get(self, number: str) -> Ticket | None:
        row = await self.db.fetchone("SELECT * FROM tickets WHERE number = ?", (number,))
        return None if row is None else await self._with_attachments(_ticket(row))

    async def get_by_id(self, ticket_id: int) -> Ticket | None:
        row = await self.db.fetchone("SELECT * FROM tickets WHERE id = ?", (ticket_id,))
        return None if row is None else await self._with_attachments(_ticket(row))

    async def _with_attachments(self, ticket: Ticket) -> Ticket:
        assert ticket.id is not None
        ticket.attachments = await self.attachments(ticket.id)
        return ticket

    async def for_user(self, user_chat_id: int, limit: int = 20) -> list[Ticket]:
        rows = await self.db.fetchall(
            "SELECT * FROM tickets WHERE user_chat_id = ? ORDER BY id DESC LIMIT ?",
            (user_chat_id, limit),
        )
        return [_ticket(r) for r in rows]

    async def open_tickets(self) -> list[Ticket]:
        marks = ",".join("?" * len(_OPEN_STATES))
        rows = await self.db.fetchall(
            f"SELECT * FROM tickets WHERE state IN ({marks}) ORDER BY id", _OPEN_STATES
        )
        return [_ticket(r) for r in rows]

    async def count_by_state(self) -> dict[State, int]:
        rows = await self.db.fetchall("SELECT state, COUNT(*) FROM tickets GROUP BY state")
        return {State(r[0]): r[1] for r in rows}

    async def events(self, ticket_id: int) -> list[Event]:
        rows = await self.db.fetchall(
            "SELECT * FROM events WHERE ticket_id = ? ORDER BY id", (ticket_id,)
        )
        return [_event(r) for r in rows]

    async def last_event(self, ticket_id: int, actions: Iterable[Action] = ()) -> Event | None:
        wanted = [a.value for a in actions]
        where = f" AND action IN ({','.join('?' * len(wanted))})" if wanted else ""
        row = await self.db.fetchone(
            f"SELECT * FROM events WHERE ticket_id = ?{where} ORDER BY id DESC LIMIT 1",
            (ticket_id, *wanted),
        )
        return None if row is None else _event(row)

    async def attachments(self, ticket_id: int) -> list[Attachment]:
        rows = await self.db.fetchall(
            "SELECT * FROM attachments WHERE ticket_id = ? ORDER BY id", (ticket_id,)
        )
        return [_attachment(r) for r in rows]

    # --- calendar overrides ----------------------------------------------------------------
    async def calendar_overrides(self) -> tuple[dict[date, str], dict[date, str]]:
        """Local closures and cancelled-holiday openings, as (closures, openings)."""
        rows = await self.db.fetchall("SELECT day, kind, note FROM calendar_overrides")
        closures = {date.fromisoformat(r[0]): r[2] for r in rows if r[1] == "tutup"}
        openings = {date.fromisoformat(r[0]): r[2] for r in rows if r[1] == "buka"}
        return closures, openings

    async def set_override(
        self,
        day: date,
        kind: str,
        note: str,
        by: int | None,
        at: datetime,
    ) -> None:
        conn = self.db.conn
        await conn.execute(
            "INSERT INTO calendar_overrides (day, kind, note, created_by, created_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (day) DO UPDATE SET kind = excluded.kind, "
            "note = excluded.note, created_by = excluded.created_by, "
            "created_at = excluded.created_at",
            (day.isoformat(), kind, note, by, to_db(at)),
        )

    async def delete_override(self, day: date) -> bool:
        conn = self.db.conn
        cursor = await conn.execute(
            "DELETE FROM calendar_overrides WHERE day = ?", (day.isoformat(),)
        )
        return cursor.rowcount > 0
