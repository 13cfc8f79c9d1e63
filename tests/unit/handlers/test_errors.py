"""The one error handler: domain errors explained, anything else apologised for and logged."""

from __future__ import annotations

import logging
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from telegram import Bot, Update
from telegram.error import NetworkError, TimedOut

from bot.domain.errors import TicketNotFound
from bot.handlers.errors import RepeatedErrors, log_telegram_failure, on_error
from bot.services import SERVICES_KEY
from tests.support.telegram_app_fixtures import pure_services, recording_bot


def context(tmp_path: Path, bot: Bot, error: Exception) -> Any:
    services = pure_services(tmp_path)
    app = SimpleNamespace(bot_data={SERVICES_KEY: services})
    return SimpleNamespace(application=app, bot=bot, error=error)


def update(bot: Bot, callback: bool = False) -> Update:
    message = {
        "message_id": 5,
        "date": 0,
        "chat": {"id": -100123, "type": "supergroup", "title": "Staf"},
        "from": {"id": 9, "is_bot": False, "first_name": "Sari"},
        "text": "/ambil BTG-2026-00009",
    }
    if callback:
        query = {"id": "q1", "from": message["from"], "chat_instance": "c", "data": "t:x"}
        return Update.de_json(
            {"update_id": 1, "callback_query": {**query, "message": message}}, bot
        )
    return Update.de_json({"update_id": 1, "message": message}, bot)


async def test_a_domain_error_is_explained_in_indonesian(tmp_path: Path):
    bot, request = recording_bot()
    async with bot:
        await on_error(update(bot), context(tmp_path, bot, TicketNotFound("BTG-2026-00009")))
    ((_, params),) = [c for c in request.calls if c[0] == "sendMessage"]
    assert params["text"] == "Tiket BTG-2026-00009 tidak ditemukan."
    assert params["chat_id"] == -100123


async def test_an_unexpected_error_is_logged_with_traceback_and_apologised_for(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    bot, request = recording_bot()
    try:
        raise RuntimeError("boom")
    except RuntimeError as exc:
        error = exc
    with caplog.at_level(logging.ERROR, logger="bot.handlers.errors"):
        async with bot:
            await on_error(update(bot, callback=True), context(tmp_path, bot, error))
    assert caplog.records[0].exc_info is not None
    ((_, params),) = [c for c in request.calls if c[0] == "answerCallbackQuery"]
    assert params["show_alert"] is True
    assert params["text"].startswith("Maaf, terjadi kesalahan")


async def test_an_update_that_is_not_a_telegram_update_is_only_logged(tmp_path: Path):
    bot, request = recording_bot()
    async with bot:
        await on_error(None, context(tmp_path, bot, RuntimeError("job failed")))
    assert [c for c in request.calls if c[0] != "getMe"] == []


def test_a_run_of_the_same_failure_is_one_line_then_a_summary(caplog):
    now = [0.0]
    repeats = RepeatedErrors(window=300, clock=lambda: now[0])
    caplog.set_level(logging.WARNING, logger="bot.handlers.errors")
    for second in range(0, 300, 10):  # every 10 s for 5 minutes
        now[0] = second
        log_telegram_failure(repeats, NetworkError("Bad Gateway"), polling=True)
    assert [r.getMessage() for r in caplog.records] == [
        "Telegram unreachable while polling for updates (NetworkError: Bad Gateway); retrying"
    ]
    now[0] = 300
    log_telegram_failure(repeats, NetworkError("Bad Gateway"), polling=True)
    assert caplog.records[-1].getMessage().endswith("(29 more since the last line, 300 s ago)")
    assert all(r.levelno == logging.WARNING and r.exc_info is None for r in caplog.records)


async def test_a_network_failure_while_answering_is_one_warning_line(tmp_path: Path, caplog):
    bot, _ = recording_bot()
    caplog.set_level(logging.INFO, logger="bot.handlers.errors")
    async with bot:
        await on_error(update(bot), context(tmp_path, bot, TimedOut()))
    (record,) = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert record.levelno == logging.WARNING and record.exc_info is None
    assert "answering an update" in record.getMessage()
