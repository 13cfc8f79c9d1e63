"""``python -m bot``: the commands an LPSE operator types."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import EXIT_CONFIG, EXIT_FAILED, main
from tests.support.settings import STAFF_CHAT_ID, TOKEN

ROOT = Path(__file__).resolve().parents[2]


def env_file(tmp_path: Path, **extra: str) -> Path:
    values = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_BASE_URL": "http://127.0.0.1:9/bot",
        "TELEGRAM_BASE_FILE_URL": "http://127.0.0.1:9/file/bot",
        "STAFF_CHAT_ID": str(STAFF_CHAT_ID),
        "LPSE_NAME": "LPSE Kabupaten Batang",
        "LPSE_CODE": "BTG",
        "DATA_DIR": str(tmp_path / "data"),
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": "9",
        "SMTP_SECURITY": "none",
        "IMAP_HOST": "127.0.0.1",
        "IMAP_PORT": "9",
        "IMAP_SECURITY": "none",
        "IMAP_USERNAME": "lpse",
        "IMAP_PASSWORD": "x",
        "MAIL_FROM": "lpse@batangkab.go.id",
        "MAIL_SECRET": "0123456789abcdef0123",
        "LKPP_HELPDESK_EMAIL": "helpdesk@lkpp.go.id",
        "LKPP_ALLOWED_SENDERS": "lkpp.go.id",
    }
    values.update(extra)
    path = tmp_path / ".env"
    path.write_text("".join(f"{k}={v}\n" for k, v in values.items()), encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def _no_env_leak(monkeypatch):
    for name in list(os.environ):
        if name.startswith(("TELEGRAM_", "SMTP_", "IMAP_", "MAIL_", "LKPP_", "LPSE_", "DATA_")):
            monkeypatch.delenv(name)


def test_run_without_a_token_explains_botfather_and_exits_non_zero(tmp_path):
    empty = tmp_path / "empty.env"
    empty.write_text("", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "bot", "--env-file", str(empty), "run"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60,
        env={k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")},
    )  # fmt: skip
    assert result.returncode == EXIT_CONFIG
    assert "@BotFather" in result.stderr
    assert "Traceback" not in result.stderr


def test_migrate_creates_the_database_and_is_idempotent(tmp_path, capsys):
    path = env_file(tmp_path)
    assert main(["--env-file", str(path), "migrate"]) == 0
    assert (tmp_path / "data" / "bot.sqlite3").exists()
    assert "diperbarui" in capsys.readouterr().out
    assert main(["--env-file", str(path), "migrate"]) == 0
    assert "sudah versi terbaru" in capsys.readouterr().out


def test_check_reports_one_line_per_dependency(tmp_path, capsys):
    path = env_file(tmp_path)
    main(["--env-file", str(path), "migrate"])
    capsys.readouterr()
    assert main(["--env-file", str(path), "check"]) == EXIT_FAILED
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("OK   pengaturan")
    by_name = {line.split()[1].rstrip(":"): line for line in lines[1:]}
    assert set(by_name) == {
        "database", "telegram", "smtp", "imap", "scheduler", "outbox", "inbox", "pengirim",
    }  # fmt: skip
    assert by_name["pengirim"].startswith("n/a") and "MATI" in by_name["pengirim"]
    for name in ("database", "outbox", "inbox"):
        assert by_name[name].startswith("OK"), by_name[name]
    assert "integritas baik" in by_name["database"]
    assert by_name["outbox"].endswith("tidak ada email menunggu")
    for name in ("telegram", "smtp", "imap"):
        assert by_name[name].startswith("FAIL"), by_name[name]
    assert "tidak dapat terhubung" in by_name["smtp"]
    # The bot is not running in this process: the scheduler line says so, and does not fail.
    assert by_name["scheduler"].startswith("n/a") and "/kesehatan" in by_name["scheduler"]


def test_check_with_a_bad_setting_names_it(tmp_path, capsys):
    path = env_file(tmp_path, LPSE_CODE="B-T-G")
    assert main(["--env-file", str(path), "check"]) == EXIT_CONFIG
    assert "LPSE_CODE" in capsys.readouterr().out


def test_backup_copies_the_database(tmp_path, capsys):
    path = env_file(tmp_path)
    main(["--env-file", str(path), "migrate"])
    target = tmp_path / "copy.sqlite3"
    assert main(["--env-file", str(path), "backup", str(target)]) == 0
    assert target.exists() and target.stat().st_size > 0
