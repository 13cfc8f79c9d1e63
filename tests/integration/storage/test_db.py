"""The database: pragmas, transactions, and the migration stairway."""

from __future__ import annotations

import sqlite3

import pytest

from bot.storage.db import Database
from bot.storage.migrations import MIGRATIONS, Migration


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
