"""Staff actions need a person: an anonymous admin or a channel is refused, nothing recorded."""

from __future__ import annotations

import pytest

from bot.domain.sop import Action, State
from tests.support.botapi import ANONYMOUS_ADMIN, make_user
from tests.support.telegram_app_fixtures import (  # noqa: F401 - fixtures
    StaffBot,
    bot_api_fixture,
    staff_bot_fixture,
)
from tests.support.tickets import reported

STAFF_CHAT = -1001234567890
CHANNEL = -1007000000001
CHANNEL_BOT = make_user(136817688, "Channel", "Channel_Bot")


async def actions(bot: StaffBot, number: str) -> list[Action]:
    ticket = await bot.services.workflow.get(number)
    assert ticket.id is not None
    return [e.action for e in await bot.services.workflow.store.events(ticket.id)]


@pytest.mark.parametrize(
    ("sender", "sender_chat"), [(ANONYMOUS_ADMIN, STAFF_CHAT), (CHANNEL_BOT, CHANNEL)]
)
async def test_an_anonymous_ambil_is_refused_and_not_recorded(
    staff_bot: StaffBot, sender: dict, sender_chat: int
):
    number = (await reported(staff_bot.services)).ticket.number
    await staff_bot.staff_message("Status:")
    staff_bot.api.add_group(CHANNEL, "Kanal LPSE")
    staff_bot.api.group_message(STAFF_CHAT, sender, f"/ambil {number}", sender_chat=sender_chat)
    refusal = await staff_bot.staff_message("Tetap anonim")
    assert "Tidak ada yang dicatat" in (refusal.text or "")
    assert (await staff_bot.services.workflow.get(number)).state is State.NEW
    assert await actions(staff_bot, number) == [Action.REPORT]


async def test_an_anonymous_reply_to_a_card_does_not_reach_the_user(staff_bot: StaffBot):
    number = (await reported(staff_bot.services)).ticket.number
    card = await staff_bot.staff_message("Status:")
    assert card.message_id is not None
    staff_bot.api.group_message(
        STAFF_CHAT, ANONYMOUS_ADMIN, "Silakan coba lagi", reply_to=card.message_id,
        sender_chat=STAFF_CHAT,
    )  # fmt: skip
    await staff_bot.staff_message("Tetap anonim")
    assert await actions(staff_bot, number) == [Action.REPORT]
    assert not [c for c in staff_bot.api.sent(777001) if "Silakan coba lagi" in (c.text or "")]
