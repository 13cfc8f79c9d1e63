"""The outbox with :class:`bot.notify.Notifier`'s shape, for code outside a workflow step.

A staff command's answer in the group, the ``/tiket`` details, an LKPP email shown to staff:
each is queued in the caller's transaction (or one of its own when there is none) and delivered by
the sender at the class given, so it counts in the group's budget like everything else.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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
        priority: Priority | None = None,
        **kwargs: Any,
    ) -> int:
        """Queue in the caller's transaction, or in one of its own when there is none."""
        priority = self.priority if priority is None else priority
        async with self.queue.services.db.joined():
            return await self.queue.text(
                chat_id, html, buttons, priority, reply_to=reply_to, **kwargs
            )

    async def staff(
        self,
        html: str,
        buttons: Keyboard | None = None,
        reply_to: int | None = None,
        **kwargs: Any,
    ) -> int:
        return await self.send(self.queue.staff_chat, html, buttons, reply_to, **kwargs)

    async def admins(self, html: str) -> None:
        for admin in self.queue.services.settings.admin_user_ids:
            await self.send(admin, html, priority=Priority.ALERT)
