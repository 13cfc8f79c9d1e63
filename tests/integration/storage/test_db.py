"""The database: pragmas, transactions, and the migration stairway."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from zoneinfo import ZoneInfo

import pytest

from bot.storage.datadir import StorageUnusable
from bot.storage.db import Database
from bot.storage.migrations import LATEST, MIGRATIONS, Migration
from bot.text import Texts


@pytest.fixture
async def db(tmp_path):
    database = Database(tmp_path / "t.sqlite3")
    await database.open()
    yield database
    await database.close()


async def test_connection_pragmas(db):
    assert (await db.fetchval("PRAGMA journal_mode")) == "wal"
    assert (await db.fetchval("PRAGMA foreign_keys")) == 1
    assert (await db.fetchval("PRAGMA busy_timeout")) == 5000


async def test_fresh_database_reaches_the_latest_version_and_rerun_is_a_noop(db):
    applied = await db.upgrade()
    assert applied == [m.version for m in MIGRATIONS]
    assert await db.version() == MIGRATIONS[-1].version
    assert await db.upgrade() == []


def _schema(path) -> list[tuple[str, str]]:
    with sqlite3.connect(path) as conn:
        return sorted(
            conn.execute(
                "SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
            ).fetchall()
        )


@pytest.mark.parametrize("frozen_at", [0, *(m.version for m in MIGRATIONS[:-1])])
async def test_stairway_a_database_frozen_at_each_older_version_upgrades(tmp_path, frozen_at):
    old = Database(tmp_path / "old.sqlite3")
    await old.open()
    await old.upgrade([m for m in MIGRATIONS if m.version <= frozen_at])
    assert await old.version() == frozen_at
    await old.upgrade()
    await old.close()

    fresh = Database(tmp_path / "fresh.sqlite3")
    await fresh.open()
    await fresh.upgrade()
    await fresh.close()
    assert _schema(tmp_path / "old.sqlite3") == _schema(tmp_path / "fresh.sqlite3")


async def test_each_migration_is_atomic(db):
    await db.upgrade()
    version = await db.version()
    broken = Migration(
        version + 1,
        "broken",
        ("CREATE TABLE half_done (x INTEGER)", "THIS IS NOT SQL"),
    )
    with pytest.raises(sqlite3.OperationalError):
        await db.upgrade([*MIGRATIONS, broken])
    assert await db.version() == version
    assert await db.fetchval("SELECT name FROM sqlite_master WHERE name = 'half_done'") is None


async def test_migrations_never_use_executescript_style_multi_statements():
    for migration in MIGRATIONS:
        for statement in migration.statements:
            body = statement.strip().rstrip(";")
            if body.upper().startswith("CREATE TRIGGER"):
                continue  # a trigger body holds its own semicolons: still one statement
            assert ";" not in body, (migration.version, statement)


async def test_transaction_rolls_back_on_error(db):
    await db.upgrade()
    with pytest.raises(RuntimeError):
        async with db.transaction() as conn:
            await conn.execute(
                "INSERT INTO calendar_overrides (day, kind, note, created_at) "
                "VALUES ('2026-11-25', 'tutup', 'x', '2026-11-24T00:00:00.000000Z')"
            )
            raise RuntimeError("boom")
    assert await db.fetchval("SELECT COUNT(*) FROM calendar_overrides") == 0


async def test_backup_copies_the_live_database(db, tmp_path):
    await db.upgrade()
    await db.backup(tmp_path / "backup" / "copy.sqlite3")
    copy = Database(tmp_path / "backup" / "copy.sqlite3")
    await copy.open()
    assert await copy.version() == await db.version()
    await copy.close()


# --- isolation: one writer, committed-only readers ------------------------------------------
_INSERT = (
    "INSERT INTO calendar_overrides (day, kind, note, created_at) "
    "VALUES (?, 'tutup', 'x', '2026-11-24T00:00:00.000000Z')"
)
_COUNT = "SELECT COUNT(*) FROM calendar_overrides"


@pytest.fixture(params=["file", "memory"])
async def migrated(request, tmp_path):
    """A migrated database on a file (writer plus readers) and in memory (the writer alone)."""
    database = Database(tmp_path / "t.sqlite3" if request.param == "file" else ":memory:")
    await database.open()
    await database.upgrade()
    yield database
    await database.close()


async def test_a_reader_never_sees_a_row_of_a_transaction_that_rolls_back(migrated):
    written, read = asyncio.Event(), asyncio.Event()
    seen = []

    async def writer():
        with pytest.raises(RuntimeError):
            async with migrated.transaction() as conn:
                await conn.execute(_INSERT, ("2026-11-25",))
                written.set()
                await read.wait() if migrated.path != ":memory:" else await asyncio.sleep(0.05)
                raise RuntimeError("the step failed")

    async def reader():
        await written.wait()
        seen.append(await migrated.fetchval(_COUNT))  # while the writer's transaction is open
        seen.append(await migrated.fetchone("SELECT * FROM calendar_overrides"))
        read.set()

    await asyncio.wait_for(asyncio.gather(writer(), reader()), 5)
    assert seen == [0, None]
    assert await migrated.fetchval(_COUNT) == 0


async def test_the_reader_reads_while_the_writer_holds_its_transaction(db):
    """On a file, a read does not queue behind an open transaction (WAL)."""
    await db.upgrade()
    async with db.transaction() as conn:
        await conn.execute(_INSERT, ("2026-11-25",))
        other = asyncio.create_task(db.fetchval(_COUNT))
        assert await asyncio.wait_for(other, 2) == 0


async def test_a_read_does_not_queue_behind_transactions_waiting_for_the_writer(db):
    """A transaction just released still has the next one waiting: the read takes a reader."""
    await db.upgrade()
    release = asyncio.Event()
    started = asyncio.Event()

    async def hold() -> None:
        async with db.transaction() as conn:
            await conn.execute(_INSERT, ("2026-11-25",))
            started.set()
            await release.wait()

    async def wait_for_writer() -> None:
        async with db.transaction() as conn:
            await conn.execute(_INSERT, ("2026-11-26",))
            await release.wait()

    first = asyncio.create_task(hold())
    await started.wait()
    second = asyncio.create_task(wait_for_writer())
    await asyncio.sleep(0)  # the second now waits for the lock
    assert await asyncio.wait_for(db.fetchval(_COUNT), 2) == 0
    assert await asyncio.wait_for(db.fetchall("SELECT * FROM calendar_overrides"), 2) == []
    release.set()
    await asyncio.wait_for(asyncio.gather(first, second), 5)
    assert await db.fetchval(_COUNT) == 2


async def test_joined_writes_commit_with_the_caller_or_on_their_own(db):
    await db.upgrade()

    async def note(day: str) -> None:
        async with db.joined():
            await db.conn.execute(_INSERT, (day,))

    await note("2026-11-25")  # no caller's transaction: one of its own, committed
    assert await asyncio.create_task(db.fetchval(_COUNT)) == 1
    with pytest.raises(RuntimeError, match="caller failed"):
        async with db.transaction():
            await note("2026-11-26")  # joins, no savepoint
            raise RuntimeError("caller failed")
    assert await db.fetchval(_COUNT) == 1  # undone with the caller's change


async def test_one_row_reads_leave_no_statement_open(db):
    """A read whose query has more rows than it takes still ends its statement, so the next
    read of that connection is not a snapshot from before a later commit."""
    await db.upgrade()
    async with db.transaction() as conn:
        for day in ("2026-11-25", "2026-11-26", "2026-11-27"):
            await conn.execute(_INSERT, (day,))
    assert await db.fetchone("SELECT * FROM calendar_overrides ORDER BY day") is not None
    async with db.transaction() as conn:
        await conn.execute(_INSERT, ("2026-11-28",))
    assert await asyncio.create_task(db.fetchval(_COUNT)) == 4


async def test_readers_see_committed_rows_right_after_commit(migrated):
    async with migrated.transaction() as conn:
        await conn.execute(_INSERT, ("2026-11-25",))
        assert await migrated.fetchval(_COUNT) == 1  # the owner reads its own write
    assert await asyncio.create_task(migrated.fetchval(_COUNT)) == 1  # another task, at once
    assert await migrated.fetchval(_COUNT) == 1


async def test_concurrent_writers_serialise_and_none_is_lost(migrated):
    """Updates from different chats, each a read-then-write step: no step sees another's
    half-done work, and every row arrives."""
    inside = 0
    overlaps = []

    async def chat(n: int) -> None:
        nonlocal inside
        async with migrated.transaction() as conn:
            inside += 1
            overlaps.append(inside)
            before = await migrated.fetchval(_COUNT)
            await asyncio.sleep(0)  # let the other chats run now if the lock let them in
            await conn.execute(_INSERT, (f"2026-12-{n + 1:02d}",))
            assert await migrated.fetchval(_COUNT) == before + 1
            inside -= 1

    await asyncio.wait_for(asyncio.gather(*(chat(n) for n in range(20))), 10)
    assert set(overlaps) == {1}
    assert await migrated.fetchval(_COUNT) == 20


async def test_a_nested_transaction_in_one_task_is_a_savepoint(migrated):
    async with migrated.transaction() as outer:
        await outer.execute(_INSERT, ("2026-11-25",))
        async with migrated.transaction() as inner:
            assert inner is outer
            await inner.execute(_INSERT, ("2026-11-26",))
        with pytest.raises(RuntimeError):
            async with migrated.transaction() as inner:
                await inner.execute(_INSERT, ("2026-11-27",))
                raise RuntimeError("only this part fails")
        assert migrated.in_transaction
        assert await migrated.fetchval(_COUNT) == 2
    assert not migrated.in_transaction
    days = [r["day"] for r in await migrated.fetchall("SELECT day FROM calendar_overrides")]
    assert sorted(days) == ["2026-11-25", "2026-11-26"]


async def test_a_child_task_waits_for_the_writer_instead_of_using_the_parent_s(migrated):
    """asyncio copies the ContextVar into a task created inside the transaction: it must not
    take the parent's connection (the outbox sender starts its sends inside its round)."""
    order = []

    async def child() -> None:
        assert not migrated.in_transaction
        with pytest.raises(RuntimeError, match="no transaction"):
            migrated.conn  # noqa: B018
        async with migrated.transaction() as conn:
            order.append("child writes")
            assert await migrated.fetchval(_COUNT) == 1  # the parent's row, committed
            await conn.execute(_INSERT, ("2026-11-26",))

    async with migrated.transaction() as conn:
        await conn.execute(_INSERT, ("2026-11-25",))
        task = asyncio.create_task(child())
        await asyncio.sleep(0.05)
        assert not task.done()  # waiting for the writer, not writing into this transaction
        order.append("parent commits")
    await asyncio.wait_for(task, 2)
    assert order == ["parent commits", "child writes"]
    assert await migrated.fetchval(_COUNT) == 2


