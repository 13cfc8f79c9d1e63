"""The LKPP draft after a withdrawal is queued in the step's transaction, never after it."""

from __future__ import annotations

from typing import Any

import pytest

from bot.domain.sop import Action, Actor
from bot.workflow import Applied, By
from tests.support.telegram_app_fixtures import (  # noqa: F401 - fixtures
    StaffBot,
    bot_api_fixture,
    staff_bot_fixture,
)
from tests.support.tickets import escalated

DRAFT = "Draf email ke Helpdesk LKPP"
USER = By(777001, "Budi Santoso")


class CrashInStep(Exception):
    """Stands for the process dying inside the withdrawal's transaction."""


async def _drafts(bot: StaffBot) -> int:
    """Queued drafts, as the task sees them (inside its transaction: its own writes too)."""
    sql = "SELECT COUNT(*) FROM telegram_outbox WHERE json_extract(payload, '$.html') LIKE ?"
    return int(await bot.services.db.fetchval(sql, (f"%{DRAFT}%",)))


async def test_the_draft_is_queued_inside_the_withdrawal_and_rolls_back_with_it(
    staff_bot: StaffBot,
) -> None:
    services = staff_bot.services
    number = await escalated(services)
    seen: list[int] = []
    crash = True

    async def after_everyone(applied: Applied) -> None:
        if applied.step.action is Action.USER_CANCELS:
            seen.append(await _drafts(staff_bot))  # visible inside the transaction
            if crash:
                raise CrashInStep

    services.workflow.add_listener(after_everyone)
    details: dict[str, Any] = {"reason": "Sudah beres sendiri"}
    with pytest.raises(CrashInStep):
        await services.workflow.apply(number, Action.USER_CANCELS, Actor.USER, USER, details)
    assert seen == [1]  # queued by the step's own listener, before the commit
    assert await _drafts(staff_bot) == 0  # and rolled back with the step

    crash = False
    await services.workflow.apply(number, Action.USER_CANCELS, Actor.USER, USER, details)
    assert await _drafts(staff_bot) == 1  # committed with the withdrawal
    draft = await staff_bot.staff_message(DRAFT)
    assert "Sudah beres sendiri" in (draft.text or "")
