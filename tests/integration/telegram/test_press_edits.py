"""Edits after a press in the staff group go through the outbox and count in its budget."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import timedelta
from typing import Any

from bot.callbacks import TicketVerb, ticket_action
from bot.clock import utc_now
from bot.outbox.component import sender_of
from bot.storage.telegram_outbox import TelegramOutboxStore
from tests.support.botapi import ApiCall, BotApiServer
from tests.support.settings import STAFF_CHAT_ID
from tests.support.telegram_app_fixtures import (  # noqa: F401
    STAFF_USER,
    LiveBot,
    bot_api,
    live_bot,
)
from tests.support.tickets import reported

DRAFT = "Draf email eskalasi"


async def _draft(api: BotApiServer, services: Any) -> tuple[str, int]:
    """A ticket with its escalation draft shown in the group: (number, draft message id)."""
    number = (await reported(services)).ticket.number
    card = await api.wait_for(
        lambda c: c.method == "sendMessage" and "Status:" in (c.text or ""), chat_id=STAFF_CHAT_ID
    )
    assert card.message_id is not None
    api.press_button(STAFF_USER, STAFF_CHAT_ID, card.message_id, "🙋 Ambil")
    await api.wait_for("answerCallbackQuery")
    api.press_button(
        STAFF_USER, STAFF_CHAT_ID, card.message_id, "⛔ Tidak dapat ditangani → Eskalasi"
    )
    draft = await api.wait_for(
        lambda c: c.method == "sendMessage" and DRAFT in (c.text or ""),
        chat_id=STAFF_CHAT_ID,
        timeout=10,
    )
    await api.wait_for("answerCallbackQuery")
    assert draft.message_id is not None
    return number, draft.message_id


def _edits(api: BotApiServer, message_id: int) -> list[ApiCall]:
    return [
        c
        for c in api.calls
        if c.method.startswith("editMessage") and c.chat_id == STAFF_CHAT_ID
        and c.message_id == message_id
    ]  # fmt: skip


async def _rows(services: Any, kind: str) -> list[tuple[str, str]]:
    rows = await services.db.fetchall(
        "SELECT state, payload FROM telegram_outbox WHERE chat_id = ? AND kind = ? ORDER BY id",
        (STAFF_CHAT_ID, kind),
    )
    return [(r[0], r[1]) for r in rows]


async def test_a_press_edit_goes_out_at_once_through_the_outbox_and_counts(
    bot_api: BotApiServer,  # noqa: F811
    live_bot: LiveBot,  # noqa: F811
) -> None:
    async with live_bot() as services:
        _, draft = await _draft(bot_api, services)
        await sender_of(services).drain(10)
        pressed = time.monotonic()
        bot_api.press_button(STAFF_USER, STAFF_CHAT_ID, draft, "✖️ Batal eskalasi")
        answer = await bot_api.wait_for("answerCallbackQuery")
        assert "dibatalkan" in str(answer.params.get("text"))
        edit = await bot_api.wait_for(
            lambda c: c.method == "editMessageText" and c.message_id == draft,
            chat_id=STAFF_CHAT_ID,
        )
        assert time.monotonic() - pressed < 2  # the budget allows it: sent at once
        assert "dibatalkan" in (edit.text or "")
        await sender_of(services).drain(10)
        assert [state for state, _ in await _rows(services, "ubah")] == ["sent"]
        # The edit is one of the group's messages of the last minute (the budget's window).
        store = TelegramOutboxStore(services.db)
        window = await store.sent_since([STAFF_CHAT_ID], utc_now() - timedelta(seconds=60))
        shown = len([c for c in bot_api.calls if c.chat_id == STAFF_CHAT_ID and c.ok
                     and (c.method == "sendMessage" or c.method.startswith("edit"))])  # fmt: skip
        assert len(window[STAFF_CHAT_ID]) >= shown


async def test_with_the_budget_spent_the_press_is_answered_and_its_edits_collapse(
    bot_api: BotApiServer,  # noqa: F811
    live_bot: LiveBot,  # noqa: F811
) -> None:
    async with live_bot(telegram_group_per_minute=8) as services:
        number, draft = await _draft(bot_api, services)
        await sender_of(services).drain(10)
        # Direct messages to the group (a command's answer) fill what staff answers may use.
        for _ in range(4):
            await sender_of(services).bot.send_message(STAFF_CHAT_ID, "jawaban perintah")
        started = len(bot_api.calls)
        pressed = time.monotonic()
        bot_api.press_button(STAFF_USER, STAFF_CHAT_ID, draft, "🎚 Ubah prioritas")
        await bot_api.wait_for("answerCallbackQuery", since=started)
        assert time.monotonic() - pressed < 1  # answered at once, budget or not
        # The picker's edit waits too: press the level its button carries.
        level = ticket_action(TicketVerb.PRIORITY, number, "tinggi")
        bot_api.callback(STAFF_USER, STAFF_CHAT_ID, draft, level, check=False)
        toast = await bot_api.wait_for("answerCallbackQuery", since=started)
        assert "diubah menjadi Tinggi" in str(toast.params.get("text"))
        await asyncio.sleep(1.0)
        assert not _edits(bot_api, draft)  # the group's budget holds: the edit waits
        rows = await _rows(services, "ubah")
        assert len(rows) == 1  # the picker and the redrawn draft collapsed into the newest
        state, payload = rows[0]
        assert state == "queued"
        edit = json.loads(payload)  # the redrawn draft, with its buttons back
        assert "Tinggi" in edit["html"] and DRAFT in edit["html"]
        assert next(b[0] for row in edit["buttons"] for b in row) == "📤 Kirim eskalasi"
        backlog = await TelegramOutboxStore(services.db).backlog()
        assert backlog.waiting >= 1  # waiting in the database, not lost
