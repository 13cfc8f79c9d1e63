"""A local HTTP server that speaks the Telegram Bot API, for tests.

Tests must exercise the bot's real python-telegram-bot HTTP stack (``HTTPXRequest``, JSON and
multipart encoding, error mapping to ``telegram.error``), not a mocked ``Bot``: most production
failures of Telegram bots live exactly there (HTML Telegram refuses, callback data over 64
bytes, "message is not modified", a blocked user). This server answers like Telegram does,
including those errors, so the same mistakes fail in tests.

The server runs aiohttp in a dedicated thread with its own event loop. That keeps it alive
independently of the test's event loop and lets a bot running as a subprocess (end-to-end
tests) talk to it too. All state is guarded by one lock; the test side reads copies.

Usage::

    with BotApiServer() as api:
        bot = telegram.Bot(api.token, base_url=api.base_url, base_file_url=api.base_file_url)
        user = make_user(42, "Budi")
        api.user_message(user, "/start")
        call = await api.wait_for("sendMessage", chat_id=42)
        assert "Selamat datang" in call.text
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import mimetypes
import re
import secrets
import socket
import struct
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aiohttp import web

from tests.support.botapi_html import FormattedText, TextError, detect_entities, prepare_text

__all__ = [
    "DEFAULT_BOT_USERNAME",
    "DEFAULT_TOKEN",
    "ApiCall",
    "BotApiServer",
    "StoredFile",
    "StoredMessage",
    "UploadedFile",
    "inline_buttons",
    "make_user",
]

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

# Form fields PTB sends as plain strings; everything else arrives JSON-encoded.
_STRING_PARAMS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "callback_query_id",
        "url",
        "inline_message_id",
        "business_connection_id",
        "language_code",
        "action",
        "secret_token",
        "message_effect_id",
        "file_id",
        "title",
        "description",
        "short_description",
        "name",
        "ip_address",
        "photo",
        "document",
        "video",
        "audio",
        "voice",
        "animation",
        "sticker",
        "thumbnail",
        "emoji",
    }
)
# Update types Telegram leaves out unless they are requested explicitly.
_OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_SEND_METHODS = frozenset({"sendMessage", "sendPhoto", "sendDocument"})
_ADMIN_RIGHTS = (
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
    "can_pin_messages",
    "can_manage_topics",
)
_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
_QUERY_TOO_OLD = (
    "Bad Request: query is too old and response timeout expired or query ID is invalid"
)
_WRONG_FILE = "Bad Request: wrong file identifier/HTTP URL specified"

_HANDLERS: dict[str, str] = {}
_F = TypeVar("_F", bound=Callable[..., Any])


def _api(name: str) -> Callable[[_F], _F]:
    """Register a method as the handler of Bot API method ``name`` (names are case-insensitive
    on Telegram, so dispatch looks them up lower-cased)."""

    def register(function: _F) -> _F:
        _HANDLERS[name] = function.__name__
        return function

    return register


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


_AGAIN = "__redelivered__"
"""Marks an update delivered again, so the offset already confirmed does not drop it."""


def _bad(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


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
        A dict suitable for every ``user`` argument of :class:`BotApiServer`.
    """
    user: JSONDict = {"id": user_id, "is_bot": False, "first_name": first_name}
    if last_name:
        user["last_name"] = last_name
    if username:
        user["username"] = username
    if language_code:
        user["language_code"] = language_code
    return user


ANONYMOUS_ADMIN: JSONDict = {
    "id": 1087968824,
    "is_bot": True,
    "first_name": "Group",
    "username": "GroupAnonymousBot",
}
"""The ``from`` of a message an anonymous group admin sends (``sender_chat`` is the group)."""


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


@dataclass
class _Fault:
    """A scheduled failure or delay for the next matching calls."""

    method: str | None
    remaining: int
    status: int | None = None
    description: str = ""
    parameters: JSONDict | None = None
    delay: float = 0.0

    def matches(self, method: str) -> bool:
        if self.method is None:
            return method != "getUpdates"  # polling is not "a call the bot makes"
        return self.method.lower() == method.lower()


@dataclass
class _Poll:
    """The getUpdates request currently waiting (Telegram allows one at a time)."""

    future: asyncio.Future[None]
    conflict: bool = False


def _image_size(content: bytes) -> tuple[int, int] | None:
    """Read width and height of a PNG or JPEG, so photo sizes look like Telegram's."""
    if content[:8] == b"\x89PNG\r\n\x1a\n" and len(content) >= 24:
        width, height = struct.unpack(">II", content[16:24])
        return int(width), int(height)
    if content[:2] == b"\xff\xd8":
        index = 2
        while index + 9 < len(content):
            if content[index] != 0xFF:
                index += 1
                continue
            marker = content[index + 1]
            length = int.from_bytes(content[index + 2 : index + 4], "big")
            if marker in (0xC0, 0xC1, 0xC2):
                height, width = struct.unpack(">HH", content[index + 5 : index + 9])
                return int(width), int(height)
            index += 2 + length
    return None


