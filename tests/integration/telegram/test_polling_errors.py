"""Telegram failing under the polling bot: one line each, no traceback, a run summarised."""

from __future__ import annotations

import logging

from tests.support.telegram_app_fixtures import (  # noqa: F401 - fixtures
    StaffBot,
    bot_api_fixture,
    staff_bot_fixture,
)


async def test_bad_gateways_while_polling_are_one_warning_without_traceback(
    staff_bot: StaffBot, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    staff_bot.api.fail_next("getUpdates", 502, "Bad Gateway", count=3)
    mark = staff_bot.api.mark()
    for _ in range(3):  # PTB retries after 1 s, 1.5 s, 2.25 s
        await staff_bot.api.wait_for("getUpdates", ok=False, since=mark, timeout=15)
    await staff_bot.api.wait_for("getUpdates", since=mark, timeout=15)
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
    mark = staff_bot.api.mark()
    await staff_bot.api.wait_for("getUpdates", ok=False, since=mark, timeout=15)
    await staff_bot.api.wait_for("getUpdates", since=mark, timeout=15)
    (record,) = [
        r
        for r in caplog.records
        if r.levelno >= logging.WARNING and not r.name.startswith("bot.mail")
    ]
    assert record.exc_info is None
    assert "409 Conflict" in record.getMessage()
    assert "another process uses this bot's token" in record.getMessage()
