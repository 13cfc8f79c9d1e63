"""What the fake Bot API stores and answers with: Telegram's objects, limits and error texts.

Plain data only, no server and no lock, so every other module of the package (and the tests'
own request checks in :mod:`tests.support.telegram_limits`) shares one definition of a Telegram
``User``, a stored message, an uploaded file, a recorded call and an error answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

JSONDict = dict[str, Any]
UserLike = int | Mapping[str, Any]
Predicate = Callable[["ApiCall"], bool]

DEFAULT_TOKEN = "123456:TEST"
DEFAULT_BOT_USERNAME = "lpse_test_bot"
MAX_DOWNLOAD_SIZE = 20 * 1024 * 1024  # getFile refuses bigger files, as Telegram does
MAX_UPLOAD_SIZE = 50 * 1024 * 1024
TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
"""Telegram's answer to an edit that changes nothing (PTB users must tolerate it)."""
QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
"""Telegram's answer to a second (or late) ``answerCallbackQuery`` of one press."""
WRONG_FILE = "Bad Request: wrong file identifier/HTTP URL specified"

ANONYMOUS_ADMIN: JSONDict = {
    "id": 1087968824,
    "is_bot": True,
    "first_name": "Group",
    "username": "GroupAnonymousBot",
}
"""The ``from`` of a message an anonymous group admin sends (``sender_chat`` is the group)."""


