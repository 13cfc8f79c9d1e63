"""Telegram failing under the polling bot: one line each, no traceback, a run summarised."""

from __future__ import annotations

import asyncio
import logging

from tests.support.telegram_app_fixtures import (  # noqa: F401 - fixtures
    StaffBot,
    bot_api_fixture,
    staff_bot_fixture,
)


async def _wait_for(predicate) -> None:
    async with asyncio.timeout(15):
        while not predicate():
            await asyncio.sleep(0.05)


async def test_bad_gateways_while_polling_are_one_warning_without_traceback(
    staff_bot: StaffBot, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    staff_bot.api.fail_next("getUpdates", 502, "Bad Gateway", count=3)
    mark = staff_bot.api.mark()
    await _wait_for(
        lambda: (
            len([c for c in staff_bot.api.calls if c.seq > mark and c.method == "getUpdates"]) >= 4
        )
    )
    ours = [
        r
        for r in caplog.records
        if r.levelno >= logging.WARNING and not r.name.startswith("bot.mail")
    ]
    assert [r.getMessage() for r in ours] == [
        "Telegram unreachable while polling for updates (NetworkError: Bad Gateway); retrying"
    ]
    assert all(r.exc_info is None for r in ours)
    staff_bot.command("/bantuan")  # and the bot works again
    await staff_bot.staff_message("/antrian")


async def test_a_conflict_is_explained_in_one_line(staff_bot: StaffBot, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    staff_bot.api.fail_next(
        "getUpdates",
        409,
        "Conflict: terminated by other getUpdates request; make sure that only one bot "
        "instance is running",
    )
    await _wait_for(lambda: any(r.name == "bot.handlers.errors" for r in caplog.records))
    (record,) = [
        r
        for r in caplog.records
        if r.levelno >= logging.WARNING and not r.name.startswith("bot.mail")
    ]
    assert record.exc_info is None
    assert "409 Conflict" in record.getMessage()
    assert "another process uses this bot's token" in record.getMessage()
