"""SQL of the Telegram outbox, the processed-update window and the staff chat id in use.

Rows are written by :meth:`TelegramOutboxStore.enqueue` inside the caller's transaction (the
change that causes the message), claimed by the sender in a short transaction of its own
(``queued`` → ``sending``), and closed by another (``sent`` with Telegram's message id, or back
to ``queued`` for a retry, or ``failed``). A row found ``sending`` at start-up was in flight at
a crash: it goes back to ``queued`` and is sent again, the only case a message may repeat.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.storage.db import Database
from bot.storage.timefmt import from_db, from_db_opt, to_db

QUEUED, SENDING, SENT, FAILED = "queued", "sending", "sent", "failed"
SENT_DIRECTLY = "langsung"
"""Kind of a row that records a direct send (already sent), so it counts in the budget."""
STAFF_CHAT_KEY = "staff_chat_id"


@dataclass(frozen=True, slots=True)
class OutRow:
    """One queued Telegram message."""

    id: int
    chat_id: int
    priority: int
    kind: str
    payload: dict[str, Any]
    coalesce_key: str | None
    ticket_id: int | None
    state: str
    attempts: int
    created_at: datetime
    next_attempt_at: datetime
    announced_at: datetime | None
    message_id: int | None
    last_error: str | None


@dataclass(frozen=True, slots=True)
class TelegramBacklog:
    """Messages not yet delivered: how many, since when, and how many failed for good."""

    waiting: int
    oldest: datetime | None
    failed: int


_COLUMNS = (
    "id, chat_id, priority, kind, payload, coalesce_key, ticket_id, state, attempts, "
    "created_at, next_attempt_at, announced_at, message_id, last_error"
)


def _row(row: Any) -> OutRow:
    return OutRow(
        id=row["id"], chat_id=row["chat_id"], priority=row["priority"], kind=row["kind"],
        payload=json.loads(row["payload"]), coalesce_key=row["coalesce_key"],
        ticket_id=row["ticket_id"], state=row["state"], attempts=row["attempts"],
        created_at=from_db(row["created_at"]), next_attempt_at=from_db(row["next_attempt_at"]),
        announced_at=from_db_opt(row["announced_at"]), message_id=row["message_id"],
        last_error=row["last_error"],
    )  # fmt: skip


class TelegramOutboxStore:
    """Every statement on ``telegram_outbox``, ``processed_updates`` and ``bot_state``."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # --- writing rows (in the caller's transaction) -----------------------------------------
    async def enqueue(
        self,
        chat_id: int,
        kind: str,
        payload: dict[str, Any],
        priority: int,
        at: datetime,
        *,
        ticket_id: int | None = None,
        coalesce_key: str | None = None,
        merge: bool = False,
    ) -> int:
        """Queue one message; a queued row with the same ``coalesce_key`` is replaced.

        Replacing keeps the older row's id (its place in the lane) and takes the newer
        payload and the more urgent priority: pending edits of one card collapse into one.
        With ``merge`` the newer payload is laid over the older one (JSON merge patch, a
        ``None`` value removes the key): a "remove the buttons" edit queued after a text edit
        of the same message keeps that text.
        """
        conn = self.db.conn
        data = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        if coalesce_key is not None:
            value = "json_patch(payload, ?)" if merge else "?"
            async with conn.execute(
                f"UPDATE telegram_outbox SET payload = {value}, priority = MIN(priority, ?) "
                "WHERE coalesce_key = ? AND state = ? RETURNING id",
                (data, priority, coalesce_key, QUEUED),
            ) as cursor:
                found = await cursor.fetchone()
            if found is not None:
                return int(found[0])
        async with conn.execute(
            "INSERT INTO telegram_outbox (chat_id, priority, kind, payload, coalesce_key, "
            "ticket_id, state, created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "RETURNING id",
            (chat_id, priority, kind, data, coalesce_key, ticket_id, QUEUED, to_db(at), to_db(at)),
        ) as cursor:
            row = await cursor.fetchone()
        assert row is not None
        return int(row[0])

    async def record_direct(self, chat_id: int, at: datetime, message_id: int | None) -> None:
        """Record a message sent directly (not queued) so it counts in the lane's budget.

        A send made inside the task's own transaction records it there (a savepoint of it):
        the message is out whatever that transaction does next, and lost with its rollback the
        mark costs one budget slot only. Otherwise it is a transaction of its own.
        """
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO telegram_outbox (chat_id, priority, kind, payload, state, "
                "created_at, next_attempt_at, started_at, sent_at, message_id) "
                "VALUES (?, 0, ?, '{}', ?, ?, ?, ?, ?, ?)",
                (chat_id, SENT_DIRECTLY, SENT, *([to_db(at)] * 4), message_id),
            )

    # --- the sender's side (each in the sender's own short transaction) ----------------------
    async def lane_heads(self) -> list[OutRow]:
        """The next queued row of every lane (most urgent class, then oldest)."""
        conn = self.db.conn
        async with conn.execute(
            f"SELECT {_COLUMNS} FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY chat_id "
            "ORDER BY priority, id) AS n FROM telegram_outbox WHERE state = ?) WHERE n = 1",
            (QUEUED,),
        ) as cursor:
            return [_row(r) for r in await cursor.fetchall()]

    async def get(self, row_id: int) -> OutRow | None:
        """One row, in the task's transaction or, outside one, as last committed."""
        found = await self.db.fetchone(
            f"SELECT {_COLUMNS} FROM telegram_outbox WHERE id = ?", (row_id,)
        )
        return None if found is None else _row(found)

    async def unannounced(self, chat_id: int, kind: str, limit: int) -> list[OutRow]:
        """Queued new-ticket rows of a lane not yet announced, oldest first."""
        conn = self.db.conn
        async with conn.execute(
            f"SELECT {_COLUMNS} FROM telegram_outbox WHERE chat_id = ? AND kind = ? "
            "AND state = ? AND announced_at IS NULL AND json_extract(payload, '$.new') "
            "ORDER BY id LIMIT ?",
            (chat_id, kind, QUEUED, limit),
        ) as cursor:
            return [_row(r) for r in await cursor.fetchall()]

    async def promote_unannounced(self, kind: str, before: datetime, priority: int) -> None:
        """New-ticket rows queued since before ``before`` and not announced move up a class."""
        conn = self.db.conn
        await conn.execute(
            "UPDATE telegram_outbox SET priority = ? WHERE kind = ? AND state = ? "
            "AND announced_at IS NULL AND json_extract(payload, '$.new') AND priority > ? "
            "AND created_at < ?",
            (priority, kind, QUEUED, priority, to_db(before)),
        )

    async def has_queued_card(self, ticket_id: int | None) -> bool:
        return bool(
            await self.db.fetchval(
                "SELECT 1 FROM telegram_outbox WHERE ticket_id = ? AND kind = 'kartu' "
                "AND state IN (?, ?)",
                (ticket_id, QUEUED, SENDING),
            )
        )

    async def sent_since(
        self, chat_ids: Iterable[int], since: datetime
    ) -> dict[int, list[tuple[datetime, int]]]:
        """When each lane's messages went out (or went in flight) after ``since``, with their
        class."""
        chats = list(chat_ids)
        out: dict[int, list[tuple[datetime, int]]] = {chat: [] for chat in chats}
        if not chats:
            return out
        marks = ",".join("?" * len(chats))
        rows = await self.db.fetchall(
            f"SELECT chat_id, COALESCE(sent_at, started_at), priority FROM telegram_outbox "
            f"WHERE chat_id IN ({marks}) AND COALESCE(sent_at, started_at) > ? "
            f"AND (state IN (?, ?) OR (state = ? AND message_id IS NOT NULL))",
            (*chats, to_db(since), SENT, SENDING, FAILED),
        )
        for chat, at, priority in rows:
            out[chat].append((from_db(at), priority))
        return out

    async def last_sent(self, chat_ids: Sequence[int]) -> dict[int, datetime]:
        """The last send of each lane (private chats are paced one message a second)."""
        if not chat_ids:
            return {}
        marks = ",".join("?" * len(chat_ids))
        rows = await self.db.fetchall(
            f"SELECT chat_id, MAX(sent_at) FROM telegram_outbox WHERE chat_id IN ({marks}) "
            "AND sent_at IS NOT NULL GROUP BY chat_id",
            tuple(chat_ids),
        )
        return {chat: from_db(at) for chat, at in rows if at is not None}

    async def claim(self, row_id: int, at: datetime) -> None:
        conn = self.db.conn
        await conn.execute(
            "UPDATE telegram_outbox SET state = ?, started_at = ?, attempts = attempts + 1 "
            "WHERE id = ?",
            (SENDING, to_db(at), row_id),
        )

    async def mark_announced(self, row_ids: Sequence[int], at: datetime, priority: int) -> None:
        """The tickets were announced together: their own cards follow at ``priority``."""
        conn = self.db.conn
        marks = ",".join("?" * len(row_ids))
        await conn.execute(
            f"UPDATE telegram_outbox SET announced_at = ?, priority = ? WHERE id IN ({marks})",
            (to_db(at), priority, *row_ids),
        )

    async def mark_sent(self, row_id: int, message_id: int | None, at: datetime) -> None:
        conn = self.db.conn
        await conn.execute(
            "UPDATE telegram_outbox SET state = ?, sent_at = ?, message_id = ?, "
            "last_error = NULL WHERE id = ?",
            (SENT, to_db(at), message_id, row_id),
        )

    async def retry(
        self,
        row_id: int,
        at: datetime,
        error: str,
        *,
        count_attempt: bool = True,
    ) -> None:
        """Back to the queue, due at ``at``; a 429 (``count_attempt=False``) is no failure."""
        conn = self.db.conn
        await conn.execute(
            "UPDATE telegram_outbox SET state = ?, next_attempt_at = ?, last_error = ?, "
            "started_at = NULL, attempts = attempts - ? WHERE id = ?",
            (QUEUED, to_db(at), error[:500], 0 if count_attempt else 1, row_id),
        )

    async def fail(self, row_id: int, error: str) -> None:
        conn = self.db.conn
        await conn.execute(
            "UPDATE telegram_outbox SET state = ?, last_error = ?, started_at = NULL WHERE id = ?",
            (FAILED, error[:500], row_id),
        )

    async def fail_lane(self, chat_id: int, error: str) -> int:
        """Give up every queued row of a chat (the user blocked the bot)."""
        conn = self.db.conn
        cursor = await conn.execute(
            "UPDATE telegram_outbox SET state = ?, last_error = ? WHERE chat_id = ? AND state = ?",
            (FAILED, error[:500], chat_id, QUEUED),
        )
        return cursor.rowcount

    async def move_lane(self, old: int, new: int) -> int:
        """Point every undelivered row of chat ``old`` at ``new`` (a group became a supergroup)."""
        conn = self.db.conn
        cursor = await conn.execute(
            "UPDATE telegram_outbox SET chat_id = ? WHERE chat_id = ? AND state IN (?, ?)",
            (new, old, QUEUED, SENDING),
        )
        return cursor.rowcount

    async def recover(self) -> int:
        """At start-up: rows left ``sending`` by a crash go back to the queue."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE telegram_outbox SET state = ?, started_at = NULL WHERE state = ?",
                (QUEUED, SENDING),
            )
            return cursor.rowcount

    async def prune(self, before: datetime) -> None:
        """Forget delivered rows older than ``before`` (the window needs only the last minute)."""
        async with self.db.transaction() as conn:
            await conn.execute(
                "DELETE FROM telegram_outbox WHERE state = ? AND sent_at < ?",
                (SENT, to_db(before)),
            )

    # --- health ------------------------------------------------------------------------------
    async def backlog(self) -> TelegramBacklog:
        row = await self.db.fetchone(
            "SELECT COUNT(*), MIN(created_at) FROM telegram_outbox WHERE state IN (?, ?)",
            (QUEUED, SENDING),
        )
        failed = await self.db.fetchval(
            "SELECT COUNT(*) FROM telegram_outbox WHERE state = ?", (FAILED,)
        )
        waiting, oldest = (row[0], row[1]) if row is not None else (0, None)
        return TelegramBacklog(waiting or 0, from_db_opt(oldest), failed or 0)

    # --- processed updates -------------------------------------------------------------------
    async def journal_updates(self, updates: Sequence[tuple[int, str]], at: datetime) -> None:
        """Write polled updates (id, JSON) before python-telegram-bot confirms their offset."""
        async with self.db.transaction() as conn:
            await conn.executemany(
                "INSERT OR IGNORE INTO processed_updates (update_id, payload, received_at) "
                "VALUES (?, ?, ?)",
                [(update_id, payload, to_db(at)) for update_id, payload in updates],
            )

    async def unhandled_updates(self) -> list[str]:
        """Updates received but not handled (a crash came between): their JSON, in order."""
        rows = await self.db.fetchall(
            "SELECT payload FROM processed_updates WHERE processed_at IS NULL "
            "AND payload IS NOT NULL ORDER BY update_id"
        )
        return [row[0] for row in rows]

    async def update_handled(self, update_id: int) -> bool:
        return bool(
            await self.db.fetchval(
                "SELECT 1 FROM processed_updates WHERE update_id = ? AND processed_at IS NOT NULL",
                (update_id,),
            )
        )

    async def newest_handled_update(self) -> int:
        """The highest update id recorded as handled (0 when none is)."""
        value = await self.db.fetchval(
            "SELECT max(update_id) FROM processed_updates WHERE processed_at IS NOT NULL"
        )
        return int(value or 0)

    async def record_update(self, update_id: int, at: datetime, keep: int) -> None:
        """Mark ``update_id`` handled; only the newest ``keep`` ids are kept.

        Telegram redelivers only updates it has not seen confirmed, i.e. recent ones.
        """
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO processed_updates (update_id, received_at, processed_at) "
                "VALUES (?, ?, ?) ON CONFLICT (update_id) DO UPDATE SET "
                "processed_at = excluded.processed_at, payload = NULL",
                (update_id, to_db(at), to_db(at)),
            )
            if update_id % 100 == 0:
                await conn.execute(
                    "DELETE FROM processed_updates WHERE update_id <= ? "
                    "AND processed_at IS NOT NULL",
                    (update_id - keep,),
                )

    # --- the staff chat id in use -------------------------------------------------------------
    async def staff_chat(self) -> int | None:
        value = await self.db.fetchval(
            "SELECT value FROM bot_state WHERE key = ?", (STAFF_CHAT_KEY,)
        )
        return None if value is None else int(value)

    async def set_staff_chat(self, chat_id: int, at: datetime) -> None:
        conn = self.db.conn
        await conn.execute(
            "INSERT INTO bot_state (key, value, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value, "
            "updated_at = excluded.updated_at",
            (STAFF_CHAT_KEY, str(chat_id), to_db(at)),
        )