async def test_a_child_task_does_not_read_the_parent_s_uncommitted_rows(db):
    await db.upgrade()
    async with db.transaction() as conn:
        await conn.execute(_INSERT, ("2026-11-25",))
        assert await asyncio.create_task(db.fetchval(_COUNT)) == 0


async def test_conn_outside_a_transaction_is_refused(db):
    with pytest.raises(RuntimeError, match="no transaction"):
        db.conn  # noqa: B018
    async with db.transaction() as conn:
        assert db.conn is conn


async def test_readers_cannot_write(db):
    await db.upgrade()
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        await db.fetchall(_INSERT, ("2026-11-25",))
    assert await db.fetchval(_COUNT) == 0


async def test_a_read_only_database_refuses_writes_in_a_transaction(db, tmp_path):
    await db.upgrade()
    read_only = Database(tmp_path / "t.sqlite3", read_only=True)
    await read_only.open()
    try:
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            async with read_only.transaction() as conn:
                await conn.execute(_INSERT, ("2026-11-25",))
    finally:
        await read_only.close()


async def test_a_second_handle_sees_a_row_committed_after_it_opened(db, tmp_path):
    """Its first read, too: opening must leave no statement (and snapshot) active."""
    await db.upgrade()
    for read_only in (True, False):
        other = Database(tmp_path / "t.sqlite3", read_only=read_only)
        await other.open()
        try:
            before = await db.fetchval(_COUNT)
            async with db.transaction() as conn:
                await conn.execute(_INSERT, (f"2026-11-{25 + int(read_only)}",))
            assert await other.fetchval(_COUNT) == before + 1
        finally:
            await other.close()


