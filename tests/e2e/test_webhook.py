"""Webhook mode: Telegram posts updates to the bot behind the LPSE's HTTPS reverse proxy."""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from tests.support.botapi import BotApiServer
from tests.support.mailservers import ImapTestServer, SmtpTestServer, free_port

from .actors import User
from .harness import running_bot

SECRET = "rahasia-webhook-lpse"
URL = "https://helpdesk.batangkab.go.id/telegram"


def _webhook_env(port: int) -> dict[str, str]:
    """The settings that put the bot in webhook mode on ``port``."""
    return {"WEBHOOK_URL": URL, "WEBHOOK_LISTEN": "127.0.0.1", "WEBHOOK_PORT": str(port),
            "WEBHOOK_SECRET_TOKEN": SECRET}  # fmt: skip


def _wait_listening(port: int, within: float = 15.0) -> None:
    deadline = time.monotonic() + within
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            assert time.monotonic() < deadline, f"nothing listens on {port}"
            time.sleep(0.05)


def _post(port: int, update: dict[str, object], secret: str | None) -> int:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/",
        data=json.dumps(update).encode(),
        headers={"Content-Type": "application/json"}
        | ({"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}),
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def test_webhook_mode_sets_the_webhook_and_answers_posted_updates(
    tmp_path: Path,
    botapi: BotApiServer,
    smtp_server: SmtpTestServer,
    imap_server: ImapTestServer,
    user: User,
) -> None:
    port = free_port()
    with running_bot(tmp_path, botapi, smtp_server, imap_server, **_webhook_env(port)) as bot:
        _start(bot, port)
        webhook = botapi.webhook
        assert webhook is not None
        assert webhook["url"] == URL
        assert webhook["secret_token"] == SECRET

        start = botapi.user_message(user.user, "/start")  # what Telegram would post
        assert _post(port, start, secret=None) == 403  # not from Telegram: refused
        assert _post(port, start, secret=SECRET) == 200
        user.expect("Selamat datang, Budi")
        assert bot.stop() == 0
    assert "Traceback" not in bot.log()


def _start(bot: Any, port: int) -> None:
    bot.start(ready="setWebhook")
    _wait_listening(port)


def _handled(bot: Any, update_id: int) -> bool:
    sql = "SELECT 1 FROM processed_updates WHERE update_id = ? AND processed_at IS NOT NULL"
    return bool(bot.query(sql, (update_id,)))


def test_a_posted_update_is_journaled_so_a_crash_before_handling_loses_nothing(
    tmp_path: Path,
    botapi: BotApiServer,
    smtp_server: SmtpTestServer,
    imap_server: ImapTestServer,
    user: User,
) -> None:
    port = free_port()
    webhook = _webhook_env(port)
    with running_bot(tmp_path, botapi, smtp_server, imap_server, **webhook) as bot:
        _start(bot, port)
        start = botapi.user_message(user.user, "/start")
        update_id = int(start["update_id"])
        assert _post(port, start, secret=SECRET) == 200  # Telegram will not post it again
        bot.kill()  # at once: before the update is handled (or, rarely, just after)
        rows = bot.query("SELECT 1 FROM processed_updates WHERE update_id = ?", (update_id,))
        assert len(rows) == 1  # written before the 200

        _start(bot, port)  # the journal puts the update back in the queue
        user.expect("Selamat datang, Budi")
        deadline = time.monotonic() + 10
        while not _handled(bot, update_id):
            assert time.monotonic() < deadline, "the replayed update was not marked handled"
            time.sleep(0.05)
        mark = botapi.mark()
        assert _post(port, start, secret=SECRET) == 200  # a retry of the same post
        time.sleep(1.0)
        welcomes = [
            c for c in botapi.calls[mark:]
            if c.chat_id == user.chat_id and "Selamat datang" in (c.text or "")
        ]  # fmt: skip
        assert welcomes == []  # handled once
        assert bot.stop() == 0
    assert "Traceback" not in bot.log()
