"""The real bot Application polling the local Bot API server, for staff-side tests.

Tests go through python-telegram-bot's real HTTP stack: updates are pushed into
:class:`~tests.support.botapi.BotApiServer`, the Application fetches them with ``getUpdates``,
and the tests assert on the calls the server recorded.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field, fields
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from telegram import Bot
from telegram.ext import Application
from telegram.request import BaseRequest, RequestData

from bot.app import build_application
from bot.domain.priority import PriorityTable
from bot.domain.sop import State
from bot.domain.ticket import Contact, Ticket, TicketType, UserRole
from bot.services import SERVICES_KEY, Services
from bot.text import Texts
from bot.workdays import WorkingCalendar
from tests.support.botapi import ApiCall, BotApiServer, make_user
from tests.support.clock import WIB, FakeClock
from tests.support.settings import ADMIN_ID, STAFF_CHAT_ID, TOKEN, make_settings

__all__ = [
    "LiveBot",
    "RecordingRequest",
    "StaffBot",
    "bot_api",
    "bot_api_fixture",
    "live_bot",
    "live_bot_fixture",
    "pure_services",
    "recording_bot",
    "running_bot",
    "sample_ticket",
    "staff_bot",
    "staff_bot_fixture",
]

STAFF_USER = make_user(9101, "Sari", "sari_lpse")
OTHER_STAFF = make_user(9102, "Joko", "joko_lpse")
ADMIN_USER = make_user(ADMIN_ID, "Kepala", "kepala_lpse")
OUTSIDER = make_user(5550001, "Orang Luar")
OTHER_GROUP = -1009999999999


AT = datetime(2026, 11, 24, 9, 0, tzinfo=WIB)


def pure_services(tmp_path: Path, **overrides: Any) -> Any:
    """What the staff handlers read from services, without a database (for unit tests)."""
    settings = make_settings(tmp_path / "data", **overrides)
    return SimpleNamespace(
        settings=settings,
        texts=Texts(settings.tz),
        priorities=PriorityTable.load(),
        calendar=WorkingCalendar(settings.tz),
        clock=lambda: AT,
        **{part.name: None for part in fields(Services) if part.default is None},
        db=None,
        workflow=None,
    )


def sample_ticket(**overrides: Any) -> Ticket:
    values: dict[str, Any] = {
        "id": 7,
        "number": "BTG-2026-00042",
        "state": State.NEW,
        "type": TicketType.PROBLEM,
        "role": UserRole.VENDOR,
        "application": "SPSE 4.5",
        "title": "Gagal unggah dokumen penawaran",
        "description": "Saat unggah dokumen penawaran muncul pesan error 500.",
        "contact": Contact("Budi Santoso", "budi@contoh.co.id", "081234567890"),
        "priority": "menengah",
        "user_chat_id": 777001,
        "created_at": AT,
        "updated_at": AT,
        "package_code": "12345678",
    }
    values.update(overrides)
    return Ticket(**values)


@dataclass
class RecordingRequest(BaseRequest):
    """Answers every Bot API call with a plausible result and records it, as PTB's suite does."""

    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    @property
    def read_timeout(self) -> float | None:
        return 1.0

    async def do_request(
        self, url: str, method: str, request_data: RequestData | None = None, **_: Any
    ) -> tuple[int, bytes]:
        name = url.rsplit("/", 1)[-1]
        params = request_data.parameters if request_data is not None else {}
        self.calls.append((name, params))
        result: Any = True
        if name == "getMe":
            result = {"id": 123456, "is_bot": True, "first_name": "Bot", "username": "b_bot"}
        elif name.startswith("send"):
            chat = {"id": int(params.get("chat_id", 0)), "type": "supergroup", "title": "x"}
            result = {"message_id": len(self.calls), "date": 0, "chat": chat, "text": "ok"}
        return 200, json.dumps({"ok": True, "result": result}).encode()


