"""The dashboard's one-time links and sessions (migration 12).

A link is redeemed with one conditional ``UPDATE`` (unused, unexpired), so two tabs opening the
same link at once get one session between them, never two. Sessions are looked up by the
SHA-256 of their token: the cookie is the only copy of the token itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.storage.db import Database, Row
from bot.storage.timefmt import from_db, from_db_opt, to_db


@dataclass(frozen=True, slots=True)
class WebSession:
    """Someone logged in to the dashboard."""

    token_hash: str
    user_id: int
    user_name: str
    created_at: datetime
    expires_at: datetime
    address: str
    user_agent: str
    ended_at: datetime | None


class WebSessionStore:
    """Links issued by ``/dasbor`` and the sessions they opened."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def add_link(
        self, nonce: str, user_id: int, user_name: str, at: datetime, expires_at: datetime
    ) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO web_links (nonce, user_id, user_name, created_at, expires_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (nonce, user_id, user_name, to_db(at), to_db(expires_at)),
            )

    async def link_state(self, nonce: str, user_id: int) -> tuple[datetime | None, str] | None:
        """``(used_at, user_name)`` of the link issued to ``user_id``; ``None`` if never issued."""
        row = await self.db.fetchone(
            "SELECT used_at, user_name FROM web_links WHERE nonce = ? AND user_id = ?",
            (nonce, user_id),
        )
        return None if row is None else (from_db_opt(row[0]), row[1])

    async def redeem(
        self,
        nonce: str,
        user_id: int,
        at: datetime,
        address: str,
        token_hash: str,
        session_expires: datetime,
        user_agent: str,
    ) -> str | None:
        """Mark the link used and open its session in one transaction.

        Returns:
            The name the link was issued to, or ``None`` when it was used, expired or unknown.
        """
        async with self.db.transaction() as conn:
            async with conn.execute(
                "UPDATE web_links SET used_at = ?, used_from = ? WHERE nonce = ? AND user_id = ? "
                "AND used_at IS NULL AND expires_at > ? RETURNING user_name",
                (to_db(at), address, nonce, user_id, to_db(at)),
            ) as cursor:
                row = await cursor.fetchone()
            if row is None:
                return None
            name = str(row[0])
            await conn.execute(
                "INSERT INTO web_sessions (token_hash, user_id, user_name, created_at, "
                "expires_at, address, user_agent) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (token_hash, user_id, name, to_db(at), to_db(session_expires), address,
                 user_agent[:300]),
            )  # fmt: skip
        return name

    async def session(self, token_hash: str, now: datetime) -> WebSession | None:
        """The live session with this token hash (not ended, not expired)."""
        row = await self.db.fetchone(
            "SELECT * FROM web_sessions WHERE token_hash = ? AND ended_at IS NULL "
            "AND expires_at > ?",
            (token_hash, to_db(now)),
        )
        return None if row is None else _session(row)

    async def live_sessions(self, now: datetime) -> list[WebSession]:
        rows = await self.db.fetchall(
            "SELECT * FROM web_sessions WHERE ended_at IS NULL AND expires_at > ? "
            "ORDER BY created_at DESC",
            (to_db(now),),
        )
        return [_session(r) for r in rows]

    async def end(self, token_hash: str, at: datetime) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(
                "UPDATE web_sessions SET ended_at = ? WHERE token_hash = ? AND ended_at IS NULL",
                (to_db(at), token_hash),
            )

    async def end_for_user(self, user_id: int, at: datetime) -> int:
        """End every session of someone who left the staff group; how many were ended."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE web_sessions SET ended_at = ? WHERE user_id = ? AND ended_at IS NULL",
                (to_db(at), user_id),
            )
            return cursor.rowcount

    async def purge(self, before: datetime) -> None:
        """Forget links and sessions that ran out before ``before`` (kept a while for audit)."""
        async with self.db.transaction() as conn:
            await conn.execute("DELETE FROM web_links WHERE expires_at < ?", (to_db(before),))
            await conn.execute("DELETE FROM web_sessions WHERE expires_at < ?", (to_db(before),))


def _session(r: Row) -> WebSession:
    return WebSession(
        token_hash=r["token_hash"],
        user_id=r["user_id"],
        user_name=r["user_name"],
        created_at=from_db(r["created_at"]),
        expires_at=from_db(r["expires_at"]),
        address=r["address"],
        user_agent=r["user_agent"],
        ended_at=from_db_opt(r["ended_at"]),
    )
