"""The outbox kinds of the mail bridge: LKPP's reply notices and files in the staff group.

The staff view queues them (:meth:`bot.mail.staff_view.StaffView.post_reply`); the outbox
sender calls these to send each row, and records the notice's message id (its buttons are
redrawn in place later) and each uploaded file's Telegram id in the transaction that marks the
row sent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from telegram import Bot, InputFile, Message

from bot.outbox.limits import cut_caption
from bot.outbox.sender import Sender, markup, outbox_args
from bot.storage.mail_telegram import MailTelegramStore
from bot.storage.telegram_outbox import OutRow

if TYPE_CHECKING:
    from bot.services import Services

#: Outbox kinds: an LKPP reply notice, and one of LKPP's files uploaded from the database.
REPLY_KIND, FILE_KIND = "surel_balasan", "surel_berkas"


class MailKinds:
    """Sends the mail bridge's outbox rows."""

    def __init__(self, services: Services, bot: Bot) -> None:
        self.services = services
        self.bot = bot
        self.shown = MailTelegramStore(services.db)

    @property
    def sender(self) -> Sender:
        if self.services.sender is None:
            raise RuntimeError("the Telegram outbox is not registered")
        return self.services.sender

    def add_to(self, sender: Sender) -> None:
        sender.add_kind(REPLY_KIND, self.send_reply, self.reply_sent)
        sender.add_kind(FILE_KIND, self.send_file, self.file_sent)

    async def send_reply(self, row: OutRow) -> Message:
        """The outbox kind of an LKPP reply notice."""
        return await self.bot.send_message(
            row.chat_id, row.payload["html"], reply_markup=markup(row.payload.get("buttons")),
            reply_parameters=await self.sender.reply_target(row), **outbox_args(self.bot),
        )  # fmt: skip

    async def reply_sent(self, row: OutRow, message: Message | None) -> None:
        if message is not None:
            await self.shown.set_reply_message(
                row.payload["reply"], message.chat_id, message.message_id
            )

    async def send_file(self, row: OutRow) -> Message | None:
        """The outbox kind of one of LKPP's files, uploaded from the database."""
        file = await self.shown.file(row.payload["file"])
        if file is None:
            return None
        return await self.bot.send_document(
            row.chat_id, InputFile(file.content, filename=file.file_name),
            caption=cut_caption(row.payload.get("caption") or ""),
            reply_parameters=await self.sender.reply_target(row), **outbox_args(self.bot),
        )  # fmt: skip

    async def file_sent(self, row: OutRow, message: Message | None) -> None:
        if message is not None and message.document is not None:
            await self.shown.set_file_id(row.payload["file"], message.document.file_id)
