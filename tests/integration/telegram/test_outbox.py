"""The Telegram outbox through the real Application: lanes, pacing, coalescing, incidents."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from bot.domain.sop import Action, Actor
from bot.outbox.component import sender_of
from bot.outbox.queue import queue_of
from bot.storage.telegram_outbox import TelegramOutboxStore
from tests.support.botapi import BotApiServer
from tests.support.settings import ADMIN_ID, STAFF_CHAT_ID
from tests.support.telegram_app_fixtures import (  # noqa: F401
    STAFF_USER,
    LiveBot,
    bot_api,
    live_bot,
)
from tests.support.tickets import STAFF, reported

NEW_GROUP = -1007777777777


def _number_in(text: str | None, number: str) -> bool:
    return number in (text or "")


async def _message(api: BotApiServer, chat_id: int, contains: str, within: float = 5) -> Any:
    """The first message the bot sent to ``chat_id`` containing ``contains``."""
    return await api.wait_for(
        lambda c: c.method == "sendMessage" and contains in (c.text or ""),
        chat_id=chat_id,
        timeout=within,
    )


async def test_users_are_told_their_ticket_number_while_the_group_waits(
    bot_api: BotApiServer,  # noqa: F811
    live_bot: LiveBot,  # noqa: F811
) -> None:
    async with live_bot(telegram_group_per_minute=2) as services:
        started = time.monotonic()
        numbers = [
            (await reported(services, user_chat_id=800_000 + i)).ticket.number for i in range(6)
        ]
        for i, number in enumerate(numbers):
            call = await _message(bot_api, 800_000 + i, number, 5)
            assert call.ok
        assert time.monotonic() - started < 4  # not one card a minute before each user
        await asyncio.sleep(0.5)
        assert len(bot_api.sent(STAFF_CHAT_ID)) <= 2  # the group's budget holds
        backlog = await TelegramOutboxStore(services.db).backlog()
        assert backlog.waiting >= 5  # the rest waits in the database, not lost


async def test_new_tickets_faster_than_the_budget_are_announced_together(
    bot_api: BotApiServer,  # noqa: F811
    live_bot: LiveBot,  # noqa: F811
) -> None:
    async with live_bot(telegram_group_per_minute=20) as services:
        numbers = [
            (await reported(services, user_chat_id=810_000 + i)).ticket.number for i in range(8)
        ]
        announcement = await _message(bot_api, STAFF_CHAT_ID, "tiket baru", 5)
        listed = [n for n in numbers if n in (announcement.text or "")]
        assert len(listed) >= 2
        labels = [b["text"] for b in announcement.buttons]
        assert all(f"Ambil {n}" in labels for n in listed)
        await asyncio.sleep(1.0)
        assert len(bot_api.sent(STAFF_CHAT_ID)) <= 3  # new cards are spread over the minute
        store = TelegramOutboxStore(services.db)
        assert (await store.backlog()).waiting >= 5  # the cards follow as the budget allows

        # "Ambil" on the announcement takes the ticket; its card is posted at once.
        bot_api.press_button(
            STAFF_USER, STAFF_CHAT_ID, announcement.message_id, f"Ambil {listed[-1]}"
        )
        answer = await bot_api.wait_for("answerCallbackQuery", timeout=5)
        assert "diambil" in str(answer.params.get("text") or "")
        card = await bot_api.wait_for(
            lambda c: c.method == "sendMessage" and (c.text or "").startswith(f"🎫 {listed[-1]}"),
            chat_id=STAFF_CHAT_ID,
            timeout=5,
        )
        assert "Sedang ditangani" in (card.text or "")


async def test_pending_edits_of_one_card_collapse_into_the_newest(
    bot_api: BotApiServer,  # noqa: F811
    live_bot: LiveBot,  # noqa: F811
) -> None:
    async with live_bot(telegram_group_per_minute=2) as services:
        applied = await reported(services)
        number, ticket_id = applied.ticket.number, applied.ticket.id
        await _message(bot_api, STAFF_CHAT_ID, "Status:", 5)
        wf = services.workflow
        await wf.apply(number, Action.TAKE, Actor.STAFF, STAFF)
        await wf.apply(number, Action.SET_PRIORITY, Actor.STAFF, STAFF, {"priority": "tinggi"})
        await wf.apply(number, Action.CANNOT_HANDLE, Actor.STAFF, STAFF)
        queued = await services.db.fetchval(
            "SELECT COUNT(*) FROM telegram_outbox WHERE kind = 'kartu' AND state = 'queued' "
            "AND ticket_id = ?",
            (ticket_id,),
        )
        assert queued == 1


async def test_a_429_pauses_only_its_own_lane(
    bot_api: BotApiServer,  # noqa: F811
    live_bot: LiveBot,  # noqa: F811
) -> None:
    async with live_bot() as services:
        await reported(services)
        await sender_of(services).drain(10)
        bot_api.flood("sendMessage", count=1, retry_after=3)
        await queue_of(services).send_later(STAFF_CHAT_ID, "Pengumuman untuk staf")
        await asyncio.sleep(0.3)  # the group got the 429: its lane is paused
        started = time.monotonic()
        number = (await reported(services, user_chat_id=820_001)).ticket.number
        await _message(bot_api, 820_001, number, 2)
        assert time.monotonic() - started < 1.5  # the user's lane did not wait
        notice = await _message(bot_api, STAFF_CHAT_ID, "Pengumuman", 6)
        assert notice.ok and time.monotonic() - started > 2  # after retry_after


async def test_a_redelivered_update_is_handled_once(
    bot_api: BotApiServer,  # noqa: F811
    live_bot: LiveBot,  # noqa: F811
) -> None:
    async with live_bot() as services:
        await reported(services)
        update = bot_api.group_message(STAFF_CHAT_ID, STAFF_USER, "/antrian")
        await _message(bot_api, STAFF_CHAT_ID, "Antrian", 5)
        bot_api.redeliver(update)
        await asyncio.sleep(1.0)
        await bot_api.wait_idle()
        answers = [c for c in bot_api.sent(STAFF_CHAT_ID) if "Antrian" in (c.text or "")]
        assert len(answers) == 1
        assert await TelegramOutboxStore(services.db).update_handled(update["update_id"])


async def test_group_upgrade_by_service_message_moves_the_staff_chat(
    bot_api: BotApiServer,  # noqa: F811
    live_bot: LiveBot,  # noqa: F811
) -> None:
    async with live_bot() as services:
        bot_api.upgrade_group(STAFF_CHAT_ID, NEW_GROUP, STAFF_USER)
        alert = await _message(bot_api, ADMIN_ID, "supergrup", 5)
        assert str(NEW_GROUP) in (alert.text or "")
        assert services.settings.staff_chat_id == NEW_GROUP
        assert await TelegramOutboxStore(services.db).staff_chat() == NEW_GROUP
        number = (await reported(services)).ticket.number
        card = await _message(bot_api, NEW_GROUP, number, 5)
        assert card.ok
        bot_api.group_message(NEW_GROUP, STAFF_USER, "/antrian")  # commands work there too
        answer = await _message(bot_api, NEW_GROUP, "Antrian", 5)
        assert number in (answer.text or "")
    # A restart keeps the new id although STAFF_CHAT_ID still names the old group.
    async with live_bot() as services:
        assert services.settings.staff_chat_id == NEW_GROUP


async def test_group_upgrade_found_by_chat_migrated_resends_the_card(
    bot_api: BotApiServer,  # noqa: F811
    live_bot: LiveBot,  # noqa: F811
) -> None:
    async with live_bot() as services:
        bot_api.upgrade_group(STAFF_CHAT_ID, NEW_GROUP, STAFF_USER, service_message=False)
        number = (await reported(services)).ticket.number
        card = await _message(bot_api, NEW_GROUP, number, 5)
        assert "Status:" in (card.text or "")
        await _message(bot_api, ADMIN_ID, "supergrup", 5)
        assert services.settings.staff_chat_id == NEW_GROUP


async def test_the_bot_removed_from_the_group_alerts_admins_and_loses_nothing(
    bot_api: BotApiServer,  # noqa: F811
    live_bot: LiveBot,  # noqa: F811
) -> None:
    async with live_bot() as services:
        bot_api.my_chat_member(STAFF_USER, chat_id=STAFF_CHAT_ID, new_status="kicked")
        alert = await _message(bot_api, ADMIN_ID, "dikeluarkan", 5)
        assert str(STAFF_CHAT_ID) in (alert.text or "")
        number = (await reported(services)).ticket.number
        await asyncio.sleep(1.5)  # the card is refused (403) and kept for a retry
        assert (await TelegramOutboxStore(services.db).backlog()).waiting >= 1
        bot_api.my_chat_member(STAFF_USER, chat_id=STAFF_CHAT_ID, new_status="member")
        card = await _message(bot_api, STAFF_CHAT_ID, number, 10)
        assert card.ok
