"""Sending, editing and deleting messages, with the checks Telegram applies to each.

Most failures of a Telegram bot in production are answers to these methods: HTML Telegram
cannot parse, text over 4096 characters (counted in UTF-16), callback data over 64 bytes, an
edit that changes nothing ("message is not modified"), a reply to a deleted message, a chat
that blocked the bot (403) or was upgraded to a supergroup (400 with ``migrate_to_chat_id``).
Every handler here refuses what Telegram refuses, with Telegram's own description, so the
bot's error handling is exercised by the same answers it meets in production.
"""

from __future__ import annotations

import copy
import re
import time
from typing import Any

from tests.support.botapi.files import FileMethods
from tests.support.botapi.model import (
    CALLBACK_DATA_LIMIT,
    CAPTION_LIMIT,
    NOT_MODIFIED,
    QUERY_TOO_OLD,
    TEXT_LIMIT,
    ApiError,
    Files,
    JSONDict,
    StoredMessage,
    bad,
)
from tests.support.botapi.state import api_method
from tests.support.botapi_html import FormattedText, TextError, prepare_text

SEND_METHODS = frozenset({"sendMessage", "sendPhoto", "sendDocument"})
"""Methods that put a new message into a chat (what ``BotApiServer.sent`` lists)."""


def _clean(value: Any) -> Any:
    """Drop ``None`` members recursively so markups compare like Telegram compares them."""
    if isinstance(value, dict):
        return {key: _clean(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_clean(item) for item in value]
    return value


def check_markup(markup: Any) -> JSONDict | None:
    """Validate ``reply_markup``; return the inline keyboard Telegram echoes, if any.

    Raises:
        ApiError: What Telegram answers to a malformed keyboard, a text-only inline button,
            callback data outside 1-64 bytes, or a URL it does not accept.
    """
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad("can't parse reply keyboard markup JSON object")
    markup = _clean(markup)
    if "inline_keyboard" not in markup:
        if not any(k in markup for k in ("keyboard", "remove_keyboard", "force_reply")):
            raise bad("can't parse reply keyboard markup JSON object")
        return None
    rows = markup["inline_keyboard"]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad("can't parse inline keyboard button: InlineKeyboardButton must be an Object")
    for button in (button for row in rows for button in row):
        if not isinstance(button, dict) or not isinstance(button.get("text"), str):
            raise bad("can't parse inline keyboard button: Text must be a String")
        actions = set(button) - {"text", "icon_custom_emoji_id", "style"}
        if not actions:
            raise bad("text buttons are unallowed in the inline keyboard")
        if "callback_data" in button:
            data = button["callback_data"]
            if not isinstance(data, str) or not 1 <= len(data.encode()) <= CALLBACK_DATA_LIMIT:
                raise bad("BUTTON_DATA_INVALID")
        if "url" in button and not re.match(r"^(https?|tg)://\S+$", str(button["url"])):
            raise bad("BUTTON_URL_INVALID")
    return markup


def _set_text(message: JSONDict, formatted: FormattedText, *, caption: bool) -> None:
    key, entities_key = ("caption", "caption_entities") if caption else ("text", "entities")
    message.pop(key, None)
    message.pop(entities_key, None)
    if formatted.text:
        message[key] = formatted.text
    if formatted.entities:
        message[entities_key] = formatted.entities


class MessageMethods(FileMethods):
    """``sendMessage``/``Photo``/``Document``, ``edit*``, ``deleteMessage``, button answers."""

    def _format(self, p: JSONDict, key: str, *, caption: bool = False) -> FormattedText:
        """Parse ``p[key]`` as Telegram would (HTML, entities, length in UTF-16)."""
        value = p.get(key)
        if value is not None and not isinstance(value, str):
            value = str(value)
        try:
            return prepare_text(
                value,
                parse_mode=p.get("parse_mode"),
                entities=p.get("caption_entities" if caption else "entities"),
                limit=CAPTION_LIMIT if caption else TEXT_LIMIT,
                is_caption=caption,
                strict_ampersand=self.strict_ampersand,
                users=self._users,
            )
        except TextError as error:
            raise ApiError(400, error.description) from error

    def _reply_target(self, p: JSONDict, chat_id: int) -> JSONDict | None:
        """Resolve ``reply_parameters`` / ``reply_to_message_id`` to the replied message."""
        parameters = p.get("reply_parameters")
        if isinstance(parameters, dict):
            message_id = parameters.get("message_id")
            target_chat = parameters.get("chat_id", chat_id)
            allow_missing = bool(parameters.get("allow_sending_without_reply"))
        elif p.get("reply_to_message_id") is not None:
            message_id = p["reply_to_message_id"]
            target_chat = chat_id
            allow_missing = bool(p.get("allow_sending_without_reply"))
        else:
            return None
        stored = self._stored(self._resolve_chat(target_chat), message_id)
        if stored is None:
            if allow_missing:
                return None
            raise bad("message to be replied not found")
        return self._as_reply(stored)

    def _deliver(
        self, p: JSONDict, chat_id: int, content: JSONDict, *, raw_text: str | None,
        markup: JSONDict | None,
    ) -> JSONDict:  # fmt: skip
        """Store a message the bot sends and return it as Telegram's ``Message``."""
        reply = self._reply_target(p, chat_id)
        message = self._new_message(chat_id, self._bot, p.get("message_thread_id"))
        if reply is not None:
            message["reply_to_message"] = reply
        message.update(content)
        if markup is not None:
            message["reply_markup"] = markup
        sent_markup = p.get("reply_markup") if isinstance(p.get("reply_markup"), dict) else None
        self._messages[(chat_id, message["message_id"])] = StoredMessage(
            message=message,
            raw_text=raw_text,
            parse_mode=p.get("parse_mode"),
            sent_markup=copy.deepcopy(sent_markup),
        )
        return copy.deepcopy(message)

    @api_method("sendMessage")
    def _send_message(self, p: JSONDict, files: Files) -> Any:
        chat_id = self._resolve_chat(p.get("chat_id"))
        formatted = self._format(p, "text")
        markup = check_markup(p.get("reply_markup"))
        self._check_blocked(chat_id)
        content: JSONDict = {}
        _set_text(content, formatted, caption=False)
        return self._deliver(p, chat_id, content, raw_text=p.get("text"), markup=markup)

    def _send_media(self, p: JSONDict, files: Files, kind: str) -> Any:
        chat_id = self._resolve_chat(p.get("chat_id"))
        formatted = self._format(p, "caption", caption=True)
        markup = check_markup(p.get("reply_markup"))
        self._check_blocked(chat_id)
        stored = self._input_file(p.get(kind), files, kind, kind)
        content = self._media_content(stored, kind)
        _set_text(content, formatted, caption=True)
        return self._deliver(p, chat_id, content, raw_text=p.get("caption"), markup=markup)

    @api_method("sendPhoto")
    def _send_photo(self, p: JSONDict, files: Files) -> Any:
        return self._send_media(p, files, "photo")

    @api_method("sendDocument")
    def _send_document(self, p: JSONDict, files: Files) -> Any:
        return self._send_media(p, files, "document")

    def _editable(self, p: JSONDict) -> tuple[int, StoredMessage]:
        """The message an edit targets: only the bot's own, and not an inline message."""
        if p.get("inline_message_id"):
            raise bad("MESSAGE_ID_INVALID")
        chat_id = self._resolve_chat(p.get("chat_id"))
        if p.get("message_id") is None:
            raise bad("message identifier is not specified")
        stored = self._stored(chat_id, p.get("message_id"))
        if stored is None:
            raise bad("message to edit not found")
        if not stored.from_bot:
            raise bad("message can't be edited")
        self._check_blocked(chat_id)
        return chat_id, stored

    def _apply_edit(
        self, stored: StoredMessage, changed: JSONDict, p: JSONDict, raw: str | None
    ) -> JSONDict:
        """Apply an edit, or refuse it with "message is not modified" if nothing changes."""
        if all(stored.message.get(key) == value for key, value in changed.items()):
            raise ApiError(400, NOT_MODIFIED)
        stored.history.append(copy.deepcopy(stored.message))
        for key, value in changed.items():
            if value is None:
                stored.message.pop(key, None)
            else:
                stored.message[key] = value
        stored.message["edit_date"] = int(time.time())
        if raw is not None:
            stored.raw_text, stored.parse_mode = raw, p.get("parse_mode")
        if "reply_markup" in changed:
            markup = p.get("reply_markup")
            stored.sent_markup = copy.deepcopy(markup) if isinstance(markup, dict) else None
        return copy.deepcopy(stored.message)

    @api_method("editMessageText")
    def _edit_message_text(self, p: JSONDict, files: Files) -> Any:
        formatted = self._format(p, "text")
        markup = check_markup(p.get("reply_markup"))
        _, stored = self._editable(p)
        if "text" not in stored.message:
            raise bad("there is no text in the message to edit")
        changed = {
            "text": formatted.text,
            "entities": formatted.entities or None,
            "reply_markup": markup,  # omitted markup removes the keyboard, as on Telegram
        }
        return self._apply_edit(stored, changed, p, p.get("text"))

    @api_method("editMessageReplyMarkup")
    def _edit_message_reply_markup(self, p: JSONDict, files: Files) -> Any:
        markup = check_markup(p.get("reply_markup"))
        _, stored = self._editable(p)
        return self._apply_edit(stored, {"reply_markup": markup}, p, None)

    @api_method("deleteMessage")
    def _delete_message(self, p: JSONDict, files: Files) -> Any:
        chat_id = self._resolve_chat(p.get("chat_id"))
        stored = self._stored(chat_id, p.get("message_id"))
        if stored is None:
            raise bad("message to delete not found")
        stored.deleted = True
        return True

    @api_method("answerCallbackQuery")
    def _answer_callback_query(self, p: JSONDict, files: Files) -> Any:
        """Each press can be answered once; a second answer is "query is too old"."""
        query = self._callbacks.pop(str(p.get("callback_query_id") or ""), None)
        if query is None:
            raise bad(QUERY_TOO_OLD.removeprefix("Bad Request: "))
        self._answered.append(
            {
                "callback_query_id": query["id"],
                "data": query.get("data"),
                "from": query["from"],
                "text": p.get("text"),
                "show_alert": bool(p.get("show_alert")),
                "url": p.get("url"),
                "cache_time": p.get("cache_time"),
            }
        )
        return True
