"""Every SQL statement of the mail bridge: outbox, inbox, LKPP replies and their files.

Writers that must commit with a ticket's state change take the connection of the caller's
transaction; the rest open their own short transaction. The row types and state names live in
:mod:`bot.storage.mail_rows` and are re-exported here, where callers have always found them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.storage.db import Database
from bot.storage.mail_rows import (
    DISCARDED,
    FAILED,
    MATCHED,
    NEW,
    NOISE,
    QUARANTINED,
    QUEUED,
    SENT,
    InboxRow,
    MailFile,
    OutboxRow,
    ReplyRow,
    file_row,
    inbox_row,
    outbox_row,
    reply_row,
)
from bot.storage.timefmt import from_db_opt, to_db

__all__ = [
    "DISCARDED",
    "FAILED",
    "MATCHED",
    "NEW",
    "NOISE",
    "QUARANTINED",
    "QUEUED",
    "SENT",
    "InboxRow",
    "MailFile",
    "MailStore",
    "OutboxRow",
    "ReplyRow",
]


class MailStore:
    """The bridge's tables. Methods without a transaction of their own run in the caller's
    (:attr:`Database.conn` raises when there is none)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # --- outbox ----------------------------------------------------------------------------
    async def queue(
        self,
        *,
        ticket_id: int,
        event_id: int | None,
        kind: str,
        message_id: str,
        in_reply_to: str | None,
        references: list[str],
        recipient: str,
        subject: str,
        body: str,
        attachment_ids: list[int],
        automatic: bool,
        at: datetime,
    ) -> int:
        conn = self.db.conn
        cursor = await conn.execute(
            """
            INSERT INTO mail_outbox (ticket_id, event_id, kind, message_id, in_reply_to, refs,
                recipient, subject, body, attachment_ids, automatic, next_attempt_at, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            (
                ticket_id, event_id, kind, message_id, in_reply_to, " ".join(references),
                recipient, subject, body, json.dumps(attachment_ids), int(automatic),
                to_db(at), to_db(at),
            ),
        )  # fmt: skip
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    async def outbox(self, outbox_id: int) -> OutboxRow | None:
        row = await self.db.fetchone("SELECT * FROM mail_outbox WHERE id = ?", (outbox_id,))
        return None if row is None else outbox_row(row)

    async def outbox_for_ticket(self, ticket_id: int) -> list[OutboxRow]:
        rows = await self.db.fetchall(
            "SELECT * FROM mail_outbox WHERE ticket_id = ? ORDER BY id", (ticket_id,)
        )
        return [outbox_row(r) for r in rows]

    async def outbox_by_message_id(self, message_id: str) -> OutboxRow | None:
        row = await self.db.fetchone(
            "SELECT * FROM mail_outbox WHERE message_id = ?", (message_id,)
        )
        return None if row is None else outbox_row(row)

    async def due(self, now: datetime, limit: int = 20) -> list[OutboxRow]:
        rows = await self.db.fetchall(
            "SELECT * FROM mail_outbox WHERE state = ? AND next_attempt_at <= ? "
            "ORDER BY id LIMIT ?",
            (QUEUED, to_db(now), limit),
        )
        return [outbox_row(r) for r in rows]

    async def next_due_at(self) -> datetime | None:
        value = await self.db.fetchval(
            "SELECT MIN(next_attempt_at) FROM mail_outbox WHERE state = ?", (QUEUED,)
        )
        return from_db_opt(value)

    async def mark_sent(self, outbox_id: int, at: datetime) -> None:
        conn = self.db.conn
        await conn.execute(
            "UPDATE mail_outbox SET state = ?, sent_at = ?, attempts = attempts + 1, "
            "last_error = NULL WHERE id = ?",
            (SENT, to_db(at), outbox_id),
        )

    async def mark_retry(self, outbox_id: int, next_attempt_at: datetime, error: str) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(
                "UPDATE mail_outbox SET attempts = attempts + 1, next_attempt_at = ?, "
                "last_error = ? WHERE id = ? AND state = ?",
                (to_db(next_attempt_at), error[:1000], outbox_id, QUEUED),
            )

    async def mark_failed(self, outbox_id: int, error: str) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(
                "UPDATE mail_outbox SET state = ?, attempts = attempts + 1, last_error = ? "
                "WHERE id = ?",
                (FAILED, error[:1000], outbox_id),
            )

    async def overdue(self, queued_before: datetime) -> list[OutboxRow]:
        """Queued emails older than ``queued_before`` that staff have not been told about."""
        rows = await self.db.fetchall(
            "SELECT * FROM mail_outbox WHERE state = ? AND created_at <= ? "
            "AND alerted_at IS NULL ORDER BY id",
            (QUEUED, to_db(queued_before)),
        )
        return [outbox_row(r) for r in rows]

    async def mark_alerted(self, outbox_id: int, at: datetime) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(
                "UPDATE mail_outbox SET alerted_at = ? WHERE id = ?", (to_db(at), outbox_id)
            )

    async def thread(self, ticket_id: int) -> list[tuple[str, str]]:
        """Every Message-ID of the ticket's email thread, oldest first, as (id, who)."""
        rows = await self.db.fetchall(
            """
            SELECT message_id, 'lpse' AS who, created_at AS at FROM mail_outbox
                WHERE ticket_id = :t
            UNION ALL
            SELECT message_id, 'lkpp' AS who, received_at AS at FROM mail_lkpp_replies
                WHERE ticket_id = :t
            ORDER BY at
            """,
            {"t": ticket_id},
        )
        return [(r["message_id"], r["who"]) for r in rows]

    async def user_file_ids_after(self, ticket_id: int, event_id: int) -> set[int]:
        """Ids of the user's files added by events after ``event_id`` (step 8's data)."""
        rows = await self.db.fetchall(
            "SELECT id FROM attachments WHERE ticket_id = ? AND source = 'pengguna' "
            "AND event_id > ?",
            (ticket_id, event_id),
        )
        return {r[0] for r in rows}

    async def ticket_id(self, number: str) -> int | None:
        row = await self.db.fetchone("SELECT id FROM tickets WHERE number = ?", (number,))
        return None if row is None else row[0]

    async def ticket_standing(self, number: str) -> tuple[int, str, bool] | None:
        """``(id, state, ever escalated)`` of ticket ``number``: what threading rules need."""
        row = await self.db.fetchone(
            "SELECT id, state, escalated_at IS NOT NULL FROM tickets WHERE number = ?", (number,)
        )
        return None if row is None else (row[0], row[1], bool(row[2]))

    # --- inbox -----------------------------------------------------------------------------
    async def store_raw(self, message_id: str, raw: bytes, at: datetime) -> bool:
        """Keep ``raw`` under ``message_id``; ``False`` when it was already stored."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT OR IGNORE INTO mail_inbox (message_id, raw, size, received_at) "
                "VALUES (?, ?, ?, ?)",
                (message_id, raw, len(raw), to_db(at)),
            )
            return cursor.rowcount == 1

    async def inbox(self, inbox_id: int) -> InboxRow | None:
        row = await self.db.fetchone("SELECT * FROM mail_inbox WHERE id = ?", (inbox_id,))
        return None if row is None else inbox_row(row)

    async def inbox_by_message_id(self, message_id: str) -> InboxRow | None:
        row = await self.db.fetchone(
            "SELECT * FROM mail_inbox WHERE message_id = ?", (message_id,)
        )
        return None if row is None else inbox_row(row)

    async def pending(self, limit: int = 100) -> list[int]:
        rows = await self.db.fetchall(
            "SELECT id FROM mail_inbox WHERE state = ? ORDER BY id LIMIT ?", (NEW, limit)
        )
        return [r[0] for r in rows]

    async def set_inbox(
        self,
        inbox_id: int,
        *,
        state: str,
        at: datetime,
        ticket_id: int | None = None,
        from_addr: str | None = None,
        subject: str | None = None,
        reason: str | None = None,
        problems: Sequence[str] | None = None,
        alert: bool = False,
    ) -> None:
        conn = self.db.conn
        await conn.execute(
            """
            UPDATE mail_inbox SET state = ?, ticket_id = ?, from_addr = ?, subject = ?,
                reason = ?, problems = ?, alert = ?, processed_at = ?
            WHERE id = ?
            """,
            (
                state, ticket_id, from_addr, subject, reason, json.dumps(list(problems or [])),
                int(alert), to_db(at), inbox_id,
            ),
        )  # fmt: skip

    async def count_inbox(self) -> dict[str, int]:
        rows = await self.db.fetchall("SELECT state, COUNT(*) FROM mail_inbox GROUP BY state")
        return {r[0]: r[1] for r in rows}

    async def unposted_inbox(self) -> list[InboxRow]:
        """Quarantined mail and alerting noise staff have not seen yet."""
        rows = await self.db.fetchall(
            "SELECT * FROM mail_inbox WHERE posted_at IS NULL "
            "AND (state = ? OR (state = ? AND alert = 1)) ORDER BY id",
            (QUARANTINED, NOISE),
        )
        return [inbox_row(r) for r in rows]

    async def mark_inbox_posted(self, inbox_id: int, at: datetime) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(
                "UPDATE mail_inbox SET posted_at = ? WHERE id = ?", (to_db(at), inbox_id)
            )

    async def set_prompt(self, inbox_id: int, chat_id: int, message_id: int) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(
                "UPDATE mail_inbox SET prompt_chat_id = ?, prompt_message_id = ? WHERE id = ?",
                (chat_id, message_id, inbox_id),
            )

    async def inbox_by_prompt(self, chat_id: int, message_id: int) -> int | None:
        return await self.db.fetchval(
            "SELECT id FROM mail_inbox WHERE prompt_chat_id = ? AND prompt_message_id = ?",
            (chat_id, message_id),
        )

    async def discard(self, inbox_id: int, at: datetime) -> bool:
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE mail_inbox SET state = ?, processed_at = ? WHERE id = ? AND state = ?",
                (DISCARDED, to_db(at), inbox_id, QUARANTINED),
            )
            return cursor.rowcount == 1

    # --- LKPP replies ----------------------------------------------------------------------
    async def add_reply(self, **values: Any) -> int:
        conn = self.db.conn
        values = dict(values)
        values["matched"] = json.dumps(values.get("matched", []), ensure_ascii=False)
        values["by_tag"] = int(bool(values.get("by_tag")))
        values["received_at"] = to_db(values["received_at"])
        if values.get("confirmed_at") is not None:
            values["confirmed_at"] = to_db(values["confirmed_at"])
        names = ", ".join(values)
        marks = ", ".join(f":{name}" for name in values)
        cursor = await conn.execute(
            f"INSERT INTO mail_lkpp_replies ({names}) VALUES ({marks})", values
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    async def add_file(
        self,
        *,
        inbox_id: int,
        reply_id: int | None,
        ticket_id: int | None,
        file_name: str,
        mime_type: str,
        content: bytes,
        at: datetime,
        storage_path: str | None = None,
    ) -> int:
        conn = self.db.conn
        cursor = await conn.execute(
            """
            INSERT INTO mail_attachments (inbox_id, reply_id, ticket_id, file_name, mime_type,
                size, content, storage_path, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            (inbox_id, reply_id, ticket_id, file_name, mime_type, len(content), content,
             storage_path, to_db(at)),
        )  # fmt: skip
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    async def reply(self, reply_id: int) -> ReplyRow | None:
        row = await self.db.fetchone("SELECT * FROM mail_lkpp_replies WHERE id = ?", (reply_id,))
        return None if row is None else reply_row(row)

    async def replies_for_ticket(self, ticket_id: int) -> list[ReplyRow]:
        rows = await self.db.fetchall(
            "SELECT * FROM mail_lkpp_replies WHERE ticket_id = ? ORDER BY id", (ticket_id,)
        )
        return [reply_row(r) for r in rows]

    async def unposted_replies(self) -> list[ReplyRow]:
        rows = await self.db.fetchall(
            "SELECT * FROM mail_lkpp_replies WHERE posted_at IS NULL ORDER BY id"
        )
        return [reply_row(r) for r in rows]

    async def mark_reply_posted(
        self, reply_id: int, chat_id: int | None, message_id: int | None, at: datetime
    ) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(
                "UPDATE mail_lkpp_replies SET posted_at = ?, staff_chat_id = ?, "
                "staff_message_id = ? WHERE id = ?",
                (to_db(at), chat_id, message_id, reply_id),
            )

    async def confirm(
        self,
        reply_id: int,
        cls: str,
        by_id: int | None,
        by_name: str | None,
        at: datetime,
        action_error: str | None = None,
    ) -> None:
        conn = self.db.conn
        await conn.execute(
            "UPDATE mail_lkpp_replies SET confirmed_class = ?, confirmed_by = ?, "
            "confirmed_by_name = ?, confirmed_at = ?, action_error = ? WHERE id = ?",
            (cls, by_id, by_name, to_db(at), action_error, reply_id),
        )

    async def mark_forwarded(self, reply_id: int, at: datetime) -> None:
        conn = self.db.conn
        await conn.execute(
            "UPDATE mail_lkpp_replies SET forwarded_at = ? WHERE id = ?", (to_db(at), reply_id)
        )

    async def files(self, reply_id: int) -> list[MailFile]:
        rows = await self.db.fetchall(
            "SELECT * FROM mail_attachments WHERE reply_id = ? ORDER BY id", (reply_id,)
        )
        return [file_row(r) for r in rows]

    async def set_file_id(self, file_id: int, telegram_file_id: str) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(
                "UPDATE mail_attachments SET telegram_file_id = ? WHERE id = ?",
                (telegram_file_id, file_id),
            )
