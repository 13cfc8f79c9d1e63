"""Run the bot as a subprocess through its normal entry point, against local servers.

The end-to-end tests drive the bot only from outside: Telegram updates into the local Bot API
server, emails appended to the IMAP mailbox, emails read from the SMTP server. Time moves by
starting the process at a chosen clock with libfaketime, never by sleeping.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from tests.support.botapi import BotApiServer
from tests.support.mailservers import ImapTestServer, SmtpTestServer

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "123456:E2E-token_for_tests"
STAFF_CHAT_ID = -1009876543210
ADMIN_ID = 9001
MAIL_SECRET = "e2e-secret-e2e-secret-e2e"

_FAKETIME_LIBS = (
    "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
    "/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1",
    "/usr/lib/faketime/libfaketime.so.1",
)


def faketime_library() -> str | None:
    """Path of libfaketime, or ``None`` where it is not installed."""
    for path in _FAKETIME_LIBS:
        if os.path.exists(path):
            return path
    return None


class BotProcess:
    """The bot, started with ``python -m bot run`` and a ``.env`` of its own.

    Args:
        workdir: Where the ``.env`` and the data directory live (kept across restarts).
        botapi: The local Bot API server.
        smtp: The local SMTP server.
        imap: The local IMAP server.
        extra: More settings for the ``.env``.
    """

    def __init__(
        self,
        workdir: Path,
        botapi: BotApiServer,
        smtp: SmtpTestServer,
        imap: ImapTestServer,
        **extra: str,
    ) -> None:
        self.workdir = workdir
        self.botapi = botapi
        self.smtp = smtp
        self.imap = imap
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = workdir / "bot.log"
        self.starts = 0
        values = {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_BASE_URL": botapi.base_url,
            "TELEGRAM_BASE_FILE_URL": botapi.base_file_url,
            "STAFF_CHAT_ID": str(STAFF_CHAT_ID),
            "ADMIN_USER_IDS": str(ADMIN_ID),
            "LPSE_NAME": "LPSE Kabupaten Batang",
            "LPSE_CODE": "BTG",
            "DATA_DIR": str(workdir / "data"),
            "SMTP_HOST": smtp.host,
            "SMTP_PORT": str(smtp.port),
            "SMTP_SECURITY": "none",
            "IMAP_HOST": imap.host,
            "IMAP_PORT": str(imap.port),
            "IMAP_SECURITY": "none",
            "IMAP_USERNAME": imap.user,
            "IMAP_PASSWORD": imap.password,
            "IMAP_POLL_SECONDS": "5",
            "MAIL_FROM": "LPSE Kabupaten Batang <lpse@batangkab.go.id>",
            "MAIL_SECRET": MAIL_SECRET,
            "LKPP_HELPDESK_EMAIL": "helpdesk@lkpp.go.id",
            "LKPP_ALLOWED_SENDERS": "lkpp.go.id",
            "SWEEP_INTERVAL_SECONDS": "1",
            # The SOP walks post more than 20 messages a minute in the staff group; they test
            # the SOP, not Telegram's limits (the surge tests set the real 20 again).
            "TELEGRAM_GROUP_PER_MINUTE": "600",
            "LOG_LEVEL": os.environ.get("E2E_LOG_LEVEL", "INFO"),
        }
        values.update(extra)
        self.env_file = workdir / ".env"
        self.env_file.write_text("".join(f"{k}={v}\n" for k, v in values.items()), "utf-8")

    @property
    def db_path(self) -> Path:
        return self.workdir / "data" / "bot.sqlite3"

    def start(
        self, at: datetime | None = None, *, wait_ready: float = 30.0, ready: str = "deleteWebhook"
    ) -> None:
        """Start the bot; with ``at``, its clock starts there (libfaketime) and runs on."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "SMTP_",
               "IMAP_", "MAIL_", "LKPP_", "LPSE_", "FAKETIME"))}  # fmt: skip
        env["PYTHONUNBUFFERED"] = "1"
        if at is not None:
            library = faketime_library()
            if library is None:
                raise RuntimeError("libfaketime is not installed")
            env["LD_PRELOAD"] = library
            env["FAKETIME"] = "@" + at.astimezone().strftime("%Y-%m-%d %H:%M:%S")
            # The monotonic clock is faked too: libfaketime 0.9.10 makes sleeps fail (EINVAL)
            # when only the wall clock is, and a faked monotonic clock still runs forward.
            env["FAKETIME_DONT_RESET"] = "1"
        mark = self.botapi.mark()
        log = self.log_path.open("ab")
        log.write(f"\n===== start {self.starts + 1} at {at} =====\n".encode())
        log.flush()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "--env-file", str(self.env_file), "run"],
            cwd=self.workdir, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        log.close()
        self.starts += 1
        # Polling starts with deleteWebhook; calls are recorded when answered, so waiting for
        # getUpdates would wait for the first long poll to time out.
        # (``ready="setWebhook"`` in webhook mode.)
        self.botapi.wait_for_sync(ready, since=mark, timeout=wait_ready)

    def kill(self) -> None:
        """SIGKILL: no shutdown hook runs, as in a power cut."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)
        self.proc = None

    def stop(self) -> int | None:
        """SIGTERM, as systemd does: a clean shutdown."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        code = self.proc.returncode
        self.proc = None
        return code

    def log(self) -> str:
        return self.log_path.read_text("utf-8", errors="replace") if self.log_path.exists() else ""

    # --- reading the database from outside (read-only) ---------------------------------
    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        conn = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, timeout=10)
        conn.row_factory = sqlite3.Row
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()

    def state(self, number: str) -> str:
        rows = self.query("SELECT state FROM tickets WHERE number = ?", (number,))
        return rows[0]["state"] if rows else ""

    def wait_state(self, number: str, state: str, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.state(number) == state:
                return
            time.sleep(0.1)
        raise AssertionError(
            f"{number} is {self.state(number)!r}, not {state!r}\n--- bot log ---\n"
            + self.log()[-4000:]
        )

    def wait_event(self, number: str, action: str, timeout: float = 15.0) -> sqlite3.Row:
        """The ticket's latest ``action`` event, once the bot has committed it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [e for e in self.events(number) if e["action"] == action]
            if found:
                return found[-1]
            time.sleep(0.1)
        actions = [e["action"] for e in self.events(number)]
        raise AssertionError(f"{number} has no {action!r} event: {actions}\n" + self.log()[-4000:])

    def events(self, number: str) -> list[sqlite3.Row]:
        return self.query(
            "SELECT e.* FROM events e JOIN tickets t ON t.id = e.ticket_id "
            "WHERE t.number = ? ORDER BY e.id",
            (number,),
        )


@contextmanager
def running_bot(workdir: Path, botapi: BotApiServer, smtp: SmtpTestServer,
                imap: ImapTestServer, **extra: str) -> Iterator[BotProcess]:  # fmt: skip
    bot = BotProcess(workdir, botapi, smtp, imap, **extra)
    try:
        yield bot
    finally:
        bot.stop()
        if os.environ.get("E2E_KEEP_LOGS"):
            shutil.copy(bot.log_path, ROOT / f"e2e-{workdir.name}.log")