def _coerce(key: str, value: str) -> Any:
    """Decode one form field: PTB JSON-encodes every non-string value (ints, bools, dicts)."""
    if key in _STRING_PARAMS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _clean(value: Any) -> Any:
    """Drop ``None`` members recursively so markups compare like Telegram compares them."""
    if isinstance(value, dict):
        return {key: _clean(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_clean(item) for item in value]
    return value


class BotApiServer:
    """Fake Telegram Bot API on ``127.0.0.1``, with simulation and inspection helpers.

    Point PTB at it with ``base_url=server.base_url`` and ``base_file_url=server.base_file_url``
    (PTB appends the token). Every public method is thread-safe.

    Args:
        token: The only token accepted; others get ``401 Unauthorized``.
        bot_username: Username of the bot user (``getMe``).
        bot_first_name: First name of the bot user.
        host: Interface to listen on.
        strict_ampersand: Reject a bare ``&`` in HTML (see :mod:`tests.support.botapi_html`).
        strict_chats: Answer ``chat not found`` for chats no test registered (users seen in
            updates, :meth:`add_user`, :meth:`add_group`); off by default for convenience.
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        bot_username: str = DEFAULT_BOT_USERNAME,
        bot_first_name: str = "LPSE Test Bot",
        host: str = "127.0.0.1",
        strict_ampersand: bool = True,
        strict_chats: bool = False,
    ) -> None:
        self.token = token
        self.host = host
        self.strict_ampersand = strict_ampersand
        self.strict_chats = strict_chats
        bot_id = int(token.split(":", 1)[0]) if token.split(":", 1)[0].isdigit() else 123456
        self._bot: JSONDict = {
            "id": bot_id,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        self._lock = threading.RLock()
        self._seq = 0
        self._calls: list[ApiCall] = []
        self._consumed: set[int] = set()
        self._updates: list[JSONDict] = []
        self._next_update_id = 1
        self._allowed_updates: list[str] | None = None
        self._users: dict[int, JSONDict] = {}
        self._groups: dict[int, JSONDict] = {}
        self._members: dict[tuple[int, int], str] = {}
        self._messages: dict[tuple[int, int], StoredMessage] = {}
        self._next_message_id: dict[int, int] = {}
        self._files: dict[str, StoredFile] = {}
        self._file_counter = 0
        self._blocked: dict[int, str] = {}  # chat id -> 403 description
        self._migrated: dict[int, int] = {}  # old group id -> the supergroup it became
        self._faults: list[_Fault] = []
        self._callbacks: dict[str, JSONDict] = {}
        self._callback_counter = 0
        self._answered: list[JSONDict] = []
        self._commands: dict[tuple[str, str], list[JSONDict]] = {}
        self._webhook: JSONDict | None = None
        self._inflight = 0
        self._last_activity = 0.0
        self._poll: _Poll | None = None
        self._closing = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._port = 0

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> BotApiServer:
        """Start listening on a free port; returns once requests are accepted.

        Returns:
            ``self``, for chaining.

        Raises:
            RuntimeError: Already started, or the server could not start.
        """
        if self._thread is not None:
            raise RuntimeError("BotApiServer already started")
        ready = threading.Event()
        errors: list[BaseException] = []
        self._closing = False

        def run() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            self._loop = loop
            try:
                loop.run_until_complete(self._startup())
            except BaseException as exc:  # reported to the starting thread
                errors.append(exc)
                ready.set()
                loop.close()
                return
            ready.set()
            try:
                loop.run_forever()
            finally:
                pending = asyncio.all_tasks(loop)
                for task in pending:
                    task.cancel()
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.run_until_complete(loop.shutdown_default_executor())
                loop.close()

        self._thread = threading.Thread(target=run, name="fake-telegram-bot-api", daemon=True)
        self._thread.start()
        if not ready.wait(10) or errors:
            self._thread.join(5)
            self._thread = None
            raise RuntimeError("fake Bot API server did not start") from (
                errors[0] if errors else None
            )
        return self

    async def _startup(self) -> None:
        app = web.Application(client_max_size=MAX_UPLOAD_SIZE + 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        # handler_cancellation: a long poll whose client went away must not linger.
        runner = web.AppRunner(
            app, handler_cancellation=True, access_log=None, shutdown_timeout=2.0
        )
        await runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, 0))
        self._port = sock.getsockname()[1]
        await web.SockSite(runner, sock).start()
        self._runner = runner

    def stop(self) -> None:
        """Close all connections and the server thread; safe to call twice."""
        thread, loop = self._thread, self._loop
        if thread is None or loop is None:
            return
        try:
            asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(timeout=10)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(10)
            self._thread = None
            self._loop = None

    async def _shutdown(self) -> None:
        self._closing = True
        self._wake_poll()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def __enter__(self) -> BotApiServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """TCP port (valid after :meth:`start`)."""
        return self._port

    @property
    def url(self) -> str:
        """Root URL, e.g. ``http://127.0.0.1:41234``."""
        return f"http://{self.host}:{self._port}"

    @property
    def base_url(self) -> str:
        """Value for PTB's ``base_url`` (PTB appends the token)."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """Value for PTB's ``base_file_url`` (PTB appends the token)."""
        return f"{self.url}/file/bot"

    @property
    def bot_user(self) -> JSONDict:
        """The bot's ``User`` as ``getMe`` returns it."""
        return dict(self._bot)

    @property
    def bot_id(self) -> int:
        """The bot's user id (the number before ``:`` in the token)."""
        return int(self._bot["id"])

    @property
    def bot_username(self) -> str:
        """The bot's username, without ``@``."""
        return str(self._bot["username"])

    def bot_kwargs(self) -> JSONDict:
        """``token``/``base_url``/``base_file_url`` keyword arguments for ``telegram.Bot``."""
        return {
            "token": self.token,
            "base_url": self.base_url,
            "base_file_url": self.base_file_url,
        }

    def make_bot(self, **kwargs: Any) -> Any:
        """Create a ``telegram.Bot`` pointed at this server (use as ``async with``).

        Args:
            **kwargs: Extra ``telegram.Bot`` arguments.

        Returns:
            An uninitialised ``telegram.Bot``.
        """
        import telegram  # local: keep the server importable without PTB

        return telegram.Bot(**self.bot_kwargs(), **kwargs)

    # ------------------------------------------------------------------ HTTP layer

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        if path.startswith("/file/bot"):
            return self._serve_file(path[len("/file/bot") :])
        if not path.startswith("/bot"):
            return self._error_response(ApiError(404, "Not Found"))
        token, _, method = path[len("/bot") :].partition("/")
        if token != self.token:
            return self._error_response(ApiError(401, "Unauthorized"))
        with self._lock:
            self._seq += 1
            seq = self._seq
        started = time.monotonic()
        canonical = _METHOD_NAMES.get(method.lower(), method)
        polling = canonical == "getUpdates"
        params: JSONDict = {}
        files: dict[str, UploadedFile] = {}
        if not polling:
            self._activity(+1)
        try:
            params, files = await self._read_params(request)
            result, description = await self._execute(canonical, params, files)
            status, body = 200, {"ok": True, "result": result}
            if description:
                body["description"] = description
        except ApiError as error:
            status, body = error.status, self._error_body(error)
        except Exception as exc:  # a bug in this fake: answer visibly instead of hanging
            error = ApiError(500, f"Internal Server Error: fake Bot API failed: {exc!r}")
            status, body = error.status, self._error_body(error)
        finally:
            if not polling:
                self._activity(-1)
        call = ApiCall(
            seq=seq,
            method=canonical,
            params=copy.deepcopy(params),
            files=dict(files),
            status=status,
            result=copy.deepcopy(body.get("result")),
            description=body.get("description") if status != 200 else None,
            started=started,
            finished=time.monotonic(),
        )
        with self._lock:
            self._calls.append(call)
        return web.json_response(body, status=status)

    def _activity(self, delta: int) -> None:
        with self._lock:
            self._inflight += delta
            self._last_activity = time.monotonic()

    @staticmethod
    def _error_body(error: ApiError) -> JSONDict:
        body: JSONDict = {
            "ok": False,
            "error_code": error.status,
            "description": error.description,
        }
        if error.parameters:
            body["parameters"] = error.parameters
        return body

    def _error_response(self, error: ApiError) -> web.Response:
        return web.json_response(self._error_body(error), status=error.status)

    @staticmethod
    async def _read_params(request: web.Request) -> tuple[JSONDict, dict[str, UploadedFile]]:
        """Accept query string, JSON, urlencoded and multipart bodies, like Telegram."""
        params: JSONDict = {key: _coerce(key, value) for key, value in request.query.items()}
        files: dict[str, UploadedFile] = {}
        if not request.body_exists:
            return params, files
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError as exc:
                raise _bad("can't parse JSON object") from exc
            if isinstance(body, dict):
                params.update(body)
            return params, files
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, web.FileField):
                files[key] = UploadedFile(
                    key, value.filename, value.content_type, value.file.read()
                )
            else:
                params[key] = _coerce(key, str(value))
        return params, files

    def _serve_file(self, rest: str) -> web.Response:
        token, _, file_path = rest.partition("/")
        if token != self.token:
            return self._error_response(ApiError(401, "Unauthorized"))
        with self._lock:
            stored = next((f for f in self._files.values() if f.file_path == file_path), None)
        if stored is None or not file_path:
            return self._error_response(ApiError(404, "Not Found"))
        return web.Response(
            body=stored.content, content_type=stored.mime_type or "application/octet-stream"
        )

    async def _execute(
        self, method: str, params: JSONDict, files: dict[str, UploadedFile]
    ) -> tuple[Any, str | None]:
        fault = self._take_fault(method)
        if fault is not None:
            if fault.delay:
                await asyncio.sleep(fault.delay)
            if fault.status is not None:
                raise ApiError(fault.status, fault.description, fault.parameters)
        if method not in _HANDLERS:
            raise ApiError(404, "Not Found: method not found")
        if method == "getUpdates":
            return await self._get_updates(params), None
        with self._lock:
            result = getattr(self, _HANDLERS[method])(params, files)
        if isinstance(result, _Described):
            return result.result, result.description
        return result, None

    def _take_fault(self, method: str) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.remaining > 0 and fault.matches(method):
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self._faults.remove(fault)
                    return fault
        return None

    # ------------------------------------------------------------------ getUpdates

    def _wake_poll(self) -> None:
        """Resolve the waiting long poll (runs on the server loop)."""
        poll = self._poll
        if poll is not None and not poll.future.done():
            poll.future.set_result(None)

    def _notify_updates(self) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            # RuntimeError: the loop closed in between, so nobody is polling any more.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._wake_poll)

    def _confirm(self, offset: int) -> None:
        if offset > 0:
            # A redelivered update survives one confirmation (it comes back with an old id).
            self._updates = [u for u in self._updates if u["update_id"] >= offset or u.get(_AGAIN)]
        elif offset < 0:
            self._updates = self._updates[offset:]

    def _take_updates(self, limit: int) -> list[JSONDict]:
        allowed = self._allowed_updates
        kept: list[JSONDict] = []
        for update in self._updates:
            kind = next(key for key in update if key != "update_id")
            wanted = kind in allowed if allowed else kind not in _OPT_IN_UPDATES
            if wanted:
                kept.append(update)
        self._updates = kept  # not allowed: dropped for good, as Telegram does
        batch = copy.deepcopy(kept[:limit])
        for update in kept[:limit]:
            update.pop(_AGAIN, None)
        for update in batch:
            update.pop(_AGAIN, None)
        return batch

    @_api("getUpdates")
    async def _get_updates(self, p: JSONDict) -> list[JSONDict]:
        """Long polling: answer at once if updates are pending, else wait up to ``timeout``."""
        offset = int(p.get("offset") or 0)
        limit = min(max(int(p.get("limit") or 100), 1), 100)
        timeout = max(float(p.get("timeout") or 0), 0.0)
        with self._lock:
            if self._webhook is not None:
                raise ApiError(
                    409,
                    "Conflict: can't use getUpdates method while webhook is active; use "
                    "deleteWebhook to delete the webhook first",
                )
            allowed = p.get("allowed_updates")
            if isinstance(allowed, list):
                self._allowed_updates = [str(kind) for kind in allowed] or None
            self._confirm(offset)
            batch = self._take_updates(limit)
        if batch or timeout == 0 or self._closing:
            return batch
        loop = asyncio.get_running_loop()
        if self._poll is not None:  # Telegram terminates the older request
            self._poll.conflict = True
            self._wake_poll()
        poll = _Poll(loop.create_future())
        self._poll = poll
        deadline = loop.time() + timeout
        try:
            while True:
                remaining = deadline - loop.time()
                if remaining <= 0 or self._closing:
                    return []
                try:
                    await asyncio.wait_for(asyncio.shield(poll.future), remaining)
                except TimeoutError:
                    return []
                if poll.conflict:
                    raise ApiError(
                        409,
                        "Conflict: terminated by other getUpdates request; make sure that only "
                        "one bot instance is running",
                    )
                poll.future = loop.create_future()
                with self._lock:
                    batch = self._take_updates(limit)
                if batch or self._closing:
                    return batch
        finally:
            if self._poll is poll:
                self._poll = None

    # ------------------------------------------------------------------ helpers for handlers

    def _resolve_chat(self, value: Any, *, name: str = "chat_id") -> int:
        """Turn a ``chat_id`` parameter into an int id, as Telegram does (``@username`` too)."""
        if value is None or value == "":
            raise _bad(f"{name} is empty")
        if isinstance(value, bool):
            raise _bad("chat not found")
        if isinstance(value, int):
            chat_id = value
        elif isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
            chat_id = int(value)
        elif isinstance(value, str) and value.startswith("@"):
            wanted = value[1:].lower()
            for known in [*self._users.values(), *self._groups.values()]:
                if str(known.get("username", "")).lower() == wanted:
                    return int(known["id"])
            raise _bad("chat not found")
        else:
            raise _bad("chat not found")
        if chat_id == 0 or (self.strict_chats and not self._chat_known(chat_id)):
            raise _bad("chat not found")
        return chat_id

    def _chat_known(self, chat_id: int) -> bool:
        return chat_id in self._users if chat_id > 0 else chat_id in self._groups

    def _chat(self, chat_id: int) -> JSONDict:
        """The ``Chat`` object: private for positive ids, supergroup for negative ones."""
        if chat_id > 0:
            user = self._users.get(chat_id) or make_user(chat_id, f"User {chat_id}")
            chat: JSONDict = {"id": chat_id, "type": "private"}
            for key in ("first_name", "last_name", "username"):
                if user.get(key):
                    chat[key] = user[key]
            return chat
        group = self._groups.get(chat_id) or {"type": "supergroup", "title": f"Group {chat_id}"}
        chat = {"id": chat_id, "type": group["type"], "title": group["title"]}
        if group.get("username"):
            chat["username"] = group["username"]
        if group.get("is_forum"):
            chat["is_forum"] = True
        return chat

    def _check_blocked(self, chat_id: int) -> None:
        new_id = self._migrated.get(chat_id)
        if new_id is not None:
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": new_id},
            )
        description = self._blocked.get(chat_id)
        if description is not None:
            raise ApiError(403, description)

    def _forbidden(self, chat_id: int, status: str = "kicked") -> str:
        """Telegram's 403 description for a chat the bot was blocked in or removed from."""
        if chat_id > 0:
            return "Forbidden: bot was blocked by the user"
        kind = self._chat(chat_id)["type"]
        if status == "left":
            return f"Forbidden: bot is not a member of the {kind} chat"
        return f"Forbidden: bot was kicked from the {kind} chat"

    def _new_message(
        self, chat_id: int, sender: JSONDict, thread_id: Any = None, date: int | None = None
    ) -> JSONDict:
        message_id = self._next_message_id.get(chat_id, 1)
        self._next_message_id[chat_id] = message_id + 1
        message: JSONDict = {
            "message_id": message_id,
            "from": dict(sender),
            "chat": self._chat(chat_id),
            "date": date if date is not None else int(time.time()),
        }
        if thread_id:
            message["message_thread_id"] = int(thread_id)
            if self._groups.get(chat_id, {}).get("is_forum"):
                message["is_topic_message"] = True
        return message

    def _stored(self, chat_id: int, message_id: Any) -> StoredMessage | None:
        try:
            key = (chat_id, int(message_id))
        except (TypeError, ValueError):
            return None
        stored = self._messages.get(key)
        return None if stored is None or stored.deleted else stored

    @staticmethod
    def _as_reply(stored: StoredMessage) -> JSONDict:
        reply = copy.deepcopy(stored.message)
        reply.pop("reply_to_message", None)  # Telegram does not nest replies
        return reply

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
            raise _bad("message to be replied not found")
        return self._as_reply(stored)

    @staticmethod
    def _check_markup(markup: Any) -> JSONDict | None:
        """Validate ``reply_markup``; return the inline keyboard Telegram echoes, if any."""
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise _bad("can't parse reply keyboard markup JSON object")
        markup = _clean(markup)
        if "inline_keyboard" not in markup:
            if not any(k in markup for k in ("keyboard", "remove_keyboard", "force_reply")):
                raise _bad("can't parse reply keyboard markup JSON object")
            return None
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise _bad(
                "can't parse inline keyboard button: InlineKeyboardButton must be an Object"
            )
        for button in (button for row in rows for button in row):
            if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                raise _bad("can't parse inline keyboard button: Text must be a String")
            actions = set(button) - {"text", "icon_custom_emoji_id", "style"}
            if not actions:
                raise _bad("text buttons are unallowed in the inline keyboard")
            if "callback_data" in button:
                data = button["callback_data"]
                if not isinstance(data, str) or not 1 <= len(data.encode()) <= CALLBACK_DATA_LIMIT:
                    raise _bad("BUTTON_DATA_INVALID")
            if "url" in button and not re.match(r"^(https?|tg)://\S+$", str(button["url"])):
                raise _bad("BUTTON_URL_INVALID")
        return markup

    def _format(self, p: JSONDict, key: str, *, caption: bool = False) -> FormattedText:
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

    @staticmethod
    def _set_text(message: JSONDict, formatted: FormattedText, *, caption: bool) -> None:
        key, entities_key = ("caption", "caption_entities") if caption else ("text", "entities")
        message.pop(key, None)
        message.pop(entities_key, None)
        if formatted.text:
            message[key] = formatted.text
        if formatted.entities:
            message[entities_key] = formatted.entities

    def _deliver(
        self,
        p: JSONDict,
        chat_id: int,
        content: JSONDict,
        *,
        raw_text: str | None,
        markup: JSONDict | None,
    ) -> JSONDict:
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

    # ------------------------------------------------------------------ files

    def _new_file(
        self,
        content: bytes,
        kind: str,
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
        uploaded: bool = False,
    ) -> StoredFile:
        self._file_counter += 1
        number = self._file_counter
        prefix = {"photo": "AgAC", "document": "BQAC", "video": "BAAC", "audio": "CQAC"}
        file_id = f"{prefix.get(kind, 'BQAC')}{number:05d}{secrets.token_hex(10)}"
        unique = f"AQAD{number:05d}{secrets.token_hex(3)}"
        folder = {"photo": "photos", "video": "videos", "audio": "music"}.get(kind, "documents")
        extension = ".jpg" if kind == "photo" else ""
        if kind != "photo" and file_name and "." in file_name:
            extension = "." + file_name.rsplit(".", 1)[1]
        stored = StoredFile(
            file_id=file_id,
            file_unique_id=unique,
            content=content,
            kind=kind,
            file_name=file_name if kind != "photo" else None,
            mime_type=mime_type if kind != "photo" else "image/jpeg",
            file_path=f"{folder}/file_{number}{extension}",
            uploaded_by_bot=uploaded,
        )
        self._files[file_id] = stored
        return stored

    def _new_photo(self, content: bytes, *, uploaded: bool) -> StoredFile:
        """Register a photo the way Telegram does: several sizes, each its own file."""
        width, height = _image_size(content) or (800, 600)
        scale = min(1.0, 90 / max(width, height, 1))
        thumb = self._new_file(content, "photo", uploaded=uploaded)
        thumb.width, thumb.height = max(int(width * scale), 1), max(int(height * scale), 1)
        main = self._new_file(content, "photo", uploaded=uploaded)
        main.width, main.height = width, height
        sizes = [
            {
                "file_id": item.file_id,
                "file_unique_id": item.file_unique_id,
                "file_size": len(item.content),
                "width": item.width,
                "height": item.height,
            }
            for item in (thumb, main)
        ]
        thumb.sizes, main.sizes = sizes[:1], sizes
        return main

    @staticmethod
    def _file_object(stored: StoredFile) -> JSONDict:
        result: JSONDict = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.content),
        }
        if stored.kind == "photo":
            return result
        if stored.file_name:
            result["file_name"] = stored.file_name
        if stored.mime_type:
            result["mime_type"] = stored.mime_type
        if stored.kind in ("video", "audio"):
            result["duration"] = 0
        if stored.kind == "video":
            result.update(width=0, height=0)
        return result

    def _input_file(
        self,
        value: Any,
        files: Mapping[str, UploadedFile],
        field_name: str,
        kind: str,
    ) -> StoredFile:
        """Resolve a file parameter: multipart upload, ``attach://``, file_id or URL.

        PTB uploads the file of ``sendPhoto`` as a multipart part named like the parameter
        itself (``photo``); ``attach://<part>`` names another part, as Telegram allows.
        """
        upload = files.get(field_name)
        if isinstance(value, str) and value.startswith("attach://"):
            upload = files.get(value[len("attach://") :])
            if upload is None:
                raise _bad(_WRONG_FILE.removeprefix("Bad Request: "))
        if upload is not None:
            if not upload.content:
                raise _bad("file must be non-empty")
            if kind == "photo":
                return self._new_photo(upload.content, uploaded=True)
            mime = upload.content_type or mimetypes.guess_type(upload.filename)[0]
            return self._new_file(
                upload.content, kind, file_name=upload.filename, mime_type=mime, uploaded=True
            )
        if not value:
            raise _bad(f"there is no {field_name} in the request")
        if not isinstance(value, str):
            raise _bad(_WRONG_FILE.removeprefix("Bad Request: "))
        if re.match(r"^https?://", value):  # Telegram would download it; we cannot
            name = value.rstrip("/").rsplit("/", 1)[-1] or "file"
            if kind == "photo":
                return self._new_photo(b"", uploaded=True)
            return self._new_file(b"", kind, file_name=name, uploaded=True)
        stored = self._files.get(value)
        if stored is None:
            raise _bad(_WRONG_FILE.removeprefix("Bad Request: "))
        if (stored.kind == "photo") != (kind == "photo"):
            raise _bad("type of file mismatch")
        return stored

    def _media_content(self, stored: StoredFile, kind: str) -> JSONDict:
        if kind == "photo":
            return {"photo": copy.deepcopy(stored.sizes or [self._file_object(stored)])}
        return {kind: self._file_object(stored)}

    # ------------------------------------------------------------------ Bot API methods

    @_api("getMe")
    def _get_me(self, p: JSONDict, files: Mapping[str, UploadedFile]) -> Any:
        return dict(self._bot)

    @_api("setWebhook")
    def _set_webhook(self, p: JSONDict, files: Mapping[str, UploadedFile]) -> Any:
        url = str(p.get("url") or "")
        if not url:
            self._webhook = None
            return _Described(True, "Webhook was deleted")
        if not url.startswith("https://"):
            raise _bad("bad webhook: An HTTPS URL must be provided for webhook")
        if p.get("drop_pending_updates"):
            self._updates.clear()
        self._webhook = {
            "url": url,
            "max_connections": int(p.get("max_connections") or 40),
            "allowed_updates": p.get("allowed_updates"),
            "secret_token": p.get("secret_token"),
        }
        return _Described(True, "Webhook was set")

    @_api("deleteWebhook")
    def _delete_webhook(self, p: JSONDict, files: Mapping[str, UploadedFile]) -> Any:
        if p.get("drop_pending_updates"):
            self._updates.clear()
        existed, self._webhook = self._webhook is not None, None
        return _Described(True, "Webhook was deleted" if existed else "Webhook is already deleted")

    @staticmethod
    def _scope_key(scope: Any, language_code: Any) -> tuple[str, str]:
        if hasattr(scope, "to_dict"):
            scope = scope.to_dict()
        if isinstance(scope, str):
            scope = {"type": scope}
        if not isinstance(scope, dict):
            scope = {"type": "default"}
        return json.dumps(scope, sort_keys=True), str(language_code or "")

    @_api("setMyCommands")
    def _set_my_commands(self, p: JSONDict, files: Mapping[str, UploadedFile]) -> Any:
        commands = p.get("commands")
        if not isinstance(commands, list):
            raise _bad("can't parse commands JSON object")
        if len(commands) > 100:
            raise _bad("too many commands specified")
        cleaned: list[JSONDict] = []
        for command in commands:
            if not isinstance(command, dict):
                raise _bad("can't parse BotCommand JSON object")
            name = str(command.get("command", ""))
            description = str(command.get("description", ""))
            if not re.fullmatch(r"[a-z0-9_]{1,32}", name):
                raise _bad("BOT_COMMAND_INVALID")
            if not 1 <= len(description) <= 256:
                raise _bad("BOT_COMMAND_DESCRIPTION_INVALID")
            cleaned.append({"command": name, "description": description})
        self._commands[self._scope_key(p.get("scope"), p.get("language_code"))] = cleaned
        return True

    @_api("getChat")
    def _get_chat(self, p: JSONDict, files: Mapping[str, UploadedFile]) -> Any:
        chat_id = self._resolve_chat(p.get("chat_id"))
        info = self._chat(chat_id)
        info.update(
            accent_color_id=0,
            max_reaction_count=11,
            accepted_gift_types={
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        )
        return info

    def _member_object(self, chat_id: int, user: JSONDict, status: str | None = None) -> JSONDict:
        if status is not None:
            pass
        elif user["id"] == self._bot["id"]:
            status = self._members.get((chat_id, user["id"]), "administrator")
        else:
            default = "member" if chat_id > 0 or user["id"] in self._users else "left"
            status = self._members.get((chat_id, user["id"]), default)
        member: JSONDict = {"status": status, "user": dict(user)}
        if status == "creator":
            member["is_anonymous"] = False
        elif status == "administrator":
            member.update(dict.fromkeys(_ADMIN_RIGHTS, True))
            member.update(can_be_edited=False, is_anonymous=False, can_promote_members=False)
        elif status == "kicked":
            member["until_date"] = 0
        return member

    @_api("getChatMember")
    def _get_chat_member(self, p: JSONDict, files: Mapping[str, UploadedFile]) -> Any:
        chat_id = self._resolve_chat(p.get("chat_id"))
        user_id = int(p.get("user_id") or 0)
        if user_id == self._bot["id"]:
            user = dict(self._bot)
        elif user_id in self._users:
            user = self._users[user_id]
        else:
            raise _bad("user not found")
        return self._member_object(chat_id, user)

    @_api("answerCallbackQuery")
    def _answer_callback_query(self, p: JSONDict, files: Mapping[str, UploadedFile]) -> Any:
        query = self._callbacks.pop(str(p.get("callback_query_id") or ""), None)
        if query is None:
            raise _bad(_QUERY_TOO_OLD.removeprefix("Bad Request: "))
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

    @_api("sendMessage")
    def _send_message(self, p: JSONDict, files: Mapping[str, UploadedFile]) -> Any:
        chat_id = self._resolve_chat(p.get("chat_id"))
        formatted = self._format(p, "text")
        markup = self._check_markup(p.get("reply_markup"))
        self._check_blocked(chat_id)
        content: JSONDict = {}
        self._set_text(content, formatted, caption=False)
        return self._deliver(p, chat_id, content, raw_text=p.get("text"), markup=markup)

    def _send_media(self, p: JSONDict, files: Mapping[str, UploadedFile], kind: str) -> Any:
        chat_id = self._resolve_chat(p.get("chat_id"))
        formatted = self._format(p, "caption", caption=True)
        markup = self._check_markup(p.get("reply_markup"))
        self._check_blocked(chat_id)
        stored = self._input_file(p.get(kind), files, kind, kind)
        content = self._media_content(stored, kind)
        self._set_text(content, formatted, caption=True)
        return self._deliver(p, chat_id, content, raw_text=p.get("caption"), markup=markup)

    @_api("sendPhoto")
    def _send_photo(self, p: JSONDict, files: Mapping[str, UploadedFile]) -> Any:
        return self._send_media(p, files, "photo")

    @_api("sendDocument")
    def _send_document(self, p: JSONDict, files: Mapping[str, UploadedFile]) -> Any:
        return self._send_media(p, files, "document")

    def _editable(self, p: JSONDict) -> tuple[int, StoredMessage]:
        if p.get("inline_message_id"):
            raise _bad("MESSAGE_ID_INVALID")
        chat_id = self._resolve_chat(p.get("chat_id"))
        if p.get("message_id") is None:
            raise _bad("message identifier is not specified")
        stored = self._stored(chat_id, p.get("message_id"))
        if stored is None:
            raise _bad("message to edit not found")
        if not stored.from_bot:
            raise _bad("message can't be edited")
        self._check_blocked(chat_id)
        return chat_id, stored

    def _apply_edit(
        self, stored: StoredMessage, changed: JSONDict, p: JSONDict, raw: str | None
    ) -> JSONDict:
        if all(stored.message.get(key) == value for key, value in changed.items()):
            raise ApiError(400, _NOT_MODIFIED)
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

    @_api("editMessageText")
    def _edit_message_text(self, p: JSONDict, files: Mapping[str, UploadedFile]) -> Any:
        formatted = self._format(p, "text")
        markup = self._check_markup(p.get("reply_markup"))
        _, stored = self._editable(p)
        if "text" not in stored.message:
            raise _bad("there is no text in the message to edit")
        changed = {
            "text": formatted.text,
            "entities": formatted.entities or None,
            "reply_markup": markup,  # omitted markup removes the keyboard, as on Telegram
        }
        return self._apply_edit(stored, changed, p, p.get("text"))

    @_api("editMessageReplyMarkup")
    def _edit_message_reply_markup(self, p: JSONDict, files: Mapping[str, UploadedFile]) -> Any:
        markup = self._check_markup(p.get("reply_markup"))
        _, stored = self._editable(p)
        return self._apply_edit(stored, {"reply_markup": markup}, p, None)

    @_api("deleteMessage")
    def _delete_message(self, p: JSONDict, files: Mapping[str, UploadedFile]) -> Any:
        chat_id = self._resolve_chat(p.get("chat_id"))
        stored = self._stored(chat_id, p.get("message_id"))
        if stored is None:
            raise _bad("message to delete not found")
        stored.deleted = True
        return True

    @_api("getFile")
    def _get_file(self, p: JSONDict, files: Mapping[str, UploadedFile]) -> Any:
        stored = self._files.get(str(p.get("file_id") or ""))
        if stored is None:
            raise _bad("invalid file_id")
        if len(stored.content) > MAX_DOWNLOAD_SIZE:
            raise _bad("file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.content),
            "file_path": stored.file_path,
        }

    # ------------------------------------------------------------------ simulations

    def block_chat(self, chat_id: int, description: str | None = None) -> None:
        """Make every send/edit to ``chat_id`` fail with 403, as after the user blocked the bot.

        Args:
            chat_id: A private chat (``bot was blocked by the user``) or a group (``bot was
                kicked from the supergroup chat``).
            description: Another 403 description, e.g. ``Forbidden: user is deactivated``.
        """
        with self._lock:
            self._blocked[chat_id] = description or self._forbidden(chat_id)

    def upgrade_group(
        self, old: int, new: int, user: UserLike, *, service_message: bool = True
    ) -> JSONDict | None:
        """Telegram upgrades group ``old`` to supergroup ``new``.

        Every later send to ``old`` fails with 400 and ``migrate_to_chat_id`` (PTB raises
        ``ChatMigrated``). With ``service_message``, the ``migrate_to_chat_id`` service message
        is delivered in ``old`` (returned), as Telegram does.
        """
        title = self._chat(old)["title"] if old in self._groups else "Staf LPSE"
        self.add_group(new, title, chat_type="supergroup")
        sender = self._user(user)
        with self._lock:
            self._migrated[old] = new
            if not service_message:
                return None
            message = self._new_message(old, sender, None)
            message["migrate_to_chat_id"] = new
        return self._enqueue("message", message)

    def redeliver(self, update: JSONDict) -> None:
        """Deliver ``update`` again with its ``update_id`` (a webhook retry, a lost offset)."""
        with self._lock:
            self._updates.append({**copy.deepcopy(update), _AGAIN: True})
        self._notify_updates()

    def unblock_chat(self, chat_id: int) -> None:
        """Undo :meth:`block_chat`."""
        with self._lock:
            self._blocked.pop(chat_id, None)

    def flood(self, method: str | None = None, count: int = 1, retry_after: int = 1) -> None:
        """Answer the next ``count`` calls with ``429 Too Many Requests``.

        Args:
            method: Method name, or ``None`` for any method except ``getUpdates``.
            count: How many calls fail.
            retry_after: Seconds in ``parameters.retry_after`` (PTB raises ``RetryAfter``).
        """
        with self._lock:
            self._faults.append(
                _Fault(
                    method,
                    count,
                    429,
                    f"Too Many Requests: retry after {retry_after}",
                    {"retry_after": retry_after},
                )
            )

    def fail_next(
        self,
        method: str | None,
        status: int = 400,
        description: str = "Bad Request: simulated failure",
        *,
        count: int = 1,
        parameters: JSONDict | None = None,
    ) -> None:
        """Answer the next ``count`` calls of ``method`` with an arbitrary error.

        Args:
            method: Method name, or ``None`` for any method except ``getUpdates``.
            status: HTTP status / ``error_code`` (502 makes PTB raise ``NetworkError``).
            description: Error description.
            count: How many calls fail.
            parameters: Optional ``ResponseParameters`` (e.g. ``{"migrate_to_chat_id": -100}``).
        """
        with self._lock:
            self._faults.append(_Fault(method, count, status, description, parameters))

    def delay_next(self, method: str | None, seconds: float, *, count: int = 1) -> None:
        """Delay the answer to the next ``count`` calls (to provoke PTB ``TimedOut``).

        Args:
            method: Method name, or ``None`` for any method except ``getUpdates``.
            seconds: Delay before the normal answer.
            count: How many calls are delayed.
        """
        with self._lock:
            self._faults.append(_Fault(method, count, delay=seconds))

    # ------------------------------------------------------------------ registry

    def _user(self, user: UserLike) -> JSONDict:
        with self._lock:
            if isinstance(user, int):
                known = self._users.get(user) or make_user(user, f"User {user}")
            else:
                known = dict(user)
                known.setdefault("is_bot", False)
                known.setdefault("first_name", f"User {known['id']}")
            self._users[int(known["id"])] = known
            return dict(known)

    def add_user(self, user: UserLike) -> JSONDict:
        """Register a user (so ``getChat``/``strict_chats`` know it); returns the User dict."""
        return self._user(user)

    def add_group(
        self,
        chat_id: int,
        title: str = "Staf LPSE",
        *,
        chat_type: str = "supergroup",
        is_forum: bool = False,
        username: str | None = None,
    ) -> JSONDict:
        """Register a group chat; returns its ``Chat`` dict.

        Args:
            chat_id: Negative id (supergroups look like ``-100...``).
            title: Group title.
            chat_type: ``supergroup`` or ``group``.
            is_forum: Whether it has topics (messages then carry ``is_topic_message``).
            username: Public username without ``@``.
        """
        if chat_id >= 0:
            raise ValueError("group chat ids are negative")
        with self._lock:
            self._groups[chat_id] = {
                "id": chat_id,
                "type": chat_type,
                "title": title,
                "is_forum": is_forum,
                "username": username,
            }
            return self._chat(chat_id)

    def set_member(self, chat_id: int, user: UserLike, status: str = "member") -> None:
        """Set what ``getChatMember`` answers for ``user`` in ``chat_id``.

        Args:
            chat_id: The chat.
            user: The user (registered as a side effect).
            status: ``creator``, ``administrator``, ``member``, ``left`` or ``kicked``.
        """
        known = self._user(user)
        with self._lock:
            self._members[(chat_id, int(known["id"]))] = status

    def add_file(
        self,
        content: bytes,
        file_name: str = "file.bin",
        mime_type: str | None = None,
        *,
        kind: str = "document",
    ) -> tuple[str, str]:
        """Register a file as if a user had sent it; the bot can then ``getFile`` it.

        Args:
            content: File bytes.
            file_name: Original file name.
            mime_type: MIME type; guessed from ``file_name`` when omitted.
            kind: ``document``, ``photo``, ``video`` or ``audio``.

        Returns:
            ``(file_id, file_unique_id)``.
        """
        with self._lock:
            if kind == "photo":
                stored = self._new_photo(content, uploaded=False)
            else:
                mime = mime_type or mimetypes.guess_type(file_name)[0]
                stored = self._new_file(content, kind, file_name=file_name, mime_type=mime)
            return stored.file_id, stored.file_unique_id

    # ------------------------------------------------------------------ update builders

    def _enqueue(self, kind: str, payload: JSONDict) -> JSONDict:
        with self._lock:
            update = {"update_id": self._next_update_id, kind: copy.deepcopy(payload)}
            self._next_update_id += 1
            self._updates.append(update)
            result = copy.deepcopy(update)
        self._notify_updates()
        return result

    def _user_message(
        self,
        user: UserLike,
        chat_id: int | None,
        content: JSONDict,
        reply_to: int | tuple[int, int] | None,
        message_thread_id: int | None,
    ) -> JSONDict:
        sender = self._user(user)
        with self._lock:
            chat = sender["id"] if chat_id is None else chat_id
            if chat < 0 and chat not in self._groups:
                self.add_group(chat, f"Group {chat}")
            message = self._new_message(chat, sender, message_thread_id)
            if reply_to is not None:
                reply_chat, reply_id = (
                    reply_to if isinstance(reply_to, tuple) else (chat, reply_to)
                )
                replied = self._stored(reply_chat, reply_id)
                if replied is None:
                    raise KeyError(f"no message {reply_id} in chat {reply_chat} to reply to")
                message["reply_to_message"] = self._as_reply(replied)
            message.update(content)
            self._messages[(chat, message["message_id"])] = StoredMessage(
                message=message, raw_text=content.get("text", content.get("caption"))
            )
            return self._enqueue("message", message)

    @staticmethod
    def _text_content(text: str, entities: list[JSONDict] | None, key: str) -> JSONDict:
        content: JSONDict = {key: text}
        found = detect_entities(text) if entities is None else entities
        if found:
            content["entities" if key == "text" else "caption_entities"] = found
        return content

    def user_message(
        self,
        user: UserLike,
        text: str,
        *,
        chat_id: int | None = None,
        reply_to: int | tuple[int, int] | None = None,
        entities: list[JSONDict] | None = None,
        message_thread_id: int | None = None,
    ) -> JSONDict:
        """Enqueue a text message from a user (private chat unless ``chat_id`` is given).

        Args:
            user: A :func:`make_user` dict or a user id.
            text: The text; commands, links, mentions get entities automatically, so
                ``/start`` and ``/start@lpse_test_bot`` reach PTB's ``CommandHandler``.
            chat_id: Target chat; defaults to the private chat with ``user``.
            reply_to: Replied message id in the same chat, or ``(chat_id, message_id)``.
            entities: Explicit entities instead of the automatic ones.
            message_thread_id: Forum topic.

        Returns:
            The update dict that ``getUpdates`` will deliver.
        """
        content = self._text_content(text, entities, "text")
        return self._user_message(user, chat_id, content, reply_to, message_thread_id)

    def edit_message(
        self, user: UserLike, message_id: int, text: str, *, chat_id: int | None = None
    ) -> JSONDict:
        """Enqueue an ``edited_message`` update: ``user`` edited their earlier text message.

        Args:
            user: The author of the message.
            message_id: The message edited (sent before with :meth:`user_message`).
            text: Its new text.
            chat_id: The chat; defaults to the private chat with ``user``.

        Returns:
            The update dict.
        """
        sender = self._user(user)
        with self._lock:
            chat = sender["id"] if chat_id is None else chat_id
            stored = self._stored(chat, message_id)
            if stored is None or stored.message.get("from", {}).get("id") != sender["id"]:
                raise KeyError(f"no message {message_id} by {sender['id']} in chat {chat}")
            message = copy.deepcopy(stored.message)
            for key in ("text", "entities", "caption", "caption_entities"):
                message.pop(key, None)
            message.update(self._text_content(text, None, "text"))
            message["edit_date"] = int(time.time())
            stored.message = message
            stored.raw_text = text
        return self._enqueue("edited_message", message)

    def group_message(
        self,
        chat_id: int,
        user: UserLike,
        text: str,
        *,
        reply_to: int | tuple[int, int] | None = None,
        entities: list[JSONDict] | None = None,
        message_thread_id: int | None = None,
        sender_chat: int | None = None,
    ) -> JSONDict:
        """Enqueue a text message in a (super)group, e.g. staff replying in the staff group.

        Args:
            chat_id: Negative group id (registered as a supergroup if unknown).
            user: The sender.
            text: Message text (entities as in :meth:`user_message`).
            reply_to: Replied message id in the group, or ``(chat_id, message_id)``.
            entities: Explicit entities.
            message_thread_id: Forum topic.
            sender_chat: Sent on behalf of this chat: the group itself for an anonymous admin
                (then ``user`` is :data:`ANONYMOUS_ADMIN`), or a channel.

        Returns:
            The update dict.
        """
        content = self._text_content(text, entities, "text")
        if sender_chat is not None:
            with self._lock:
                content["sender_chat"] = self._chat(sender_chat)
        return self._user_message(user, chat_id, content, reply_to, message_thread_id)

    def user_photo(
        self,
        user: UserLike,
        content: bytes | None = None,
        *,
        file_id: str | None = None,
        caption: str | None = None,
        chat_id: int | None = None,
        reply_to: int | tuple[int, int] | None = None,
    ) -> JSONDict:
        """Enqueue a photo from a user; ``photo`` lists several sizes like Telegram.

        Args:
            user: The sender.
            content: Image bytes (registered as a new photo), or
            file_id: a photo registered before with ``add_file(..., kind="photo")``.
            caption: Optional caption.
            chat_id: Target chat; defaults to the private chat.
            reply_to: As in :meth:`user_message`.

        Returns:
            The update dict.
        """
        with self._lock:
            stored = self._user_file(content, file_id, "photo", None, None)
            body = self._media_content(stored, "photo")
        if caption:
            body.update(self._text_content(caption, None, "caption"))
        return self._user_message(user, chat_id, body, reply_to, None)

    def user_document(
        self,
        user: UserLike,
        content: bytes | None = None,
        *,
        file_name: str = "dokumen.pdf",
        mime_type: str | None = None,
        file_id: str | None = None,
        caption: str | None = None,
        chat_id: int | None = None,
        reply_to: int | tuple[int, int] | None = None,
    ) -> JSONDict:
        """Enqueue a document from a user.

        Args:
            user: The sender.
            content: File bytes (registered as a new document), or
            file_id: a document registered before with :meth:`add_file`.
            file_name: Name of a new document.
            mime_type: MIME type of a new document (guessed from the name if omitted).
            caption: Optional caption.
            chat_id: Target chat; defaults to the private chat.
            reply_to: As in :meth:`user_message`.

        Returns:
            The update dict.
        """
        with self._lock:
            stored = self._user_file(content, file_id, "document", file_name, mime_type)
            body = self._media_content(stored, "document")
        if caption:
            body.update(self._text_content(caption, None, "caption"))
        return self._user_message(user, chat_id, body, reply_to, None)

    def _user_file(
        self,
        content: bytes | None,
        file_id: str | None,
        kind: str,
        file_name: str | None,
        mime_type: str | None,
    ) -> StoredFile:
        if file_id is not None:
            stored = self._files.get(file_id)
            if stored is None or (stored.kind == "photo" and kind != "photo"):
                raise KeyError(f"no {kind} registered with file_id {file_id!r}")
            if kind == "photo" and not stored.sizes:  # add_file() of a document: make it a
                stored.kind = "photo"  # one-size photo referencing that very file
                stored.width, stored.height = _image_size(stored.content) or (800, 600)
                stored.sizes = [
                    {
                        "file_id": stored.file_id,
                        "file_unique_id": stored.file_unique_id,
                        "file_size": len(stored.content),
                        "width": stored.width,
                        "height": stored.height,
                    }
                ]
            return stored
        if content is None:
            raise ValueError("pass content or file_id")
        if kind == "photo":
            return self._new_photo(content, uploaded=False)
        mime = mime_type or mimetypes.guess_type(file_name or "")[0]
        return self._new_file(content, kind, file_name=file_name, mime_type=mime)

    def callback(
        self,
        user: UserLike,
        chat_id: int,
        message_id: int,
        data: str,
        *,
        check: bool = True,
    ) -> JSONDict:
        """Enqueue a button press on a stored bot message.

        The query's ``message`` is the message as it is *now* (after edits), so PTB sees the
        real keyboard, and :meth:`answered_callbacks` later shows the bot's answer.

        Args:
            user: Who pressed.
            chat_id: Chat of the message.
            message_id: The message with the inline keyboard.
            data: ``callback_data`` of the pressed button.
            check: Refuse data that is not on the message's current keyboard (a real user
                cannot press a button that is not there).

        Returns:
            The update dict.

        Raises:
            KeyError: No such message.
            ValueError: ``check`` is on and no button carries ``data``.
        """
        sender = self._user(user)
        with self._lock:
            stored = self._stored(chat_id, message_id)
            if stored is None:
                raise KeyError(f"no message {message_id} in chat {chat_id}")
            datas = [b.get("callback_data") for b in inline_buttons(stored.message)]
            if check and data not in datas:
                raise ValueError(f"no button with callback_data {data!r}; buttons: {datas}")
            self._callback_counter += 1
            query = {
                "id": f"{self.bot_id}{self._callback_counter:08d}",
                "from": sender,
                "message": copy.deepcopy(stored.message),
                "chat_instance": str(abs(hash((chat_id, self.bot_id))) % 10**18),
                "data": data,
            }
            self._callbacks[query["id"]] = query
            return self._enqueue("callback_query", query)

    def press_button(
        self, user: UserLike, chat_id: int, message_id: int, button_text: str
    ) -> JSONDict:
        """Press the inline button whose label is ``button_text`` (see :meth:`callback`).

        Raises:
            ValueError: No callback button with that label on the message.
        """
        with self._lock:
            stored = self._stored(chat_id, message_id)
            buttons = inline_buttons(stored.message if stored else None)
        for button in buttons:
            if button.get("text") == button_text and "callback_data" in button:
                return self.callback(user, chat_id, message_id, button["callback_data"])
        labels = [button.get("text") for button in buttons]
        raise ValueError(f"no callback button {button_text!r}; buttons: {labels}")

    def my_chat_member(
        self,
        user: UserLike,
        *,
        blocked: bool = True,
        chat_id: int | None = None,
        new_status: str | None = None,
    ) -> JSONDict:
        """Enqueue a ``my_chat_member`` update: the user blocked (or unblocked) the bot.

        Blocking also makes sends to the chat fail with 403, as on Telegram.

        Args:
            user: The user acting.
            blocked: ``True`` = blocked (``kicked``), ``False`` = restarted (``member``).
            chat_id: A group instead of the private chat (bot removed/added by ``user``).
            new_status: Explicit new status of the bot (overrides ``blocked``).

        Returns:
            The update dict.
        """
        sender = self._user(user)
        chat = sender["id"] if chat_id is None else chat_id
        status = new_status or ("kicked" if blocked else "member")
        old_status = "member" if status == "kicked" else "kicked"
        if chat < 0 and old_status == "kicked":
            old_status = "left"
        with self._lock:
            if status in ("kicked", "left"):
                self._blocked[chat] = self._forbidden(chat, status)
            else:
                self._blocked.pop(chat, None)
            self._members[(chat, self.bot_id)] = status
            payload = {
                "chat": self._chat(chat),
                "from": sender,
                "date": int(time.time()),
                "old_chat_member": self._member_status(old_status),
                "new_chat_member": self._member_status(status),
            }
            return self._enqueue("my_chat_member", payload)

    def _member_status(self, status: str) -> JSONDict:
        return self._member_object(0, dict(self._bot), status)

    # ------------------------------------------------------------------ inspection

    @property
    def calls(self) -> list[ApiCall]:
        """Every answered request, in arrival order."""
        with self._lock:
            return sorted(self._calls, key=lambda call: call.seq)

    @property
    def requests(self) -> list[tuple[str, JSONDict, Mapping[str, UploadedFile]]]:
        """``(method, params, files)`` for every answered request, in arrival order."""
        return [(call.method, call.params, call.files) for call in self.calls]

    def sent(self, chat_id: int | None = None, method: str | None = None) -> list[ApiCall]:
        """Successful calls that put a message into a chat (``send*``, copy, forward).

        Args:
            chat_id: Only this chat.
            method: Only this method (any successful method, e.g. ``editMessageText``).

        Returns:
            Matching calls, oldest first.
        """
        result = []
        for call in self.calls:
            if not call.ok:
                continue
            if method is not None and call.method.lower() != method.lower():
                continue
            if method is None and call.method not in _SEND_METHODS:
                continue
            if chat_id is not None and call.chat_id != chat_id:
                continue
            result.append(call)
        return result

    def message(self, chat_id: int, message_id: int) -> JSONDict | None:
        """The current Message (after edits), or ``None`` if unknown or deleted."""
        with self._lock:
            stored = self._stored(chat_id, message_id)
            return copy.deepcopy(stored.message) if stored else None

    def stored_message(self, chat_id: int, message_id: int) -> StoredMessage | None:
        """Full record of a message, including raw HTML, history and deleted ones."""
        with self._lock:
            stored = self._messages.get((chat_id, message_id))
            return copy.deepcopy(stored)

    def messages(self, chat_id: int) -> list[JSONDict]:
        """All current (not deleted) messages of a chat, user's and bot's, oldest first."""
        with self._lock:
            found = [
                (key[1], copy.deepcopy(stored.message))
                for key, stored in self._messages.items()
                if key[0] == chat_id and not stored.deleted
            ]
        return [message for _, message in sorted(found, key=lambda item: item[0])]

    @property
    def answered_callbacks(self) -> list[JSONDict]:
        """``answerCallbackQuery`` calls: query id, data, from, text, show_alert, url."""
        with self._lock:
            return copy.deepcopy(self._answered)

    def commands(self, scope: Any = None, language_code: str = "") -> list[JSONDict]:
        """Commands set with ``setMyCommands`` for a scope (dict, type name or PTB object)."""
        with self._lock:
            return copy.deepcopy(self._commands.get(self._scope_key(scope, language_code), []))

    def file(self, file_id: str) -> StoredFile | None:
        """A registered or uploaded file by id."""
        with self._lock:
            stored = self._files.get(file_id)
            return copy.deepcopy(stored)

    @property
    def uploads(self) -> list[StoredFile]:
        """Files the bot uploaded (photo uploads appear once per size), oldest first."""
        with self._lock:
            return [copy.deepcopy(f) for f in self._files.values() if f.uploaded_by_bot]

    @property
    def pending_updates(self) -> int:
        """Updates not yet confirmed by ``getUpdates``."""
        with self._lock:
            return len(self._updates)

    @property
    def webhook(self) -> JSONDict | None:
        """The webhook set with ``setWebhook`` (updates are not pushed to it)."""
        with self._lock:
            return copy.deepcopy(self._webhook)

    def mark(self) -> int:
        """Sequence number of the latest request; pass as ``since=`` to ignore older calls."""
        with self._lock:
            return self._seq

    # ------------------------------------------------------------------ waiting

    def _find(
        self, what: str | Predicate | None, chat_id: int | None, ok: bool | None, since: int
    ) -> ApiCall | None:
        with self._lock:
            for call in sorted(self._calls, key=lambda c: c.seq):
                if call.seq <= since or call.seq in self._consumed:
                    continue
                if ok is not None and call.ok != ok:
                    continue
                if chat_id is not None and call.chat_id != chat_id:
                    continue
                if isinstance(what, str):
                    if call.method.lower() != what.lower():
                        continue
                elif what is not None:
                    try:
                        if not what(call):
                            continue
                    except Exception:  # e.g. "x" in call.text with text None: no match
                        continue
                self._consumed.add(call.seq)
                return call
        return None

    def _timeout_message(self, what: object, chat_id: int | None, timeout: float) -> str:
        lines = [f"no call matching {what!r} (chat_id={chat_id}) within {timeout}s; latest:"]
        for call in self.calls[-15:]:
            outcome = "ok" if call.ok else f"{call.status} {call.description}"
            text = (call.text or "")[:80]
            lines.append(f"  #{call.seq} {call.method} chat={call.chat_id} {outcome} {text!r}")
        return "\n".join(lines)

    async def wait_for(
        self,
        predicate_or_method: str | Predicate | None,
        *,
        chat_id: int | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - a deadline for polling, not for one await
        ok: bool | None = True,
        since: int = 0,
    ) -> ApiCall:
        """Wait for the next call the bot makes that matches, yielding to the event loop.

        Each returned call is consumed: waiting twice for ``"sendMessage"`` returns two
        different calls, in order. Polls with ``asyncio.sleep(0.01)`` so a bot running in the
        same event loop keeps working meanwhile.

        Args:
            predicate_or_method: A method name, a predicate on :class:`ApiCall`, or ``None``.
            chat_id: Only calls for this chat.
            timeout: Seconds before giving up.
            ok: ``True`` = successful calls only (default, so a call Telegram rejected does
                not satisfy a test), ``False`` = failed only, ``None`` = both.
            since: Ignore calls up to this sequence number (see :meth:`mark`).

        Returns:
            The matching call.

        Raises:
            TimeoutError: Nothing matched in time; the message lists the latest calls.
        """
        deadline = time.monotonic() + timeout
        while True:
            call = self._find(predicate_or_method, chat_id, ok, since)
            if call is not None:
                return call
            if time.monotonic() >= deadline:
                raise TimeoutError(self._timeout_message(predicate_or_method, chat_id, timeout))
            await asyncio.sleep(0.01)

    def wait_for_sync(
        self,
        predicate_or_method: str | Predicate | None,
        *,
        chat_id: int | None = None,
        timeout: float = 5.0,
        ok: bool | None = True,
        since: int = 0,
    ) -> ApiCall:
        """Blocking :meth:`wait_for`, for tests driving a bot subprocess."""
        deadline = time.monotonic() + timeout
        while True:
            call = self._find(predicate_or_method, chat_id, ok, since)
            if call is not None:
                return call
            if time.monotonic() >= deadline:
                raise TimeoutError(self._timeout_message(predicate_or_method, chat_id, timeout))
            time.sleep(0.01)

    def _idle(self, settle: float) -> bool:
        with self._lock:
            return (
                not self._updates
                and self._inflight == 0
                and time.monotonic() - self._last_activity >= settle
            )

    async def wait_idle(
        self,
        timeout: float = 5.0,  # noqa: ASYNC109 - a deadline for polling, not for one await
        *,
        settle: float = 0.05,
    ) -> None:
        """Wait until every queued update was fetched *and confirmed* and the bot went quiet.

        Confirmation means a later ``getUpdates`` with a higher ``offset``, which PTB sends
        right after handing updates to the application; ``settle`` then requires no other
        request in flight and none for that long, so handlers had a chance to answer. For a
        specific reply prefer :meth:`wait_for`.

        Args:
            timeout: Seconds before giving up.
            settle: Quiet period required after the last non-``getUpdates`` request.

        Raises:
            TimeoutError: Updates still pending (is the bot polling?) or never quiet.
        """
        deadline = time.monotonic() + timeout
        while not self._idle(settle):
            if time.monotonic() >= deadline:
                raise TimeoutError(
                    f"bot not idle after {timeout}s: {self.pending_updates} update(s) pending, "
                    f"{self._inflight} request(s) in flight"
                )
            await asyncio.sleep(0.01)

    def wait_idle_sync(self, timeout: float = 5.0, *, settle: float = 0.05) -> None:
        """Blocking :meth:`wait_idle`, for tests driving a bot subprocess."""
        deadline = time.monotonic() + timeout
        while not self._idle(settle):
            if time.monotonic() >= deadline:
                raise TimeoutError(
                    f"bot not idle after {timeout}s: {self.pending_updates} update(s) pending"
                )
            time.sleep(0.01)


@dataclass(frozen=True)
class _Described:
    """A successful result that also carries Telegram's ``description`` (webhook methods)."""

    result: Any
    description: str


_METHOD_NAMES = {name.lower(): name for name in _HANDLERS}
