"""One aiosqlite connection, explicit transactions, numbered migrations.

Modelled on mautrix-python's ``util/async_db``: the bot owns a single connection in WAL mode;
every write goes through :meth:`Database.transaction`, which serialises writers with an
``asyncio.Lock`` and ``BEGIN IMMEDIATE`` so a state change and its event either both commit or
both roll back. Reads outside a transaction see the last committed state.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from bot.storage.datadir import StorageUnusable, ensure_data_dir, ensure_database_writable
from bot.storage.migrations import MIGRATIONS, Migration

log = logging.getLogger(__name__)

Row = sqlite3.Row


class Database:
    """The bot's SQLite database.

    Args:
        path: The database file; ``":memory:"`` for throwaway tests.
        busy_timeout_ms: How long SQLite waits for another process's lock (a backup, a CLI).
    """

    def __init__(self, path: Path | str, busy_timeout_ms: int = 5000) -> None:
        self.path = str(path)
        self.busy_timeout_ms = busy_timeout_ms
        self._conn: aiosqlite.Connection | None = None
        self._write_lock = asyncio.Lock()
        self._ready_lock = asyncio.Lock()

    async def ensure_ready(self) -> None:
        """Open and upgrade once, whoever asks first (PTB persistence loads before post_init)."""
        async with self._ready_lock:
            if self._conn is None:
                await self.open()
                await self.upgrade()

    @property
    def conn(self) -> aiosqlite.Connection:
        if self._conn is None:
            raise RuntimeError("database is not open")
        return self._conn

    async def open(self) -> None:
        """Connect in WAL mode.

        Raises:
            StorageUnusable: The folder or the file cannot be used (one line naming the path
                and the cure), instead of SQLite's error from deep inside the first query.
        """
        if self.path != ":memory:":
            ensure_data_dir(Path(self.path).parent)
            ensure_database_writable(Path(self.path))
        try:
            # isolation_level=None: we issue BEGIN/COMMIT ourselves, Python's sqlite3 must not.
            self._conn = await aiosqlite.connect(self.path, isolation_level=None)
            self._conn.row_factory = sqlite3.Row
            await self._conn.execute("PRAGMA journal_mode = WAL")
            await self._conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_ms)}")
            await self._conn.execute("PRAGMA foreign_keys = ON")
            await self._conn.execute("PRAGMA synchronous = NORMAL")
            await self._conn.execute("PRAGMA user_version")  # reads the header: not a database?
        except sqlite3.Error as exc:
            await self.close()
            key = "database_terkunci" if "locked" in str(exc) else "database_tidak_dapat_dibuka"
            raise StorageUnusable(key, berkas=self.path, pesan=str(exc)) from None

    async def close(self) -> None:
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    async def __aenter__(self) -> Database:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # --- transactions ----------------------------------------------------------------------
    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """Run the block as one ``BEGIN IMMEDIATE`` transaction; roll back on any exception.

        A task cancelled while its ``BEGIN`` waits for aiosqlite's worker thread still has the
        ``BEGIN`` run there: it is awaited and rolled back, or the connection would stay inside
        a transaction nobody commits (every later one failing, and autocommitted writes joining
        it).
        """
        async with self._write_lock:
            begin = asyncio.ensure_future(self.conn.execute("BEGIN IMMEDIATE"))
            try:
                await asyncio.shield(begin)
            except asyncio.CancelledError:
                with contextlib.suppress(Exception):
                    await begin
                    await self.conn.execute("ROLLBACK")
                raise
            try:
                yield self.conn
            except BaseException:
                await self.conn.execute("ROLLBACK")
                raise
            else:
                await self.conn.execute("COMMIT")

    @property
    def in_transaction(self) -> bool:
        return self._conn is not None and self._conn.in_transaction

    # --- reads -----------------------------------------------------------------------------
    async def fetchone(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Row | None:
        async with self.conn.execute(sql, params) as cursor:
            return await cursor.fetchone()

    async def fetchall(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[Row]:
        async with self.conn.execute(sql, params) as cursor:
            return list(await cursor.fetchall())

    async def fetchval(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Any:
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]

    # --- schema ----------------------------------------------------------------------------
    async def version(self) -> int:
        return int(await self.fetchval("PRAGMA user_version"))

    async def upgrade(self, migrations: Iterable[Migration] = MIGRATIONS) -> list[int]:
        """Apply each pending migration in its own transaction; return the versions applied.

        A migration's statements and its ``PRAGMA user_version`` bump commit together, so a
        crash leaves the database at the previous version, never half-way.
        """
        migrations = tuple(migrations)
        applied = []
        current = await self.version()
        latest = max((m.version for m in migrations), default=0)
        if current > latest:
            raise StorageUnusable("database_baru", berkas=self.path, versi=current, terbaru=latest)
        for migration in migrations:
            if migration.version <= current:
                continue
            async with self.transaction() as conn:
                for statement in migration.statements:
                    await conn.execute(statement)
                await conn.execute(f"PRAGMA user_version = {migration.version}")
            log.info("database upgraded to version %d: %s", migration.version, migration.name)
            applied.append(migration.version)
            current = migration.version
        return applied

    async def backup(self, target: Path) -> None:
        """Copy the live database with SQLite's online backup API."""
        target.parent.mkdir(parents=True, exist_ok=True)
        async with aiosqlite.connect(str(target)) as dest:
            await self.conn.backup(dest)
