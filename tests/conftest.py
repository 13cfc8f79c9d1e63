"""Shared fixtures: a fake clock, settings on a temp data dir, opened services."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import Settings
from bot.services import Services, open_services
from tests.support.clock import FakeClock
from tests.support.settings import make_settings

pytest_plugins = [
    "tests.support.botapi_fixtures",
    "tests.support.mail_fixtures",
    "tests.support.hang_watchdog",
]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "data")


@pytest.fixture
async def services(settings: Settings, clock: FakeClock) -> AsyncIterator[Services]:
    """Services on a fresh, migrated database in a temp dir."""
    opened = await open_services(settings, clock)
    try:
        yield opened
    finally:
        await opened.db.close()
