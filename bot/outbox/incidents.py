"""What happens when Telegram will not take a message: group upgrades, removals, refusals.

* **Group upgraded to a supergroup** (a ``migrate_to_chat_id`` service message, or a send
  answered with ``ChatMigrated``): the staff chat id in use is stored in the database
  (``STAFF_CHAT_ID`` is only its first value), every undelivered row moves to the new chat in
  the same transaction, the handlers' chat filters learn the new id, the admins are told in
  private and one WARNING line asks the operator to update ``STAFF_CHAT_ID``.
* **The bot removed from the staff group** (or the group gone): the admins are told at once;
  the messages stay queued and go out once the bot is back.
* **A message given up** after its retries (or refused for good): the admins are told.
* **A user who blocked the bot**: the user side records it (``on_user_blocked`` hooks).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from telegram.ext import filters

from bot.outbox.pacing import Priority, is_group
from bot.storage.telegram_outbox import OutRow

if TYPE_CHECKING:
    from bot.outbox.queue import TelegramQueue
    from bot.services import Services

log = logging.getLogger(__name__)

REALERT = timedelta(hours=1)
"""An unreachable staff group is reported again at most this often."""
BlockedHook = Callable[[int, int | None], Awaitable[None]]
"""Called with (chat id, ticket id) when a private chat refuses the bot."""


def chat_filters(handlers: Any) -> Iterator[filters.Chat]:
    """Every :class:`telegram.ext.filters.Chat` in the Application's handlers, nested ones too."""
    stack: list[Any] = []
    for group in handlers.values():
        stack.extend(group)
    seen: set[int] = set()
    while stack:
        item = stack.pop()
        if id(item) in seen or item is None:
            continue
        seen.add(id(item))
        if isinstance(item, filters.Chat):
            yield item
            continue
        for name in ("filters", "base_filter", "and_filter", "or_filter", "inv_filter",
                     "merged_filter"):  # fmt: skip
            child = getattr(item, name, None)
            if isinstance(child, filters.BaseFilter):
                stack.append(child)
        for name in ("entry_points", "fallbacks"):  # ConversationHandler
            stack.extend(getattr(item, name, None) or ())
        for states in (getattr(item, "states", None) or {}).values():
            stack.extend(states)


class Incidents:
    """Reacts to chats Telegram will not deliver to.

    Args:
        services: The bot's services (settings hold the staff chat id in use).
        queue: Where alerts to admins are queued.
        handlers: The Application's handlers (``application.handlers``), whose chat filters
            follow the staff group to its new id.
    """

    def __init__(self, services: Services, queue: TelegramQueue, handlers: Any = None) -> None:
        self.services = services
        self.queue = queue
        self.handlers = handlers
        self.on_user_blocked: list[BlockedHook] = []
        self._alerted: dict[int, datetime] = {}

    @property
    def texts(self) -> Any:
        return self.services.texts

    async def load_staff_chat(self) -> int:
        """Use the chat id stored after an upgrade; store ``STAFF_CHAT_ID`` the first time."""
        settings = self.services.settings
        stored = await self.queue.store.staff_chat()
        if stored is None:
            async with self.services.db.transaction():
                await self.queue.store.set_staff_chat(settings.staff_chat_id, self.queue.clock())
        elif stored != settings.staff_chat_id:
            log.warning(
                "the staff group moved to %s (STAFF_CHAT_ID still says %s): using %s; "
                "please set STAFF_CHAT_ID=%s in .env", stored, settings.staff_chat_id, stored,
                stored,
            )  # fmt: skip
            self.retarget(settings.staff_chat_id, stored)
            settings.staff_chat_id = stored
        return settings.staff_chat_id

    def retarget(self, old: int, new: int) -> None:
        """Let every handler filter that names chat ``old`` accept ``new`` as well."""
        if self.handlers is None:
            return
        for chat_filter in chat_filters(self.handlers):
            if old in chat_filter.chat_ids:
                chat_filter.add_chat_ids(new)

    async def migrated(self, old: int, new: int) -> None:
        """A group became a supergroup: move its lane, switch the staff chat, tell the admins."""
        settings = self.services.settings
        async with self.services.db.transaction():
            moved = await self.queue.store.move_lane(old, new)
            if old != settings.staff_chat_id:
                log.info("chat %s became %s: %d queued messages follow it", old, new, moved)
                return
            await self.queue.store.set_staff_chat(new, self.queue.clock())
            settings.staff_chat_id = new
            html = self.texts.msg("antrean_telegram.grup_pindah", lama=old, baru=new)
            await self.queue.admins(html, Priority.ACTION)
        self.retarget(old, new)
        log.warning(
            "the staff group %s was upgraded to supergroup %s: the bot now uses %s; "
            "please set STAFF_CHAT_ID=%s in .env", old, new, new, new,
        )  # fmt: skip

    async def group_unreachable(self, chat_id: int, reason: str) -> None:
        """The bot cannot post in a group (removed, group deleted): tell the admins at once."""
        now = self.queue.clock()
        last = self._alerted.get(chat_id)
        if last is not None and now - last < REALERT:
            return
        self._alerted[chat_id] = now
        log.error("cannot post in group %s: %s", chat_id, reason)
        html = self.texts.msg("antrean_telegram.grup_tak_terjangkau", grup=chat_id, alasan=reason)
        async with self.services.db.transaction():
            await self.queue.admins(html, Priority.ACTION)

    def reachable(self, chat_id: int) -> None:
        """A group accepted a message again: the next failure is reported at once."""
        self._alerted.pop(chat_id, None)

    async def undeliverable(self, row: OutRow, reason: str) -> None:
        """A message given up for good: the admins hear of it (never about their own alerts)."""
        if row.chat_id in self.services.settings.admin_user_ids:
            return
        number = None
        if row.ticket_id is not None:
            ticket = await self.services.tickets.get_by_id(row.ticket_id)
            number = ticket.number if ticket is not None else None
        html = self.texts.msg(
            "antrean_telegram.gagal_kirim", grup=is_group(row.chat_id), chat=row.chat_id,
            nomor=number, percobaan=row.attempts + 1, alasan=reason[:300],
        )  # fmt: skip
        await self.queue.admins(html)

    async def user_blocked(self, row: OutRow) -> None:
        for hook in self.on_user_blocked:
            try:
                await hook(row.chat_id, row.ticket_id)
            except Exception:
                log.exception("recording that chat %s blocked the bot failed", row.chat_id)
