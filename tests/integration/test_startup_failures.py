"""An unusable DATA_DIR or database, or a second bot: one Indonesian line, exit 2, no traceback.

Each case runs ``python -m bot`` as the operator does, in a process of its own.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import EXIT_CONFIG, EXIT_FAILED
from bot.storage.datadir import DataDirLock
from tests.integration.test_cli import env_file

ROOT = Path(__file__).resolve().parents[2]


def bot(
    tmp_path: Path, *args: str, data_dir: Path, user: int | None = None
) -> subprocess.CompletedProcess[str]:
    env_path = env_file(tmp_path, DATA_DIR=str(data_dir))
    command = [sys.executable, "-m", "bot", "--env-file", str(env_path), *args]
    if user is not None:  # run as an ordinary user: root may write anywhere
        command = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", *command]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATA_DIR"))}
    return subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60, check=False
    )


def one_line(result: subprocess.CompletedProcess[str], *expected: str) -> str:
    assert result.returncode == EXIT_CONFIG, result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for text in expected:
        assert text in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize("command", ["run", "migrate"])
def test_a_file_where_data_dir_should_be(tmp_path: Path, command: str) -> None:
    data = tmp_path / "data"
    data.write_text("bukan folder", encoding="utf-8")
    line = one_line(bot(tmp_path, command, data_dir=data), str(data), "bukan folder")
    assert "DATA_DIR" in line


def test_a_data_dir_that_cannot_exist(tmp_path: Path) -> None:
    blocker = tmp_path / "berkas"
    blocker.write_text("x", encoding="utf-8")
    data = blocker / "data"
    one_line(bot(tmp_path, "run", data_dir=data), str(data), str(blocker), "bukan folder")


@pytest.fixture
def shared_tmp() -> Iterator[Path]:
    """A folder another user can enter (pytest's own are private to their owner)."""
    path = Path(tempfile.mkdtemp(prefix="lpse-"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def test_a_data_dir_the_bot_cannot_write(shared_tmp: Path) -> None:
    data = shared_tmp / "data"
    data.mkdir(mode=0o555)
    data.chmod(0o555)
    user = 65534 if os.geteuid() == 0 else None
    if user is not None and shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: every folder is writable")
    if user is not None:
        probe = [sys.executable, "-c", "import bot"]
        as_user = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", *probe]
        if subprocess.run(as_user, cwd=shared_tmp, capture_output=True, check=False).returncode:
            pytest.skip("this checkout is not readable by an ordinary user")
    env_file(shared_tmp, DATA_DIR=str(data)).chmod(0o644)
    result = bot(shared_tmp, "run", data_dir=data, user=user)
    one_line(result, str(data), "tidak dapat ditulisi", "chown")


def test_a_database_newer_than_the_bot(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    with sqlite3.connect(data / "bot.sqlite3") as conn:
        conn.execute("PRAGMA user_version = 999")
    for command in ("run", "migrate"):
        line = one_line(bot(tmp_path, command, data_dir=data), "versi 999", "lebih baru")
        assert str(data / "bot.sqlite3") in line


def test_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "bot.sqlite3").write_bytes(b"this is not SQLite, just text " * 100)
    one_line(bot(tmp_path, "migrate", data_dir=data), str(data / "bot.sqlite3"), "cadangan")


def test_a_second_bot_on_the_same_data_dir_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with DataDirLock(data):  # the first bot, as far as the lock is concerned
        line = one_line(bot(tmp_path, "run", data_dir=data), str(data), "bot lain sudah berjalan")
    assert "bot.lock" in line


def test_check_shows_the_reason_as_a_fail_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.write_text("bukan folder", encoding="utf-8")
    result = bot(tmp_path, "check", data_dir=data)
    assert result.returncode == EXIT_FAILED, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    lines = {line.split()[1].rstrip(":"): line for line in result.stdout.splitlines()[1:]}
    assert lines["database"].startswith("FAIL database: DATA_DIR"), lines["database"]
    assert str(data) in lines["database"]
    assert lines["outbox"].startswith("n/a") and lines["inbox"].startswith("n/a")
    assert lines["telegram"].startswith("FAIL")  # the servers were still checked
