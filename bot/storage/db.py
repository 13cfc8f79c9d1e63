"""The bot's SQLite database: one writer, a few readers, numbered migrations.

Modelled on mautrix-python's ``util/async_db``, where ``Database.acquire()`` keeps the task's
connection in a ContextVar. Here that connection is the one *writer*:

- Every write goes through :meth:`Database.transaction`, a ``BEGIN IMMEDIATE`` transaction on the
  writer connection, held (behind an ``asyncio.Lock``) for the whole block, so a state change and
  its event either both commit or both roll back, and writers from concurrent updates queue.
- While the block runs, a ContextVar names the writer and the task that owns it. In that task,
  :meth:`fetchone` and friends read through the writer (a step sees its own writes), a store's
  write finds the connection as :attr:`Database.conn` (no connection is passed by hand; it
  raises outside a transaction, so a write cannot happen outside one), and a nested
  :meth:`transaction` becomes a ``SAVEPOINT`` instead of waiting on a lock it holds itself. A
  task started inside the block inherits the ContextVar but is not its owner: it reads committed
  data and its own transaction waits for the writer like any other task's.
- Reads outside a transaction never run where a transaction is open. While one is (another
  task writes), they use a small pool of separate query-only connections: the file is in WAL
  mode, so they do not wait for the writer and see only what has been committed. While none
  is open or waiting, the idle writer serves the read, held so that no transaction starts
  under it: after each commit SQLite drops a reader's page cache, and the writer's is the warm
  one. A read never queues behind transactions waiting for the writer.
- A read is one trip to the connection's thread, not three (execute, fetch, close): under a
  surge every update makes several, and each trip wakes the thread and then the event loop.

``":memory:"`` cannot share data between connections, so a memory database (throwaway tests)
has the writer alone: a read from a task that does not own the open transaction waits for it to
end, which keeps the same guarantee (no uncommitted row is ever read) at the cost of concurrency.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiosqlite

from bot.storage.datadir import StorageUnusable, ensure_data_dir, ensure_database_writable
from bot.storage.migrations import MIGRATIONS, Migration

log = logging.getLogger(__name__)

Row = sqlite3.Row
Params = Sequence[Any] | dict[str, Any]

_SELECT = re.compile(r"\s*SELECT\b", re.IGNORECASE)
"""A statement that only reads (``WITH`` may lead to a write, a ``PRAGMA`` may set)."""
READERS = 3
"""Read connections at most (aiosqlite runs a thread for each); more readers queue."""


async def _run(conn: aiosqlite.Connection, sql: str) -> None:
    """Run a set-up statement to its end and close its cursor.

    A ``PRAGMA`` that answers with a row (``journal_mode``, ``user_version``) left on an open
    cursor keeps its statement active, and with it a read snapshot: the connection's next
    read would see the database as it was when the connection opened.
    """
    async with conn.execute(sql) as cursor:
        await cursor.fetchall()


async def _rollback(conn: aiosqlite.Connection) -> None:
    """End whatever is open, before the lock passes on.

    Always sent, even when no transaction seems open: a ``BEGIN`` or ``COMMIT`` whose await was
    cancelled still runs on the connection's thread, and this ``ROLLBACK`` runs after it (the
    thread takes calls in order), so the next writer never finds a transaction left open.
    """
    with contextlib.suppress(sqlite3.OperationalError):  # "no transaction is active"
        await conn.execute("ROLLBACK")


def _first_row(conn: sqlite3.Connection, sql: str, params: Params) -> Row | None:
    """The first row, the statement then reset (an open one would pin a read snapshot)."""
    cursor = conn.execute(sql, params)
    try:
        row: Row | None = cursor.fetchone()
        return row
    finally:
        cursor.close()


async def _on_thread(
    conn: aiosqlite.Connection,
    work: Callable[[sqlite3.Connection, str, Params], Row | None],
    sql: str,
    params: Params,
) -> Row | None:
    """Run ``work`` on the connection's own thread in one trip.

    aiosqlite has no public call for "execute and fetch one"; its ``_execute`` queues a function
    on the connection's thread, which is what ``execute_fetchall`` itself does. Pinned by the
    version range in ``pyproject.toml`` and by every read in the suite.
    """
    result: Row | None = await conn._execute(work, conn._conn, sql, params)
    return result


@dataclass(slots=True)
class _Held:
    """The open transaction: its connection, the task that owns it, its savepoint depth."""

    conn: aiosqlite.Connection
    owner: asyncio.Task[Any] | None
    depth: int = 0


class Database:
    """The bot's SQLite database.

    Args:
        path: The database file; ``":memory:"`` for throwaway tests (one connection, see above).
        busy_timeout_ms: How long SQLite waits for another process's lock (a backup, a CLI).
        readers: Read connections at most.
        read_only: Refuse writes on every connection (the dashboard's own handle).
    """

    def __init__(
        self,
        path: Path | str,
        busy_timeout_ms: int = 5000,
        *,
        readers: int = READERS,
        read_only: bool = False,
    ) -> None:
        self.path = str(path)
        self.busy_timeout_ms = busy_timeout_ms
        self.read_only = read_only
        self._memory = self.path == ":memory:"
        self._writer: aiosqlite.Connection | None = None
        self._write_lock = asyncio.Lock()
        self._writers = 0
        """Transactions open or waiting for the writer (``locked()`` misses the waiting)."""
        self._ready_lock = asyncio.Lock()
        self._readers: list[aiosqlite.Connection] = []
        self._idle: list[aiosqlite.Connection] = []
        self._reader_slots = asyncio.Semaphore(readers)
        # One ContextVar per database: a task may hold transactions on two databases at once.
        self._held: ContextVar[_Held | None] = ContextVar(f"db_txn_{id(self)}", default=None)

    async def ensure_ready(self) -> None:
        """Open and upgrade once, whoever asks first (PTB persistence loads before post_init)."""
        async with self._ready_lock:
            if self._writer is None:
                await self.open()
                await self.upgrade()

    @property
    def conn(self) -> aiosqlite.Connection:
        """The connection of the transaction this task holds (for stores called inside one).

        Raises:
            RuntimeError: The task holds no transaction: read with :meth:`fetchone` and friends,
                write inside :meth:`transaction`.
        """
        held = self._own()
        if held is None:
            if self._writer is None:
                raise RuntimeError("database is not open")
            raise RuntimeError("no transaction in this task: use Database.transaction()")
        return held.conn

    async def open(self) -> None:
        """Connect the writer in WAL mode (readers connect when first needed).

        Raises:
            StorageUnusable: The folder or the file cannot be used (one line naming the path
                and the cure), instead of SQLite's error from deep inside the first query.
        """
        if not self._memory:
            ensure_data_dir(Path(self.path).parent)
            ensure_database_writable(Path(self.path))
        try:
            self._writer = await self._connect()
            await _run(self._writer, "PRAGMA journal_mode = WAL")
            await _run(self._writer, "PRAGMA synchronous = NORMAL")
            await _run(self._writer, "PRAGMA user_version")  # reads the header: not a database?
        except sqlite3.Error as exc:
            await self.close()
            key = "database_terkunci" if "locked" in str(exc) else "database_tidak_dapat_dibuka"
            raise StorageUnusable(key, berkas=self.path, pesan=str(exc)) from None

    async def _connect(self, *, query_only: bool = False) -> aiosqlite.Connection:
        # isolation_level=None: we issue BEGIN/COMMIT ourselves, Python's sqlite3 must not.
        conn = await aiosqlite.connect(self.path, isolation_level=None)
        try:
            conn.row_factory = sqlite3.Row
            await _run(conn, f"PRAGMA busy_timeout = {int(self.busy_timeout_ms)}")
            await _run(conn, "PRAGMA foreign_keys = ON")
            if query_only or self.read_only:
                await _run(conn, "PRAGMA query_only = ON")
        except BaseException:
            await conn.close()
            raise
        return conn

    async def close(self) -> None:
        readers, self._readers, self._idle = self._readers, [], []
        for reader in readers:
            await reader.close()
        if self._writer is not None:
            writer, self._writer = self._writer, None
            await writer.close()

    async def __aenter__(self) -> Database:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # --- transactions ----------------------------------------------------------------------
    def _own(self) -> _Held | None:
        """The open transaction if the running task owns it (a child task inherits, not owns)."""
        held = self._held.get()
        if held is None or held.owner is not asyncio.current_task():
            return None
        return held

    @property
    def in_transaction(self) -> bool:
        """Whether the running task holds a transaction on this database."""
        return self._own() is not None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """Run the block as one ``BEGIN IMMEDIATE`` transaction; roll back on any exception.

        Inside a transaction of the same task the block is a ``SAVEPOINT``: its failure undoes
        its own writes only, and the outer block decides about the rest. Never await, inside
        the block, a task that itself opens a transaction: it waits for this one to end.
        """
        held = self._own()
        if held is not None:
            async with self._savepoint(held):
                yield held.conn
            return
        self._writers += 1
        try:
            async with self._write_lock:
                if self._writer is None:
                    raise RuntimeError("database is not open")
                conn = self._writer
                token = self._held.set(_Held(conn, asyncio.current_task()))
                try:
                    await conn.execute("BEGIN IMMEDIATE")
                    yield conn
                    await conn.execute("COMMIT")
                except BaseException:
                    await _rollback(conn)
                    raise
                finally:
                    self._held.reset(token)
        finally:
            self._writers -= 1

    @asynccontextmanager
    async def joined(self) -> AsyncIterator[None]:
        """The task's open transaction, else a new one: for a write that must commit with its
        caller's change when there is one (no savepoint: a failure there undoes it too)."""
        if self._own() is not None:
            yield
            return
        async with self.transaction():
            yield

    @asynccontextmanager
    async def _savepoint(self, held: _Held) -> AsyncIterator[None]:
        name = f"nested_{held.depth}"
        held.depth += 1
        try:
            await held.conn.execute(f"SAVEPOINT {name}")
            try:
                yield
            except BaseException:
                await held.conn.execute(f"ROLLBACK TO {name}")
                await held.conn.execute(f"RELEASE {name}")
                raise
            await held.conn.execute(f"RELEASE {name}")
        finally:
            held.depth -= 1

    # --- reads -----------------------------------------------------------------------------
    @asynccontextmanager
    async def reading(self, sql: str = "") -> AsyncIterator[aiosqlite.Connection]:
        """A connection to read with: the task's transaction, else one with none open.

        Args:
            sql: The statement, when it is one: a plain ``SELECT`` may run on the idle writer
                (it cannot write); anything else goes to a query-only reader.
        """
        held = self._own()
        if held is not None:
            yield held.conn
            return
        if self._writer is None:
            raise RuntimeError("database is not open")
        if self._memory or (not self._writers and _SELECT.match(sql)):
            # No transaction is open or waiting (in memory: wait for them): the writer holds
            # only committed data, and its page cache is warm where a reader's was dropped
            # by the last commit. Holding the lock for the read keeps a transaction out.
            async with self._write_lock:
                yield self._writer
            return
        async with self._reader_slots:
            reader = self._idle.pop() if self._idle else await self._new_reader()
            try:
                yield reader
            finally:
                if reader in self._readers:  # not closed meanwhile
                    self._idle.append(reader)

    async def _new_reader(self) -> aiosqlite.Connection:
        reader = await self._connect(query_only=True)
        self._readers.append(reader)
        return reader

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        async with self.reading(sql) as conn:
            return await _on_thread(conn, _first_row, sql, params)

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        async with self.reading(sql) as conn:
            return list(await conn.execute_fetchall(sql, params))

    async def fetchval(self, sql: str, params: Params = ()) -> Any:
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]

    async def maintain(self, sql: str) -> None:
        """Run a maintenance statement (``ANALYZE``, a WAL checkpoint) on the writer, between
        transactions."""
        async with self._write_lock:
            if self._writer is None:
                raise RuntimeError("database is not open")
            await _run(self._writer, sql)

    # --- schema ----------------------------------------------------------------------------
    async def version(self) -> int:
        return int(await self.fetchval("PRAGMA user_version"))

    async def upgrade(self, migrations: Iterable[Migration] = MIGRATIONS) -> list[int]:
        """Apply each pending migration in its own transaction; return the versions applied.

        A migration's statements and its ``PRAGMA user_version`` bump commit together, so a
        crash leaves the database at the previous version, never half-way.

        Raises:
            StorageUnusable: The database is newer than these migrations (a bot downgraded
                over it): nothing is touched, and the operator gets one line saying so.
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
        """Copy the database as last committed, with SQLite's online backup API."""
        target.parent.mkdir(parents=True, exist_ok=True)
        async with aiosqlite.connect(str(target)) as dest, self.reading() as source:
            await source.backup(dest)