async def test_a_database_newer_than_the_bot_is_refused_untouched(db):
    await db.upgrade()
    async with db.transaction() as conn:
        await conn.execute(f"PRAGMA user_version = {LATEST + 1}")
    with pytest.raises(StorageUnusable) as caught:
        await db.upgrade()
    assert caught.value.key == "database_baru"
    assert caught.value.values == {"berkas": db.path, "versi": LATEST + 1, "terbaru": LATEST}
    assert await db.version() == LATEST + 1
    line = caught.value.line(Texts(ZoneInfo("Asia/Jakarta")))
    assert "\n" not in line and f"versi {LATEST + 1}" in line and "lebih baru" in line


async def test_a_transaction_cancelled_at_any_point_leaves_none_open(db):
    """A cancelled ``BEGIN`` or ``COMMIT`` still runs on the connection's thread: the next
    writer must not find that transaction open (nor write into it unknowingly)."""
    await db.upgrade()
    for n in range(12):

        async def step(day: str) -> None:
            async with db.transaction() as conn:
                await conn.execute(_INSERT, (day,))

        task = asyncio.create_task(step(f"2026-12-{n + 1:02d}"))
        for _ in range(n):
            await asyncio.sleep(0)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        async with db.transaction() as conn:  # no "transaction within a transaction"
            await conn.execute(_INSERT, ("2027-01-01",))
            await conn.execute("DELETE FROM calendar_overrides WHERE day = '2027-01-01'")
    assert await db.fetchval("SELECT COUNT(*) FROM calendar_overrides WHERE day > '2027'") == 0
