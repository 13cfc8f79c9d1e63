"""What the user-side handlers share: services, drafts, sending, files users send."""

from __future__ import annotations

import logging
from typing import Any

from telegram import CallbackQuery, Message, Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.domain.ticket import Attachment
from bot.notify import Keyboard, Notifier
from bot.services import SERVICES_KEY, Services
from bot.storage.drafts import DraftStore
from bot.storage.telegram import MessageMap

log = logging.getLogger(__name__)

MAX_FILE_BYTES = 20 * 1024 * 1024
"""Telegram lets a bot download files up to 20 MB; a bigger one could never reach LKPP."""
USER_KIND = "pengguna"
"""MessageMap kind of bot messages about a ticket in the user's private chat."""

Context = ContextTypes.DEFAULT_TYPE


class FileTooLarge(Exception):
    def __init__(self, name: str, size: int) -> None:
        self.name = name
        self.size = size
        super().__init__(f"{name}: {size} bytes")


class NotAFile(Exception):
    """The message holds neither a photo nor a document."""


def services_of(context: Context) -> Services:
    return context.bot_data[SERVICES_KEY]


def drafts_of(services: Services) -> DraftStore:
    drafts = services.extras.get("drafts")
    if drafts is None:
        drafts = services.extras["drafts"] = DraftStore(services.db, services.clock)
    return drafts


def message_map(services: Services) -> MessageMap:
    return MessageMap(services.db)


def label(services: Services, key: str, **context: Any) -> str:
    """A button label from the catalog (unescaped: Telegram shows labels as plain text)."""
    return services.texts.plain_msg(key, **context)


async def send(
    context: Context, chat_id: int, html: str, buttons: Keyboard | None = None
) -> Message:
    """Send to a user, split past 4,096 characters, keyboard on the last part."""
    return await Notifier(context.bot, services_of(context).settings).send(chat_id, html, buttons)


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


def attachment_from(message: Message) -> Attachment:
    """The photo (largest size) or document of ``message`` as an unsaved attachment.

    Raises:
        NotAFile: Anything else (sticker, voice, location …).
        FileTooLarge: Over Telegram's 20 MB bot download limit.
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
    if size is not None and size > MAX_FILE_BYTES:
        raise FileTooLarge(name, size)
    return Attachment(
        id=None,
        ticket_id=0,
        source="pengguna",
        file_name=name,
        mime_type=mime,
        size=size,
        telegram_file_id=file_id,
    )


def megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".replace(".", ",")
