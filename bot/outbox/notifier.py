"""The outbox with :class:`bot.notify.Notifier`'s shape, for code outside a workflow step.

A staff command's answer in the group, the ``/tiket`` details, an LKPP email shown to staff:
each is queued in a transaction of its own (or the caller's, given ``conn``) and delivered by
the sender at the class given, so it counts in the group's budget like everything else.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import aiosqlite

from bot.outbox.pacing import Priority

if TYPE_CHECKING:
    from bot.callbacks import Keyboard
    from bot.outbox.queue import TelegramQueue


class QueuedNotifier:
    """Queue HTML for a chat, the staff group or the admins; returns the first row's id."""

    def __init__(self, queue: TelegramQueue, priority: Priority = Priority.ACTION) -> None:
        self.queue = queue
        self.priority = priority

    async def send(
        self,
        chat_id: int,
        html: str,
        buttons: Keyboard | None = None,
        reply_to: int | None = None,
        *,
        conn: aiosqlite.Connection | None = None,
        priority: Priority | None = None,
        **kwargs: Any,
    ) -> int:
        priority = self.priority if priority is None else priority
        if conn is not None:
            return await self.queue.text(
                conn, chat_id, html, buttons, priority, reply_to=reply_to, **kwargs
            )
        async with self.queue.services.db.transaction() as own:
            return await self.queue.text(
                own, chat_id, html, buttons, priority, reply_to=reply_to, **kwargs
            )

    async def staff(
        self,
        html: str,
        buttons: Keyboard | None = None,
        reply_to: int | None = None,
        **kwargs: Any,
    ) -> int:
        return await self.send(self.queue.staff_chat, html, buttons, reply_to, **kwargs)

    async def admins(self, html: str, *, conn: aiosqlite.Connection | None = None) -> None:
        for admin in self.queue.services.settings.admin_user_ids:
            await self.send(admin, html, conn=conn, priority=Priority.ALERT)
