"""The Telegram outbox component: first to start, last to stop (see :mod:`bot.registration`).

``install`` creates the queue, the sender and the incident handling, and gives the update
processor its memory of handled updates. Its handlers take what Telegram tells the bot about its
chats: a group upgraded to a supergroup (``migrate_to_chat_id``) and the bot's own membership
(removed from the staff group). ``start`` loads the staff chat id in use and starts the sender
task; ``stop`` ends it after the sends in flight.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from telegram import ChatMember, Update
from telegram.ext import Application, ContextTypes

from bot.clock import utc_now
from bot.context import services_of
from bot.outbox.incidents import Incidents
from bot.outbox.pacing import Limits
from bot.outbox.queue import queue_of
from bot.outbox.sender import Sender
from bot.storage.telegram_outbox import TelegramOutboxStore
from bot.update_processor import PerChatUpdateProcessor

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.services import Services

log = logging.getLogger(__name__)


UPDATE_WINDOW = 10_000
"""Handled update ids kept to recognise a redelivery (Telegram keeps updates 24 hours)."""
_GONE = {ChatMember.LEFT, ChatMember.BANNED}


def limits_of(settings: Settings) -> Limits:
    return Limits(
        overall_per_second=settings.telegram_overall_per_second,
        private_per_second=settings.telegram_private_per_second,
        group_per_window=settings.telegram_group_per_minute,
    )


def sender_of(services: Services) -> Sender:
    if services.sender is None:
        raise RuntimeError("the Telegram outbox is not registered")
    return services.sender


def incidents_of(services: Services) -> Incidents:
    if services.incidents is None:
        raise RuntimeError("the Telegram outbox is not registered")
    return services.incidents


def install(application: Application[Any, Any, Any, Any, Any, Any], services: Services) -> None:
    """Create the queue, the sender and the incidents in ``services``."""
    queue = queue_of(services)
    incidents = Incidents(services, queue, application.handlers)
    services.incidents = incidents
    services.sender = Sender(queue, application.bot, limits_of(services.settings), incidents)
    processor = application.update_processor
    if isinstance(processor, PerChatUpdateProcessor):
        processor.journal = UpdateWindow(queue.store)


class UpdateWindow:
    """The processed-update window in the database, for :class:`PerChatUpdateProcessor`.

    Asking the database about every update costs a read per update. Update ids only grow, so
    an update that an earlier run handled has an id at or below the newest one that run
    recorded (the *floor*, read once); above it, only ids this run recorded were handled, and
    those are remembered. Only a redelivery from before the start (or below the remembered
    range) is looked up.
    """

    def __init__(self, store: TelegramOutboxStore, window: int = UPDATE_WINDOW) -> None:
        self.store = store
        self.window = window
        self._floor: int | None = None
        self._recorded: set[int] = set()

    async def handled(self, update_id: int) -> bool:
        if update_id in self._recorded:
            return True
        if self._floor is None:
            self._floor = await self.store.newest_handled_update()
        if update_id > self._floor:
            return False
        return await self.store.update_handled(update_id)

    async def record(self, update_id: int) -> None:
        await self.store.record_update(update_id, utc_now(), self.window)
        self._recorded.add(update_id)
        if len(self._recorded) > 2 * self.window:
            # Forget the older half; the floor rises over it, so those ids are looked up.
            cutoff = sorted(self._recorded)[-self.window]
            self._recorded = {kept for kept in self._recorded if kept >= cutoff}
            self._floor = max(self._floor or 0, cutoff - 1)


async def start(
    application: Application[Any, Any, Any, Any, Any, Any], services: Services
) -> None:
    await incidents_of(services).load_staff_chat()
    await sender_of(services).start()
    await _replay(application, services)


async def _replay(
    application: Application[Any, Any, Any, Any, Any, Any], services: Services
) -> None:
    """Queue again the updates a crash kept from being handled (their offset was confirmed)."""
    pending = await queue_of(services).store.unhandled_updates()
    for payload in pending:
        update = Update.de_json(json.loads(payload), application.bot)
        if update is not None:
            await application.update_queue.put(update)
    if pending:
        log.warning("%d updates received before a crash are handled now", len(pending))


async def stop(application: Application[Any, Any, Any, Any, Any, Any], services: Services) -> None:
    if services.sender is not None:
        await services.sender.stop()


async def on_migrate(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The service message of a group upgraded to a supergroup (sent in both chats)."""
    message = update.effective_message
    if message is None:
        return
    incidents = incidents_of(services_of(context))
    if message.migrate_to_chat_id:
        await incidents.migrated(message.chat_id, message.migrate_to_chat_id)
    elif message.migrate_from_chat_id:
        await incidents.migrated(message.migrate_from_chat_id, message.chat_id)


async def on_membership(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The bot's own membership changed: removed from the staff group alerts the admins."""
    change = update.my_chat_member
    services = services_of(context)
    if change is None or change.chat.id != services.settings.staff_chat_id:
        return
    incidents = incidents_of(services)
    if change.new_chat_member.status in _GONE:
        reason = services.texts.plain_msg("antrean_telegram.dikeluarkan")
        await incidents.group_unreachable(change.chat.id, reason)
    else:
        incidents.reachable(change.chat.id)
        queue_of(services).wake()
