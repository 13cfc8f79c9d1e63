"""Builds the python-telegram-bot Application with every part of the bot wired in.

:func:`bot.registration.register` adds every handler and job before ``initialize``. Clients
(database, mail, the dashboard) are opened in ``post_init`` and closed in ``post_shutdown``, as
python-telegram-bot recommends; :data:`bot.registration.PARTS` says in which order.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram.constants import ParseMode
from telegram.ext import Application, Defaults
from telegram.request import BaseRequest

from bot import registration
from bot.clock import Now, utc_now
from bot.config import Settings
from bot.context import CONTEXT_TYPES
from bot.conversations.persistence import SqliteConversationPersistence
from bot.deadlines.recompute import recompute_pending
from bot.outbox.direct import DirectSendMeter
from bot.outbox.update_journal import JournalingQueue, JournalingRequest
from bot.services import SERVICES_KEY, build_services
from bot.storage.db import Database
from bot.storage.telegram_outbox import TelegramOutboxStore
from bot.update_processor import PerChatUpdateProcessor

log = logging.getLogger(__name__)

HTTP_CONNECTIONS = 16
"""Connections to the Bot API. Telegram accepts ~30 messages a second; 16 connections carry
that even at 500 ms a call, and httpcore's pool spends time per request that grows with its size
(PTB's default of 256 made the bot 30% slower in ``bench/telegram_throughput.py``)."""


def build_application(
    settings: Settings, clock: Now = utc_now, request: BaseRequest | None = None
) -> Application[Any, Any, Any, Any, Any, Any]:
    """An Application talking to ``TELEGRAM_BASE_URL`` with the bot's defaults.

    Args:
        request: Instead of HTTP, this ``BaseRequest`` answers every Bot API call (tests that
            feed updates to ``process_update`` and check every request the bot makes). There
            is no Telegram to pace then, so the rate limiter is left out.
    """
    db = Database(settings.db_path)
    journal = JournalingRequest()
    opened = False  # post_shutdown has nothing to close if post_init did not open the services
    webhook_journal = JournalingQueue()

    async def post_init(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        nonlocal opened
        await services.open()
        opened = True
        journal.store = webhook_journal.store = TelegramOutboxStore(db)
        services.started = services.clock()
        try:
            await recompute_pending(services)  # clocks a migration queued, before any use
            await registration.start(application, services)
        except BaseException:
            await services.db.close()
            raise
        log.info("bot ready: LPSE %s, staff chat %s", settings.lpse_code, settings.staff_chat_id)

    async def post_stop(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        """Let the Telegram outbox finish its sends in flight while the bot can still send."""
        if opened and services.sender is not None:
            await services.sender.stop()

    async def post_shutdown(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        if not opened:
            return
        await post_stop(application)  # if the Application was stopped without run_polling
        await registration.stop(application, services)
        await services.db.close()

    builder = Application.builder().rate_limiter(DirectSendMeter(db, settings))
    if settings.webhook_url:  # polling journals in its getUpdates request instead
        builder = builder.update_queue(webhook_journal)
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    else:
        builder = builder.connection_pool_size(HTTP_CONNECTIONS).get_updates_request(journal)
    application = (
        builder.token(settings.telegram_bot_token.get_secret_value())
        .base_url(settings.telegram_base_url)
        .base_file_url(settings.telegram_base_file_url)
        .defaults(Defaults(parse_mode=ParseMode.HTML, tzinfo=settings.tz))
        .context_types(CONTEXT_TYPES)
        .concurrent_updates(PerChatUpdateProcessor())
        .persistence(SqliteConversationPersistence(db))
        .post_init(post_init)
        .post_stop(post_stop)
        .post_shutdown(post_shutdown)
        .build()
    )
    services = build_services(settings, clock, db)
    application.bot_data[SERVICES_KEY] = services
    registration.register(application, services)
    return application
