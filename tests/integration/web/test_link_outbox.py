"""The /dasbor link goes through the Telegram outbox: protected, then the group is told."""

from __future__ import annotations

from tests.support.dashboard import STAFF_USER, DashboardBot, dashboard_bot
from tests.support.settings import STAFF_CHAT_ID
from tests.support.telegram_app_fixtures import bot_api

__all__ = ["bot_api", "dashboard_bot"]


async def test_the_link_is_queued_protected_and_the_group_hears_after_it_went_out(
    dashboard: DashboardBot,
) -> None:
    mark = dashboard.api.mark()
    dashboard.api.group_message(STAFF_CHAT_ID, STAFF_USER, "/dasbor")
    link = await dashboard.api.wait_for(
        lambda c: c.method == "sendMessage" and "/masuk?t=" in (c.text or ""),
        chat_id=STAFF_USER["id"], since=mark,
    )  # fmt: skip
    assert link.params.get("protect_content") in (True, "true", "True")
    told = await dashboard.api.wait_for(
        lambda c: c.method == "sendMessage" and "chat pribadi" in (c.text or ""),
        chat_id=STAFF_CHAT_ID, since=mark,
    )  # fmt: skip
    assert told.seq > link.seq  # only once the link was delivered
    rows = await dashboard.services.db.fetchall(
        "SELECT state FROM telegram_outbox WHERE chat_id = ? AND state = 'sent'",
        (STAFF_USER["id"],),
    )
    assert rows  # delivered by the outbox, not sent beside it


async def test_someone_who_never_started_the_bot_is_told_in_the_group(
    dashboard: DashboardBot,
) -> None:
    dashboard.api.block_chat(STAFF_USER["id"])
    mark = dashboard.api.mark()
    command = dashboard.api.group_message(STAFF_CHAT_ID, STAFF_USER, "/dasbor")
    hint = await dashboard.api.wait_for(
        lambda c: c.method == "sendMessage" and "Mulai" in (c.text or ""),
        chat_id=STAFF_CHAT_ID, since=mark,
    )  # fmt: skip
    assert hint.message_id is not None
    shown = dashboard.api.message(STAFF_CHAT_ID, hint.message_id)
    assert shown is not None  # under the command it answers
    assert shown["reply_to_message"]["message_id"] == command["message"]["message_id"]
    assert not [
        c for c in dashboard.api.calls[mark:]
        if c.chat_id == STAFF_CHAT_ID and "chat pribadi" in (c.text or "")
    ]  # fmt: skip
