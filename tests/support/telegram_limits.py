"""Telegram's rules for one Bot API request, as Telegram applies them (for recorded requests).

A request that breaks one fails on Telegram ("Bad Request: message is too long", "can't parse
entities"), so a handler that sends it fails in front of the person. The rules are those of
:class:`~tests.support.botapi.BotApiServer`: its HTML parser and markup checks are reused.
"""

from __future__ import annotations

import json
from typing import Any

from tests.support.botapi import CAPTION_LIMIT, TEXT_LIMIT, ApiError
from tests.support.botapi.messages import check_markup
from tests.support.botapi_html import TextError, prepare_text

CALLBACK_ANSWER_LIMIT = 200
BUTTON_TEXT_LIMIT = 64 * 4  # Telegram cuts long labels; an empty one is refused

_TEXT_METHODS = {"sendMessage", "editMessageText"}
_CAPTION_METHODS = {
    "sendPhoto", "sendDocument", "sendVideo", "sendAudio", "sendAnimation", "sendVoice",
    "editMessageCaption", "copyMessage",
}  # fmt: skip


def _decoded(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def violations(method: str, params: dict[str, Any]) -> list[str]:
    """What Telegram would refuse in this request; empty when it would accept it."""
    found: list[str] = []
    mode = params.get("parse_mode")
    try:
        if method in _TEXT_METHODS:
            prepare_text(params.get("text"), parse_mode=mode, limit=TEXT_LIMIT)
        if method in _CAPTION_METHODS and params.get("caption") is not None:
            prepare_text(
                params.get("caption"), parse_mode=mode, limit=CAPTION_LIMIT, is_caption=True
            )
    except TextError as exc:
        found.append(f"{method}: {exc.description}")
    if method == "answerCallbackQuery":
        text = params.get("text") or ""
        if len(text) > CALLBACK_ANSWER_LIMIT:
            found.append(f"answerCallbackQuery: text of {len(text)} characters")
    markup = _decoded(params.get("reply_markup"))
    if markup is not None:
        try:
            check_markup(markup)
        except ApiError as exc:
            found.append(f"{method}: {exc.description}")
        for row in (markup or {}).get("inline_keyboard", []) if isinstance(markup, dict) else []:
            for button in row:
                label = str(button.get("text", ""))
                if not label.strip() or len(label) > BUTTON_TEXT_LIMIT:
                    found.append(f"{method}: button label {label[:40]!r} ({len(label)} chars)")
    return found
