"""A nudge is queued in the Telegram outbox in the transaction that marks its notice sent."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from bot.deadlines.sweep import sweep_job, sweeper_of
from bot.outbox.component import sender_of
from bot.services import SERVICES_KEY
from tests.support.botapi import BotApiServer
from tests.support.clock import FakeClock
from tests.support.deadlines_fixtures import TO_CANNOT_HANDLE, report, walk
from tests.support.settings import STAFF_CHAT_ID
from tests.support.telegram_app_fixtures import bot_api, running_bot  # noqa: F401


class CrashBeforeCommit(Exception):
    """Stands for the process dying after the queueing, before the transaction commits."""


async def _nudges(api: BotApiServer, number: str) -> list[Any]:
    return [
        c for c in api.sent(STAFF_CHAT_ID) if number in (c.text or "") and "⏰" in (c.text or "")
    ]


async def test_a_crash_before_the_mark_commits_queues_nothing_and_the_nudge_goes_once(
    bot_api: BotApiServer,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = FakeClock()
    async with running_bot(bot_api, tmp_path / "data", clock) as app:
        services = app.bot_data[SERVICES_KEY]
        number = await report(services)
        await walk(services, number, *TO_CANNOT_HANDLE)
        await sender_of(services).drain(10)
        before = len(bot_api.sent(STAFF_CHAT_ID))
        last_row = await services.db.fetchval("SELECT MAX(id) FROM telegram_outbox")
        clock.advance(minutes=3)  # the escalation nudge is due
        sweeper = sweeper_of(services)
        store = sweeper.store
        mark = store.mark_sent_in

        async def crash(*args: Any, **kwargs: Any) -> None:
            await mark(*args, **kwargs)  # the mark is written, the commit never comes
            raise CrashBeforeCommit

        monkeypatch.setattr(store, "mark_sent_in", crash)
        job = SimpleNamespace(bot_data=app.bot_data)
        with pytest.raises(CrashBeforeCommit):
            await sweep_job(job)
        pending = await services.db.fetchval(
            "SELECT COUNT(*) FROM deadline_notices WHERE sent_at IS NULL"
        )
        assert pending >= 1  # the notice is still owed
        queued = await services.db.fetchval(
            "SELECT COUNT(*) FROM telegram_outbox WHERE id > ?", (last_row,)
        )
        assert queued == 0  # the queued nudge rolled back with the mark
        await sender_of(services).drain(10)
        assert len(bot_api.sent(STAFF_CHAT_ID)) == before  # nothing went out for it

        monkeypatch.setattr(store, "mark_sent_in", mark)
        await sweep_job(job)  # the next sweep delivers the nudge
        await sender_of(services).drain(10)
        await sweep_job(job)  # and a later one finds nothing owed
        await sender_of(services).drain(10)
        nudges = bot_api.sent(STAFF_CHAT_ID)[before:]
        assert len(nudges) == 1, [c.text for c in nudges]
        assert number in (nudges[0].text or "")
        assert not await services.db.fetchval(
            "SELECT COUNT(*) FROM deadline_notices WHERE sent_at IS NULL"
        )
