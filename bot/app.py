"""Builds the python-telegram-bot Application and plugs the components into it.

Clients (database, mail) are opened in ``post_init`` and closed in ``post_shutdown``, as
python-telegram-bot recommends. Each component is a module with three optional hooks:

* ``register(application, services)``: add handlers and jobs (called in ``post_init``);
* ``async start(application, services)``: open clients, start background work;
* ``async stop(application, services)``: close them again (reverse order).
"""

from __future__ import annotations

import importlib
import logging
from types import ModuleType
from typing import Any

from telegram.constants import ParseMode
from telegram.ext import Application, Defaults
from telegram.request import BaseRequest

from bot import stale_buttons
from bot.clock import Now, utc_now
from bot.config import Settings
from bot.conversations.persistence import SqliteConversationPersistence
from bot.deadlines.recompute import open_recomputed
from bot.outbox.component import SENDER_KEY
from bot.outbox.direct import DirectSendMeter
from bot.outbox.update_journal import JournalingQueue, JournalingRequest
from bot.services import SERVICES_KEY, Services
from bot.storage.db import Database
from bot.storage.telegram_outbox import TelegramOutboxStore
from bot.update_processor import PerChatUpdateProcessor

log = logging.getLogger(__name__)

HTTP_CONNECTIONS = 16
"""Connections to the Bot API. Telegram accepts ~30 messages a second; 16 connections carry
that even at 500 ms a call, and httpcore's pool spends time per request that grows with its size
(PTB's default of 256 made the bot 30% slower in ``bench/telegram_throughput.py``)."""

#: Component modules, in start order. Missing modules are an error: each is part of the bot.
COMPONENTS: tuple[str, ...] = (
    "bot.outbox.component",
    "bot.handlers.staff",
    "bot.handlers.kb_staff",
    "bot.handlers.user",
    "bot.deadlines.component",
    "bot.mail.bridge",
    "bot.handlers.health_command",
    "bot.web.component",
)


def _components() -> list[ModuleType]:
    return [importlib.import_module(name) for name in COMPONENTS]


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
    webhook_journal = JournalingQueue()

    async def post_init(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        services = await open_recomputed(settings, clock, db)
        journal.store = webhook_journal.store = TelegramOutboxStore(db)
        application.bot_data[SERVICES_KEY] = services
        started = []
        try:
            for component in _components():
                if hasattr(component, "register"):
                    component.register(application, services)
            stale_buttons.register(application)  # last: takes only presses nobody else took
            for component in _components():
                if hasattr(component, "start"):
                    await component.start(application, services)
                started.append(component)
        except BaseException:
            for component in reversed(started):
                if hasattr(component, "stop"):
                    await component.stop(application, services)
            await services.db.close()
            raise
        log.info("bot ready: LPSE %s, staff chat %s", settings.lpse_code, settings.staff_chat_id)

    async def post_stop(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        """Let the Telegram outbox finish its sends in flight while the bot can still send."""
        services: Services | None = application.bot_data.get(SERVICES_KEY)
        sender = None if services is None else services.extras.get(SENDER_KEY)
        if sender is not None:
            await sender.stop()

    async def post_shutdown(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        services: Services | None = application.bot_data.get(SERVICES_KEY)
        if services is None:
            return
        await post_stop(application)  # if the Application was stopped without run_polling
        for component in reversed(_components()):
            if hasattr(component, "stop"):
                try:
                    await component.stop(application, services)
                except Exception:
                    log.exception("stopping %s failed", component.__name__)
        await services.db.close()

    builder = Application.builder().rate_limiter(DirectSendMeter(db, settings))
    if settings.webhook_url:  # polling journals in its getUpdates request instead
        builder = builder.update_queue(webhook_journal)
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    else:
        builder = builder.connection_pool_size(HTTP_CONNECTIONS).get_updates_request(journal)
    return (
        builder.token(settings.telegram_bot_token.get_secret_value())
        .base_url(settings.telegram_base_url)
        .base_file_url(settings.telegram_base_file_url)
        .defaults(Defaults(parse_mode=ParseMode.HTML, tzinfo=settings.tz))
        .concurrent_updates(PerChatUpdateProcessor())
        .persistence(SqliteConversationPersistence(db))
        .post_init(post_init)
        .post_stop(post_stop)
        .post_shutdown(post_shutdown)
        .build()
    )