def recording_bot() -> tuple[Bot, RecordingRequest]:
    request = RecordingRequest()
    return Bot(TOKEN, request=request, get_updates_request=RecordingRequest()), request


@dataclass
class StaffBot:
    """A running bot plus what tests need to drive it."""

    api: BotApiServer
    app: Application[Any, Any, Any, Any, Any, Any]
    clock: FakeClock

    @property
    def services(self) -> Services:
        return self.app.bot_data[SERVICES_KEY]

    @property
    def staff_chat(self) -> int:
        return STAFF_CHAT_ID

    def command(self, text: str, user: dict[str, Any] = STAFF_USER, **kwargs: Any) -> None:
        """Type ``text`` in the staff group."""
        self.api.group_message(STAFF_CHAT_ID, user, text, **kwargs)

    async def staff_message(self, contains: str, within: float = 5.0) -> ApiCall:
        """The next message the bot sent to the staff group containing ``contains``."""
        return await self.api.wait_for(
            lambda c: c.method == "sendMessage" and contains in (c.text or ""),
            chat_id=STAFF_CHAT_ID,
            timeout=within,
        )


@asynccontextmanager
async def running_bot(
    api: BotApiServer, data_dir: Path, clock: FakeClock, **overrides: Any
) -> AsyncIterator[Application[Any, Any, Any, Any, Any, Any]]:
    """Build the real Application against ``api``, poll, and shut everything down after."""
    settings = make_settings(
        data_dir,
        telegram_bot_token=api.token,
        telegram_base_url=api.base_url,
        telegram_base_file_url=api.base_file_url,
        **overrides,
    )
    app = build_application(settings, clock)
    await app.initialize()
    assert app.post_init is not None
    await app.post_init(app)
    await app.start()
    assert app.updater is not None
    # As Application.run_polling does: getUpdates failures go to the error handlers.
    await app.updater.start_polling(
        poll_interval=0.0,
        timeout=1,
        error_callback=lambda exc: app.create_task(app.process_error(update=None, error=exc)),
    )
    try:
        yield app
    finally:
        await app.updater.stop()
        await app.stop()
        if (
            app.post_stop is not None
        ):  # as run_polling does: the outbox stops while the bot can send
            await app.post_stop(app)
        await app.shutdown()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)


LiveBot = Callable[..., AbstractAsyncContextManager[Services]]
"""``live_bot(clock=None, **settings)``: the running bot's services, as an async context."""


@pytest.fixture(name="live_bot")
def live_bot_fixture(bot_api: BotApiServer, tmp_path: Path) -> LiveBot:
    """The real bot polling this test's Bot API server, its data in ``tmp_path / "data"``:
    ``async with live_bot(telegram_group_per_minute=2) as services``. Entering it again in
    the same test restarts the bot on the same data."""

    @asynccontextmanager
    async def start(clock: FakeClock | None = None, **overrides: Any) -> AsyncIterator[Services]:
        async with running_bot(
            bot_api, tmp_path / "data", clock or FakeClock(), **overrides
        ) as app:
            yield app.bot_data[SERVICES_KEY]

    return start


@pytest.fixture(name="bot_api")
def bot_api_fixture() -> Iterator[BotApiServer]:
    """A fresh Bot API server with the staff group registered."""
    with BotApiServer(TOKEN) as api:
        api.add_group(STAFF_CHAT_ID, "Staf LPSE Batang")
        api.add_group(OTHER_GROUP, "Grup lain")
        yield api


@pytest.fixture(name="staff_bot")
async def staff_bot_fixture(bot_api: BotApiServer, tmp_path: Path) -> AsyncIterator[StaffBot]:
    clock = FakeClock()
    async with running_bot(bot_api, tmp_path / "data", clock) as app:
        yield StaffBot(bot_api, app, clock)


# Import these names to get the fixtures; the ``*_fixture`` names keep test signatures free of
# redefinition warnings.
bot_api = bot_api_fixture
live_bot = live_bot_fixture
staff_bot = staff_bot_fixture
