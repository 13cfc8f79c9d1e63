"""What the user-side handlers share: services, drafts, sending, files users send."""

from __future__ import annotations

import logging
from typing import Any

from telegram import CallbackQuery, Message, Update
from telegram.error import BadRequest

from bot.context import BotContext
from bot.domain.ticket import Attachment
from bot.notify import Keyboard, Notifier
from bot.services import Services
from bot.storage.drafts import DraftStore
from bot.storage.telegram import MessageMap

log = logging.getLogger(__name__)

MAX_FILE_BYTES = 20 * 1024 * 1024
"""Telegram lets a bot download files up to 20 MB; a bigger one could never reach LKPP."""
USER_KIND = "pengguna"
"""MessageMap kind of bot messages about a ticket in the user's private chat."""

Context = BotContext


class FileTooLarge(Exception):
    def __init__(self, name: str, size: int) -> None:
        self.name = name
        self.size = size
        super().__init__(f"{name}: {size} bytes")


class NotAFile(Exception):
    """The message holds neither a photo nor a document."""


def drafts_of(services: Services) -> DraftStore:
    if services.drafts is None:
        services.drafts = DraftStore(services.db, services.clock)
    return services.drafts


def message_map(services: Services) -> MessageMap:
    return MessageMap(services.db)


def label(services: Services, key: str, **context: Any) -> str:
    """A button label from the catalog (unescaped: Telegram shows labels as plain text)."""
    return services.texts.plain_msg(key, **context)


async def send(
    context: Context, chat_id: int, html: str, buttons: Keyboard | None = None
) -> Message:
    """Send to a user, split past 4,096 characters, keyboard on the last part."""
    return await Notifier(context.bot, context.services.settings).send(chat_id, html, buttons)


async def answer(
    update: Update, context: Context, html: str, buttons: Keyboard | None = None
) -> Message:
    """Reply in the chat the update came from."""
    chat = update.effective_chat
    assert chat is not None
    return await send(context, chat.id, html, buttons)


async def drop_keyboard(query: CallbackQuery) -> None:
    """Take the buttons off a message once used, so an old question is not answered twice."""
    try:
        await query.edit_message_reply_markup(None)
    except BadRequest as exc:  # already without keyboard, or too old to edit: harmless
        log.debug("keyboard not removed: %s", exc)


def attachment_from(
    message: Message, source: str = "pengguna", max_bytes: int | None = MAX_FILE_BYTES
) -> Attachment:
    """The photo (largest size) or document of ``message`` as an unsaved attachment.

    Names come from Telegram's ``file_unique_id``, which stays the same when the update is
    delivered again or the file is sent again, so one file keeps one name. (Staff photos
    stored before were named after the message id; they stay as they are.)

    Args:
        source: Who sent it, as the ticket records it (``pengguna``, ``staf``).
        max_bytes: Refuse a bigger file; ``None`` for staff files, which are only forwarded
            by Telegram file id and never downloaded.

    Raises:
        NotAFile: Anything else (sticker, voice, location …).
        FileTooLarge: Over ``max_bytes``.
    """
    if message.photo:
        photo = message.photo[-1]
        name, size = f"foto_{photo.file_unique_id}.jpg", photo.file_size
        mime: str | None = "image/jpeg"
        file_id = photo.file_id
    elif message.document is not None:
        document = message.document
        name = document.file_name or f"dokumen_{document.file_unique_id}"
        mime, size, file_id = document.mime_type, document.file_size, document.file_id
    else:
        raise NotAFile
    if size is not None and max_bytes is not None and size > max_bytes:
        raise FileTooLarge(name, size)
    return Attachment(
        id=None,
        ticket_id=0,
        source=source,
        file_name=name,
        mime_type=mime,
        size=size,
        telegram_file_id=file_id,
    )


def megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".replace(".", ",")
