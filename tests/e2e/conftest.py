"""Fixtures for the end-to-end tier: the local servers and the bot process between them."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.botapi import BotApiServer
from tests.support.mailservers import ImapTestServer, SmtpTestServer

from .actors import Lkpp, Staff, User
from .harness import ROOT, STAFF_CHAT_ID, TOKEN, BotProcess, running_bot


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture
def botapi(request: pytest.FixtureRequest) -> Iterator[BotApiServer]:
    """The Bot API server the bot process talks to, with the LPSE's staff group.

    With ``E2E_KEEP_LOGS=1`` every call the bot made is written, timed, to ``e2e-<test>.calls``.
    """
    server = BotApiServer(token=TOKEN, bot_username="lpse_batang_bot")
    server.add_group(STAFF_CHAT_ID, "Staf LPSE Kabupaten Batang")
    server.start()
    try:
        yield server
    finally:
        server.stop()
        if os.environ.get("E2E_KEEP_LOGS"):
            calls = server.calls
            t0 = calls[0].started if calls else 0.0
            lines = [
                f"{c.started - t0:8.3f} {c.finished - c.started:6.3f} {c.method} "
                f"{c.chat_id} {(c.text or '')[:100]!r}"
                for c in calls
            ]
            (ROOT / f"e2e-{request.node.name[:40]}.calls").write_text("\n".join(lines), "utf-8")


@pytest.fixture
def bot(
    tmp_path: Path, botapi: BotApiServer, smtp_server: SmtpTestServer, imap_server: ImapTestServer
) -> Iterator[BotProcess]:
    """The bot process (not started: each test starts it, at the clock it needs)."""
    with running_bot(tmp_path, botapi, smtp_server, imap_server) as process:
        yield process


@pytest.fixture
def user(botapi: BotApiServer) -> User:
    return User(botapi)


@pytest.fixture
def staff(botapi: BotApiServer) -> Staff:
    return Staff(botapi)


@pytest.fixture
def lkpp(smtp_server: SmtpTestServer, imap_server: ImapTestServer) -> Lkpp:
    return Lkpp(smtp_server, imap_server)
