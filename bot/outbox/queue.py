"""Writing Telegram messages into the outbox, inside the transaction of the change.

Components never call the Bot API for what a change causes: they call these methods with the
connection of the transaction that makes the change, so the message commits with it (or not at
all). The sender (:mod:`bot.outbox.sender`) delivers the rows. Long text is split here, so one
row is one Telegram message and the group's budget counts exactly.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from bot.clock import Now, utc_now
from bot.outbox.limits import cut_caption, split_html
from bot.outbox.pacing import Priority
from bot.storage.telegram_outbox import TelegramOutboxStore

if TYPE_CHECKING:
    from bot.callbacks import Keyboard
    from bot.services import Services

TEXT, FILE, EDIT, CARD = "teks", "berkas", "ubah", "kartu"


def _buttons(rows: Keyboard | None) -> list[list[list[str]]] | None:
    return [[[label, data] for label, data in row] for row in rows] if rows else None


class TelegramQueue:
    """Queues messages for the sender and wakes it.

    Args:
        services: The bot's services (the staff chat and admins come from its settings).
        clock: Real time: Telegram's limits run on the wall clock, whatever the business clock
            of the tests says.
    """

    def __init__(self, services: Services, clock: Now = utc_now) -> None:
        self.services = services
        self.store = TelegramOutboxStore(services.db)
        self.clock = clock
        self.woken = asyncio.Event()

    @property
    def staff_chat(self) -> int:
        return self.services.settings.staff_chat_id

    def wake(self) -> None:
        """Tell the sender to look: it reads under the write lock, so only committed rows."""
        self.woken.set()

    async def add(
        self,
        chat_id: int,
        kind: str,
        payload: dict[str, Any],
        priority: Priority = Priority.ACTION,
        *,
        ticket_id: int | None = None,
        coalesce_key: str | None = None,
        merge: bool = False,
    ) -> int:
        """Queue one row of any kind; returns its id."""
        row_id = await self.store.enqueue(
            chat_id, kind, payload, int(priority), self.clock(),
            ticket_id=ticket_id, coalesce_key=coalesce_key, merge=merge,
        )  # fmt: skip
        self.wake()
        return row_id

    async def text(
        self,
        chat_id: int,
        html: str,
        buttons: Keyboard | None = None,
        priority: Priority = Priority.ACTION,
        *,
        ticket_id: int | None = None,
        remember: str | None = None,
        reply_to: int | None = None,
        reply_card: bool = False,
        reply_row: int | None = None,
        kind: str = TEXT,
        extra: Mapping[str, Any] | None = None,
    ) -> int:
        """Queue ``html`` (split past 4,096 characters, keyboard on the last part).

        Args:
            remember: Map the sent message to ``ticket_id`` under this kind
                (:class:`~bot.storage.telegram.MessageMap`), so replies to it reach the ticket.
            reply_to: A message id to reply to.
            reply_card: Reply to the ticket's card (found when sending).
            reply_row: Reply to the message another row sent (e.g. files under a notice).
            kind: A kind sent like text whose ``sent`` hook records the message
                (:meth:`bot.outbox.sender.Sender.add_text_kind`).
            extra: What that hook needs, kept in the last part's payload.

        Returns:
            The id of the first part's row.
        """
        parts = split_html(html)
        first = 0
        for index, part in enumerate(parts):
            payload: dict[str, Any] = {"html": part, "remember": remember}
            if index == len(parts) - 1:
                payload["buttons"] = _buttons(buttons)
                payload.update(extra or {})
            if index == 0:
                payload.update(reply_to=reply_to, reply_card=reply_card, reply_row=reply_row)
            last = index == len(parts) - 1
            row_id = await self.add(
                chat_id, kind if last else TEXT, payload, priority, ticket_id=ticket_id
            )
            first = first or row_id
        return first

    async def file(
        self,
        chat_id: int,
        *,
        file_id: str | None = None,
        path: str | None = None,
        filename: str | None = None,
        photo: bool = False,
        caption: str | None = None,
        priority: Priority = Priority.ACTION,
        ticket_id: int | None = None,
        remember: str | None = None,
        reply_to: int | None = None,
        reply_card: bool = False,
        reply_row: int | None = None,
    ) -> int:
        """Queue a file: a Telegram ``file_id`` (tried as photo or document) or a stored file."""
        payload = {
            "file_id": file_id, "path": path, "filename": filename, "photo": photo,
            "caption": cut_caption(caption) if caption else None, "remember": remember,
            "reply_to": reply_to, "reply_card": reply_card, "reply_row": reply_row,
        }  # fmt: skip
        return await self.add(chat_id, FILE, payload, priority, ticket_id=ticket_id)

    async def staff(
        self,
        html: str,
        buttons: Keyboard | None = None,
        priority: Priority = Priority.ACTION,
        **kwargs: Any,
    ) -> int:
        """Queue ``html`` for the staff group (see :meth:`text` for the keywords)."""
        return await self.text(self.staff_chat, html, buttons, priority, **kwargs)

    async def admins(self, html: str, priority: Priority = Priority.ALERT) -> None:
        """Queue ``html`` for every admin in private."""
        for admin in self.services.settings.admin_user_ids:
            await self.text(admin, html, None, priority)

    async def card(self, ticket_id: int, *, new: bool) -> int:
        """Queue the ticket's card: posted (``new``) or brought up to date (one pending edit)."""
        if new:
            return await self.add(
                self.staff_chat, CARD, {"new": True}, Priority.NEW, ticket_id=ticket_id
            )
        return await self.add(
            self.staff_chat, CARD, {"new": False}, Priority.EDIT,
            ticket_id=ticket_id, coalesce_key=f"kartu:{ticket_id}",
        )  # fmt: skip

    async def edit(
        self,
        chat_id: int,
        message_id: int,
        html: str | None,
        buttons: Keyboard | None = None,
        priority: Priority = Priority.ACTION,
    ) -> int:
        """Queue an edit of a message already sent; pending edits of it collapse into one.

        Args:
            html: The new text (cut to one message), or ``None`` to change only the buttons.
            buttons: The new keyboard; ``None`` removes it.
        """
        payload: dict[str, Any] = {"message_id": message_id, "buttons": _buttons(buttons)}
        if html is not None:
            payload["html"] = split_html(html)[0]
        return await self.add(
            chat_id, EDIT, payload, priority,
            coalesce_key=f"ubah:{chat_id}:{message_id}", merge=True,
        )  # fmt: skip

    async def send_later(
        self, chat_id: int, html: str, buttons: Sequence[Sequence[tuple[str, str]]] | None = None,
        priority: Priority = Priority.ACTION, **kwargs: Any,
    ) -> int:  # fmt: skip
        """Queue ``html`` in a transaction of its own (no change of state goes with it)."""
        async with self.services.db.transaction():
            return await self.text(chat_id, html, buttons, priority, **kwargs)


def queue_of(services: Services) -> TelegramQueue:
    """The running queue (created by the outbox component, first of all components)."""
    if services.telegram_queue is None:
        services.telegram_queue = TelegramQueue(services)
    return services.telegram_queue
