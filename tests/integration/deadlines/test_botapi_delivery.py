"""Deadline notices through python-telegram-bot's real HTTP stack and the local Bot API server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from bot.callbacks import TicketVerb, ticket_action
from bot.deadlines.component import install
from bot.deadlines.sweep import sweep_job
from bot.domain.sop import Action
from bot.notify import Notifier
from bot.services import SERVICES_KEY, Services, open_services
from tests.support.botapi import BotApiServer
from tests.support.clock import FakeClock
from tests.support.deadlines_fixtures import (
    TO_CANNOT_HANDLE,
    TO_DELIVERED,
    USER_CHAT,
    report,
    walk,
)
from tests.support.settings import ADMIN_ID, STAFF_CHAT_ID, make_settings


@pytest.fixture
async def live(tmp_path: Path, clock: FakeClock, botapi: BotApiServer) -> AsyncIterator[Services]:
    settings = make_settings(tmp_path / "data")  # the bot below carries the server's token
    services = await open_services(settings, clock)
    async with botapi.make_bot() as bot:
        install(services, Notifier(bot, settings))
        try:
            yield services
        finally:
            await services.db.close()


async def sweep(services: Services) -> None:
    await sweep_job(SimpleNamespace(bot_data={SERVICES_KEY: services}))


async def test_nudge_and_breach_reach_the_group_and_admins_as_valid_html(
    live: Services, clock: FakeClock, botapi: BotApiServer
) -> None:
    number = await report(live, title="Error <500> & gagal unggah")
    await walk(live, number, *TO_CANNOT_HANDLE)
    clock.advance(minutes=3)
    await sweep(live)
    [nudge] = botapi.sent(STAFF_CHAT_ID)
    assert number in (nudge.text or "")
    # User text arrives escaped (the server rejects a bare "&" in HTML, as Telegram does).
    assert "Error &lt;500&gt; &amp; gagal unggah" in (nudge.text or "")
    assert [b["callback_data"] for b in nudge.buttons] == [
        ticket_action(TicketVerb.SEND_ESCALATION, number)
    ]
    clock.advance(minutes=2)
    await sweep(live)
    assert len(botapi.sent(STAFF_CHAT_ID)) == 2
    [admin] = botapi.sent(ADMIN_ID)
    assert "Batas waktu terlewat" in (admin.text or "")


async def test_reminder_to_a_user_who_blocked_the_bot_is_recorded(
    live: Services, clock: FakeClock, botapi: BotApiServer
) -> None:
    botapi.block_chat(USER_CHAT)
    number = await report(live)
    await walk(live, number, *TO_DELIVERED, Action.LKPP_REQUEST_DATA)
    await walk(live, number, Action.PASS_REQUEST_TO_USER)
    clock.advance(days=1)
    await sweep(live)
    assert botapi.sent(USER_CHAT) == []
    assert await live.db.fetchval("SELECT error FROM deadline_notices") == "diblokir"
