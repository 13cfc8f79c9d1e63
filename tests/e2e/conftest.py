"""Fixtures for the end-to-end tier: the local servers and the bot process between them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.botapi import BotApiServer
from tests.support.mailservers import ImapTestServer, SmtpTestServer

from .actors import Lkpp, Staff, User
from .harness import STAFF_CHAT_ID, TOKEN, BotProcess, running_bot


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture
def botapi() -> Iterator[BotApiServer]:
    """The Bot API server the bot process talks to, with the LPSE's staff group."""
    server = BotApiServer(token=TOKEN, bot_username="lpse_batang_bot")
    server.add_group(STAFF_CHAT_ID, "Staf LPSE Kabupaten Batang")
    server.start()
    try:
        yield server
    finally:
        server.stop()


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