class ApiError(Exception):
    """A Bot API error answer: ``{"ok": false, "error_code": ..., "description": ...}``.

    Args:
        status: HTTP status, also sent as ``error_code``.
        description: Telegram's description, e.g. ``"Bad Request: message text is empty"``.
        parameters: Optional ``ResponseParameters`` (``retry_after``, ``migrate_to_chat_id``).
    """

    def __init__(self, status: int, description: str, parameters: JSONDict | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters


def bad(description: str) -> ApiError:
    """A ``400 Bad Request: <description>``, the most common Telegram refusal."""
    return ApiError(400, f"Bad Request: {description}")


@dataclass(frozen=True)
class Described:
    """A successful result that also carries Telegram's ``description`` (webhook methods)."""

    result: Any
    description: str


def make_user(
    user_id: int,
    first_name: str = "Pengguna",
    username: str | None = None,
    *,
    last_name: str | None = None,
    language_code: str | None = "id",
) -> JSONDict:
    """Build a Telegram ``User`` dict for a human user.

    Args:
        user_id: Positive id; it is also the id of the private chat with the bot.
        first_name: Shown in chats; Telegram always sends one.
        username: Without ``@``.
        last_name: Optional.
        language_code: IETF tag the client reports; PTB exposes it as ``user.language_code``.

    Returns:
        A dict suitable for every ``user`` argument of ``BotApiServer``.
    """
    user: JSONDict = {"id": user_id, "is_bot": False, "first_name": first_name}
    if last_name:
        user["last_name"] = last_name
    if username:
        user["username"] = username
    if language_code:
        user["language_code"] = language_code
    return user


def inline_buttons(message: Mapping[str, Any] | None) -> list[JSONDict]:
    """Return the inline keyboard buttons of a message (or ``reply_markup``) row by row, flat.

    Args:
        message: A Message dict, a ``reply_markup`` dict, or ``None``.

    Returns:
        Button dicts (``text``, ``callback_data``/``url``...); empty without a keyboard.
    """
    if not message:
        return []
    markup = message.get("reply_markup", message)
    if not isinstance(markup, Mapping):
        return []
    rows = markup.get("inline_keyboard") or markup.get("keyboard") or []
    return [
        button if isinstance(button, dict) else {"text": button} for row in rows for button in row
    ]


@dataclass(frozen=True)
class UploadedFile:
    """A multipart file part as received from the bot.

    Attributes:
        field: Multipart field name (``document``, or an ``attach://`` name).
        filename: File name PTB sent.
        content_type: MIME type PTB sent.
        content: The bytes.
    """

    field: str
    filename: str
    content_type: str
    content: bytes


Files = Mapping[str, UploadedFile]
"""The multipart file parts of one request, by field name."""


@dataclass
class StoredFile:
    """A file Telegram "has": registered by a test (user upload) or uploaded by the bot.

    Attributes:
        file_id: Id to use in requests and ``getFile``.
        file_unique_id: Stable unique id.
        content: The bytes served under ``file_path``.
        kind: ``photo``, ``document``, ``video``, ``audio``...
        file_name: Original name (documents).
        mime_type: MIME type (documents).
        file_path: Path below ``/file/bot<token>/``.
        uploaded_by_bot: ``True`` for files the bot sent.
        width: Photos only.
        height: Photos only.
        sizes: Photos only: the PhotoSize list Telegram sends for this photo.
    """

    file_id: str
    file_unique_id: str
    content: bytes
    kind: str
    file_name: str | None = None
    mime_type: str | None = None
    file_path: str = ""
    uploaded_by_bot: bool = False
    width: int = 0
    height: int = 0
    sizes: list[JSONDict] = field(default_factory=list)


@dataclass
class StoredMessage:
    """Server-side record of a message, kept up to date with edits and deletions.

    Attributes:
        message: The current Message dict (what Telegram would return now).
        raw_text: The ``text``/``caption`` exactly as the bot sent it (raw HTML).
        parse_mode: The ``parse_mode`` of the last send/edit.
        sent_markup: The ``reply_markup`` parameter as sent, including reply keyboards, which
            Telegram does not echo in the Message.
        deleted: Set by ``deleteMessage``.
        history: Earlier versions of ``message``, oldest first.
    """

    message: JSONDict
    raw_text: str | None = None
    parse_mode: str | None = None
    sent_markup: JSONDict | None = None
    deleted: bool = False
    history: list[JSONDict] = field(default_factory=list)

    @property
    def from_bot(self) -> bool:
        """Whether the bot sent this message (only those can be edited)."""
        return bool(self.message.get("from", {}).get("is_bot"))


@dataclass(frozen=True)
class ApiCall:
    """One request the bot made, with the answer it got.

    Attributes:
        seq: Arrival order, starting at 1.
        method: Canonical method name (``sendMessage``), or the name as sent if unknown.
        params: Decoded parameters (JSON fields parsed).
        files: Multipart file parts by field name.
        status: HTTP status of the answer.
        result: ``result`` of a successful answer.
        description: ``description`` of an error answer.
        started: ``time.monotonic()`` at arrival.
        finished: ``time.monotonic()`` when answered.
    """

    seq: int
    method: str
    params: JSONDict
    files: Mapping[str, UploadedFile]
    status: int
    result: Any
    description: str | None
    started: float
    finished: float

    @property
    def ok(self) -> bool:
        """Whether Telegram answered ``ok: true``."""
        return 200 <= self.status < 300

    @property
    def chat_id(self) -> int | str | None:
        """The ``chat_id`` parameter, as an int when numeric."""
        value = self.params.get("chat_id")
        if isinstance(value, str) and re.fullmatch(r"-?\d+", value):
            return int(value)
        return value

    @property
    def message(self) -> JSONDict | None:
        """The Message returned by a successful send/edit (first one for media groups)."""
        result = self.result
        if isinstance(result, list) and result and isinstance(result[0], dict):
            result = result[0]
        if isinstance(result, dict) and "message_id" in result and "chat" in result:
            return result
        return None

    @property
    def message_id(self) -> int | None:
        """The id of the message sent, copied or edited."""
        if self.message is not None:
            return int(self.message["message_id"])
        if isinstance(self.result, dict) and "message_id" in self.result:
            return int(self.result["message_id"])
        value = self.params.get("message_id")
        return int(value) if isinstance(value, int | str) and str(value).isdigit() else None

    @property
    def text(self) -> str | None:
        """Text or caption as Telegram stored it (HTML decoded); raw parameter on failures."""
        message = self.message
        if message is not None and ("text" in message or "caption" in message):
            return message.get("text", message.get("caption"))
        value = self.params.get("text", self.params.get("caption"))
        return value if isinstance(value, str) else None

    @property
    def reply_markup(self) -> JSONDict | None:
        """The ``reply_markup`` parameter (inline or reply keyboard) as sent."""
        markup = self.params.get("reply_markup")
        return markup if isinstance(markup, dict) else None

    @property
    def buttons(self) -> list[JSONDict]:
        """Buttons of the sent ``reply_markup``, flattened (see :func:`inline_buttons`)."""
        return inline_buttons(self.reply_markup)
