"""Pytest fixtures for the fake Telegram Bot API (:mod:`tests.support.botapi`).

Registered for the whole suite through ``pytest_plugins`` in ``tests/conftest.py``. The fixture
is synchronous on purpose: the server lives in its own thread and event loop, so the same
fixture serves async tests (PTB in the test's loop) and end-to-end tests (bot subprocess).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.botapi import BotApiServer

__all__ = ["botapi"]


@pytest.fixture
def botapi() -> Iterator[BotApiServer]:
    """A started fake Bot API server (token ``123456:TEST``), stopped after the test.

    Function-scoped so that no update, message or simulated failure leaks between tests.

    Yields:
        The running :class:`~tests.support.botapi.BotApiServer`; point PTB at it with
        ``base_url=botapi.base_url`` and ``base_file_url=botapi.base_file_url``.
    """
    server = BotApiServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
