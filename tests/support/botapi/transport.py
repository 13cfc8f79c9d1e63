"""The HTTP side: an aiohttp server on 127.0.0.1 in a thread of its own, routing Bot API URLs.

The bot must reach this fake through python-telegram-bot's real HTTP stack (``HTTPXRequest``,
JSON and multipart encoding, error mapping to ``telegram.error``), so the fake is a real HTTP
server at ``/bot<token>/<method>`` and ``/file/bot<token>/<path>``, answering in Telegram's
envelope (``{"ok": ..., "result"/"error_code"/"description"/"parameters"}``). Like Telegram it
accepts a query string, JSON, urlencoded or multipart body, method names in any case, and
answers a wrong token with 401 and an unknown method with 404.

The server has its own event loop in its own thread, so it outlives the test's loop and a bot
running as a subprocess (end-to-end tests) can talk to it too. Each answered request is kept
as an :class:`~tests.support.botapi.model.ApiCall` for the test to inspect.
"""

from __future__ import annotations

import asyncio
import copy
import json
import socket
import threading
import time
from typing import Any, Self

from aiohttp import web

from tests.support.botapi.faults import FaultInjection
from tests.support.botapi.model import (
    MAX_UPLOAD_SIZE,
    ApiCall,
    ApiError,
    Described,
    JSONDict,
    UploadedFile,
    bad,
)
from tests.support.botapi.polling import UpdateDelivery
from tests.support.botapi.state import HANDLERS

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


def _coerce(key: str, value: str) -> Any:
    """Decode one form field: PTB JSON-encodes every non-string value (ints, bools, dicts)."""
    if key in _STRING_PARAMS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


_LOWERED: dict[str, str] = {}


def _canonical(method: str) -> str:
    """The registered spelling of ``method`` (Telegram ignores case), or ``method`` itself."""
    if len(_LOWERED) != len(HANDLERS):  # built once every area module registered its methods
        _LOWERED.update((name.lower(), name) for name in HANDLERS)
    return _LOWERED.get(method.lower(), method)


def _error_body(error: ApiError) -> JSONDict:
    body: JSONDict = {"ok": False, "error_code": error.status, "description": error.description}
    if error.parameters:
        body["parameters"] = error.parameters
    return body


def _error_response(error: ApiError) -> web.Response:
    return web.json_response(_error_body(error), status=error.status)


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
            raise bad("can't parse JSON object") from exc
        if isinstance(body, dict):
            params.update(body)
        return params, files
    form = await request.post()
    for key, value in form.items():
        if isinstance(value, web.FileField):
            files[key] = UploadedFile(key, value.filename, value.content_type, value.file.read())
        else:
            params[key] = _coerce(key, str(value))
    return params, files


class HttpTransport(UpdateDelivery, FaultInjection):
    """Starts and stops the server thread and turns each request into a method call."""

    _thread: threading.Thread | None = None
    _runner: web.AppRunner | None = None
    _port = 0

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> Self:
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

    def __enter__(self) -> Self:
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

    # ------------------------------------------------------------------ requests

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        if path.startswith("/file/bot"):
            return self._serve_file(path[len("/file/bot") :])
        if not path.startswith("/bot"):
            return _error_response(ApiError(404, "Not Found"))
        token, _, method = path[len("/bot") :].partition("/")
        if token != self.token:
            return _error_response(ApiError(401, "Unauthorized"))
        with self._lock:
            self._seq += 1
            seq = self._seq
        started = time.monotonic()
        canonical = _canonical(method)
        polling = canonical == "getUpdates"
        params: JSONDict = {}
        files: dict[str, UploadedFile] = {}
        if not polling:
            self._activity(+1)
        try:
            params, files = await _read_params(request)
            result, description = await self._execute(canonical, params, files)
            status, body = 200, {"ok": True, "result": result}
            if description:
                body["description"] = description
        except ApiError as error:
            status, body = error.status, _error_body(error)
        except Exception as exc:  # a bug in this fake: answer visibly instead of hanging
            error = ApiError(500, f"Internal Server Error: fake Bot API failed: {exc!r}")
            status, body = error.status, _error_body(error)
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

    def _serve_file(self, rest: str) -> web.Response:
        token, _, file_path = rest.partition("/")
        if token != self.token:
            return _error_response(ApiError(401, "Unauthorized"))
        with self._lock:
            stored = next((f for f in self._files.values() if f.file_path == file_path), None)
        if stored is None or not file_path:
            return _error_response(ApiError(404, "Not Found"))
        return web.Response(
            body=stored.content, content_type=stored.mime_type or "application/octet-stream"
        )

    async def _execute(
        self, method: str, params: JSONDict, files: dict[str, UploadedFile]
    ) -> tuple[Any, str | None]:
        """Answer one call: a scheduled fault first, then the method's handler.

        Returns ``(result, description)``; raises :class:`ApiError` for an error answer.
        Benchmarks override it to add network latency around every call.
        """
        fault = self._take_fault(method)
        if fault is not None:
            if fault.delay:
                await asyncio.sleep(fault.delay)
            if fault.status is not None:
                raise ApiError(fault.status, fault.description, fault.parameters)
        if method not in HANDLERS:
            raise ApiError(404, "Not Found: method not found")
        if method == "getUpdates":
            return await self._get_updates(params), None
        with self._lock:
            result = getattr(self, HANDLERS[method])(params, files)
        if isinstance(result, Described):
            return result.result, result.description
        return result, None
