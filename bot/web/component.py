"""The dashboard as a bot component: ``/dasbor`` and the web server's life cycle.

``/dasbor`` in the staff group (or an admin's private chat) sends the person a one-time link in
a private chat, through the Telegram outbox (the group hears once it went out, or that the
person must start the bot first). The server starts in ``start`` (inside ``post_init``, in the
bot's loop) only when ``WEB_LISTEN`` is set, and stops in ``stop`` (``post_shutdown``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import Application, ApplicationHandlerStop

from bot.guards import Context, in_staff_chat, is_admin
from bot.notify import reply_html
from bot.outbox.queue import queue_of
from bot.outbox.sender import IF_BLOCKED, THEN
from bot.services import Services
from bot.storage.db import Database
from bot.storage.web_sessions import WebSessionStore
from bot.web.auth import LINK_MINUTES, Gate, Membership

if TYPE_CHECKING:
    from aiohttp import web

log = logging.getLogger(__name__)

PURGE_AFTER = timedelta(days=30)
"""Spent links and ended sessions are kept this long (who logged in when), then forgotten."""


@dataclass(frozen=True, slots=True)
class WebRuntime:
    """The running dashboard (``Services.web``): its login gate, server and read connection."""

    gate: Gate
    runner: web.AppRunner
    read_db: Database


async def cmd_dasbor(update: Update, context: Context) -> None:
    """Send the person a private one-time link, or say why not."""
    services = context.services
    texts = services.texts
    message = update.effective_message
    user = update.effective_user
    chat = update.effective_chat
    if message is None or user is None or chat is None:
        return
    gate = None if services.web is None else services.web.gate
    private = chat.type == ChatType.PRIVATE
    if not (in_staff_chat(update, services) or (private and is_admin(update, services))):
        await reply_html(message, texts.msg("web.dasbor.bukan_staf"))
        raise ApplicationHandlerStop
    if gate is None:
        await reply_html(message, texts.msg("web.dasbor.mati"))
        raise ApplicationHandlerStop
    if not await gate.membership.is_staff(user.id, services.clock()):
        await reply_html(message, texts.msg("web.dasbor.bukan_staf"))
        raise ApplicationHandlerStop
    url = await gate.issue(user.id, user.full_name, services.clock())
    link = texts.msg("web.dasbor.tautan", url=url, menit=LINK_MINUTES)
    await _queue_link(services, update, link, context.bot.username or "")
    raise ApplicationHandlerStop


async def _queue_link(services: Services, update: Update, html: str, bot_name: str) -> None:
    """Queue the private link through the outbox, with what the group hears once it is sent
    ("sent to your private chat") or refused (start the bot first), in one transaction."""
    message, user, chat = update.effective_message, update.effective_user, update.effective_chat
    assert message is not None and user is not None and chat is not None
    texts = services.texts
    extra: dict[str, Any] = {
        "protect": True,
        IF_BLOCKED: {
            "chat_id": chat.id, "reply_to": message.message_id,
            "html": texts.msg("web.dasbor.mulai_dulu", bot=bot_name),
        },
    }  # fmt: skip
    if chat.type != ChatType.PRIVATE:
        extra[THEN] = {
            "chat_id": chat.id, "reply_to": message.message_id,
            "html": texts.msg("web.dasbor.terkirim", nama=user.first_name),
        }  # fmt: skip
    async with services.db.transaction():
        await queue_of(services).text(user.id, html, extra=extra)


async def start(
    application: Application[Any, Any, Any, Any, Any, Any], services: Services
) -> None:
    """Open the read-only connection and serve the dashboard, when ``WEB_LISTEN`` is set.

    The web server's modules (and aiohttp, a fifth of the bot's import time) load only then: a
    bot without a dashboard starts, and restarts after a crash, that much sooner.
    """
    settings = services.settings
    if settings.web_listen is None:
        return
    from aiohttp import web

    from bot.web.routes import build_app
    from bot.web.server import Dashboard, PathOnlyAccessLogger, access_log

    bot = application.bot
    staff_chat = settings.staff_chat_id

    async def lookup(user_id: int) -> tuple[str, bool]:
        member = await bot.get_chat_member(staff_chat, user_id)
        return member.status, bool(getattr(member, "is_member", False))

    store = WebSessionStore(services.db)
    await store.purge(services.clock() - PURGE_AFTER)
    gate = Gate(settings, store, Membership(settings, lookup))
    read_db = Database(settings.db_path, read_only=True)
    await read_db.open()
    runner = web.AppRunner(
        build_app(Dashboard(services, read_db, gate, bot)),
        access_log_class=PathOnlyAccessLogger,
        access_log=access_log,
        handle_signals=False,
    )
    await runner.setup()
    host, port = settings.web_address
    try:
        await web.TCPSite(runner, host, port).start()
    except OSError:
        await runner.cleanup()
        await read_db.close()
        raise
    services.web = WebRuntime(gate, runner, read_db)
    log.info("dashboard at %s (listening on %s:%d)", settings.web_base_url, host, port)


async def stop(application: Application[Any, Any, Any, Any, Any, Any], services: Services) -> None:
    running, services.web = services.web, None
    if running is not None:
        await running.runner.cleanup()
        await running.read_db.close()
