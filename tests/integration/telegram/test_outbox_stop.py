"""Stopping the outbox as a wake-up comes ends its task and leaves no transaction open.

A cancellation that hit the sender while its ``BEGIN IMMEDIATE`` waited for aiosqlite's worker
left the connection inside a transaction: the next start failed ("cannot start a transaction
within a transaction") and writes without the lock joined a transaction nobody committed.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.outbox.component import sender_of
from tests.support.botapi import BotApiServer
from tests.support.clock import FakeClock
from tests.support.telegram_app_fixtures import bot_api, running_bot  # noqa: F401


async def test_a_stop_right_after_a_wake_up_ends_the_sender(
    bot_api: BotApiServer,  # noqa: F811
    tmp_path: Path,
) -> None:
    async with running_bot(bot_api, tmp_path / "data", FakeClock()) as app:
        sender = sender_of(app.bot_data["services"])
        await sender.drain(10)
        for turns in range(6):  # however the loop orders the wake-up and the cancellation
            await asyncio.sleep(0.05)  # the task sleeps on its wake-up event
            task = sender._task
            assert task is not None
            sender.queue.wake()  # a send in flight just finished ...
            for _ in range(turns):
                await asyncio.sleep(0)
            await asyncio.wait_for(sender.stop(), 5)  # ... as the bot stops
            assert task.done()
            await sender.start()  # a transaction of its own: none was left open
