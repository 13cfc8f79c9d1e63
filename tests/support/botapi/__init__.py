"""A local HTTP server that speaks the Telegram Bot API, for tests.

Tests must exercise the bot's real python-telegram-bot HTTP stack (``HTTPXRequest``, JSON and
multipart encoding, error mapping to ``telegram.error``), not a mocked ``Bot``: most production
failures of Telegram bots live exactly there (HTML Telegram refuses, callback data over 64
bytes, "message is not modified", a blocked user). This server answers like Telegram does,
including those errors, so the same mistakes fail in tests.

It imitates only the methods the bot (and python-telegram-bot on its behalf) calls: any other
gets Telegram's 404 "Not Found: method not found" (PTB raises ``InvalidToken``), so a test of
a new call fails at once and shows where to add it.

One module per area, each imitating one side of Telegram:

- :mod:`~tests.support.botapi.model`: Telegram's objects, limits and error texts.
- :mod:`~tests.support.botapi.state`: what Telegram knows (users, chats, messages, updates).
- :mod:`~tests.support.botapi.transport`: the HTTP server, routing and request parsing.
- :mod:`~tests.support.botapi.polling`: ``getUpdates`` long polling and the webhook.
- :mod:`~tests.support.botapi.faults`: 429 flood control, errors and slow answers on demand.
- :mod:`~tests.support.botapi.messages`: send, edit, delete a message, answer a button press.
- :mod:`~tests.support.botapi.files`: uploads, ``getFile`` and downloads.
- :mod:`~tests.support.botapi.chats`: members, blocked chats, groups upgraded to supergroups.
- :mod:`~tests.support.botapi.users`: what users do, as updates for the bot.
- :mod:`~tests.support.botapi.inspection`: what the bot did, and waiting for it.

Usage::

    with BotApiServer() as api:
        bot = telegram.Bot(api.token, base_url=api.base_url, base_file_url=api.base_file_url)
        user = make_user(42, "Budi")
        api.user_message(user, "/start")
        call = await api.wait_for("sendMessage", chat_id=42)
        assert "Selamat datang" in call.text
"""

from __future__ import annotations

from tests.support.botapi.inspection import Inspection
from tests.support.botapi.messages import MessageMethods
from tests.support.botapi.model import (
    ANONYMOUS_ADMIN,
    CALLBACK_DATA_LIMIT,
    CAPTION_LIMIT,
    DEFAULT_BOT_USERNAME,
    DEFAULT_TOKEN,
    MAX_DOWNLOAD_SIZE,
    MAX_UPLOAD_SIZE,
    TEXT_LIMIT,
    ApiCall,
    ApiError,
    JSONDict,
    StoredFile,
    StoredMessage,
    UploadedFile,
    inline_buttons,
    make_user,
)
from tests.support.botapi.transport import HttpTransport
from tests.support.botapi.users import UserActions

__all__ = [
    "ANONYMOUS_ADMIN",
    "CALLBACK_DATA_LIMIT",
    "CAPTION_LIMIT",
    "DEFAULT_BOT_USERNAME",
    "DEFAULT_TOKEN",
    "MAX_DOWNLOAD_SIZE",
    "MAX_UPLOAD_SIZE",
    "TEXT_LIMIT",
    "ApiCall",
    "ApiError",
    "BotApiServer",
    "JSONDict",
    "StoredFile",
    "StoredMessage",
    "UploadedFile",
    "inline_buttons",
    "make_user",
]


class BotApiServer(UserActions, Inspection, MessageMethods, HttpTransport):
    """Fake Telegram Bot API on ``127.0.0.1``, with simulation and inspection helpers.

    Point PTB at it with ``base_url=server.base_url`` and ``base_file_url=server.base_file_url``
    (PTB appends the token). Every public method is thread-safe. Each base class is one area
    (see the package docstring); they share the state of
    :class:`~tests.support.botapi.state.ApiState`.

    Args:
        token: The only token accepted; others get ``401 Unauthorized``.
        bot_username: Username of the bot user (``getMe``).
        bot_first_name: First name of the bot user.
        host: Interface to listen on.
        strict_ampersand: Reject a bare ``&`` in HTML (see :mod:`tests.support.botapi_html`).
        strict_chats: Answer ``chat not found`` for chats no test registered (users seen in
            updates, :meth:`add_user`, :meth:`add_group`); off by default for convenience.
    """
