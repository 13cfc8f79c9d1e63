"""Updates of one chat in order, different chats at the same time.

Processing every update one after another (PTB's default) lets one slow chat hold up all the
others: the staff group may receive 20 messages a minute, so a burst of reports whose cards wait
for the group's rate limiter would keep every user's next answer waiting too. Processing all
updates concurrently would break ``/lapor``, whose ConversationHandler needs a chat's updates one
by one. A lock per chat gives both.

The processor also drops a redelivered update (a webhook retry, or polling again after a crash
before Telegram learned the offset): :attr:`PerChatUpdateProcessor.journal` records each
handled ``update_id`` once it has been handled (the outbox component sets it to a database
window), so an update whose handling a crash interrupted is handled again, never twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Coroutine
from typing import Any, Protocol

from telegram import Update
from telegram.ext import BaseUpdateProcessor

log = logging.getLogger(__name__)


class UpdateJournal(Protocol):
    """Where handled update ids are kept (a bounded window in the database)."""

    async def handled(self, update_id: int) -> bool: ...

    async def record(self, update_id: int) -> None: ...


def chat_key(update: object) -> int | None:
    """The chat an update belongs to (the user for updates without a chat), else ``None``."""
    if not isinstance(update, Update):
        return None
    if update.effective_chat is not None:
        return update.effective_chat.id
    if update.effective_user is not None:
        return update.effective_user.id
    return None


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Serialise updates per chat; run many chats at once.

    PTB takes a slot of ``max_concurrent_updates`` before the chat's lock (its
    ``process_update`` is final), so an update waiting behind its own chat holds a slot: the
    default is generous, as a waiting update is only a suspended task.

    Args:
        max_concurrent_updates: Updates in progress or waiting for their chat, across all chats.
    """

    def __init__(self, max_concurrent_updates: int = 256) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}
        self._handling: set[int] = set()
        self.journal: UpdateJournal | None = None

    async def _once(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Handle the update unless it was handled before; then record it."""
        update_id = update.update_id if isinstance(update, Update) else None
        if update_id is not None and await self._handled_before(update_id):
            log.info("update %s was delivered again: dropped", update_id)
            if isinstance(coroutine, Coroutine):
                coroutine.close()
            return
        if update_id is None:
            await coroutine
            return
        self._handling.add(update_id)
        try:
            await coroutine
        finally:
            self._handling.discard(update_id)
            if self.journal is not None:
                try:
                    await self.journal.record(update_id)
                except Exception:
                    log.exception("handled update %s not recorded", update_id)

    async def _handled_before(self, update_id: int) -> bool:
        if update_id in self._handling:
            return True
        if self.journal is None:
            return False
        try:
            return await self.journal.handled(update_id)
        except Exception:  # better handled twice than not at all
            log.exception("could not look up update %s", update_id)
            return False

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = chat_key(update)
        if key is None:
            await self._once(update, coroutine)
            return
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            async with lock:
                await self._once(update, coroutine)
        finally:
            self._waiting[key] -= 1
            if not self._waiting[key]:  # nobody else queued for this chat: forget its lock
                del self._waiting[key]
                del self._locks[key]

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    @property
    def chats_in_flight(self) -> int:
        """Chats with an update being handled or waiting (for tests and health reports)."""
        return len(self._locks)
