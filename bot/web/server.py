"""The aiohttp application: security headers, sessions, the access log, shared helpers.

Why aiohttp: its server runs in the loop it is started from, so the dashboard lives in the
bot's own asyncio loop and process (started in the web component's ``start``, stopped in its
``stop``) with no thread or second process; the project already depends on it for its tests.
PTB's webhook server (tornado) serves only Telegram's posts.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from telegram import Bot

from bot.services import Services
from bot.storage.db import Database
from bot.storage.web_sessions import WebSession
from bot.web.auth import Gate

log = logging.getLogger(__name__)
access_log = logging.getLogger("bot.web.access")

SESSION_COOKIE = "dasbor_sesi"
#: No scripts, no frames, nothing from elsewhere: the pages need only their own stylesheet.
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
#: Paths open without a session: the login steps and the page's own assets.
PUBLIC = frozenset({"/masuk", "/gaya.css", "/favicon.svg"})

RouteHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]


LOOP_SHARE = 0.1
"""The most of the bot's event loop the dashboard takes when pages are requested non-stop."""


class LoopBudget:
    """Pages one at a time, each followed by a pause in proportion to its cost.

    The dashboard shares the bot's event loop, so a browser (or a script) requesting pages
    non-stop must not slow down Telegram updates and deadline sweeps. After a page that took
    ``t`` seconds the next one starts no sooner than ``t * (1 / share - 1)`` later: a person
    clicking around never notices, a flood is slowed to the budget.
    """

    def __init__(self, share: float = LOOP_SHARE) -> None:
        self.factor = 1 / share - 1
        self._lock = asyncio.Lock()
        self._free_at = 0.0

    async def run(self, handler: RouteHandler, request: web.Request) -> web.StreamResponse:
        async with self._lock:
            wait = self._free_at - time.perf_counter()
            if wait > 0:
                await asyncio.sleep(wait)
            started = time.perf_counter()
            try:
                return await handler(request)
            finally:
                spent = time.perf_counter() - started
                self._free_at = time.perf_counter() + min(spent * self.factor, 2.0)


@dataclass(slots=True)
class Dashboard:
    """What every page needs; one per running server."""

    services: Services
    read_db: Database
    gate: Gate
    bot: Bot
    budget: LoopBudget = dataclasses.field(default_factory=LoopBudget)

    @property
    def view(self) -> Services:
        """The bot's services reading through the dashboard's read-only connection.

        Built per request so a calendar changed with ``/libur`` is seen at once.
        """
        return dataclasses.replace(self.services, db=self.read_db)


DASHBOARD = web.AppKey("dashboard", Dashboard)
SESSION = web.RequestKey("sesi", WebSession)


class PathOnlyAccessLogger(AbstractAccessLogger):
    """One line per request without the query string: a login link's token never reaches
    the log."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.info(
            '%s "%s %s" %s %.1fms',
            client_address(request),
            request.method,
            request.path,
            response.status,
            time * 1000,
        )


def client_address(request: web.BaseRequest) -> str:
    """The browser's address; behind a trusted proxy, the last hop it added."""
    # The access logger is handed a BaseRequest; only a web.Request knows its application.
    dashboard = request.app.get(DASHBOARD) if isinstance(request, web.Request) else None
    if dashboard is not None and dashboard.services.settings.web_trust_proxy:
        forwarded = request.headers.get("X-Forwarded-For", "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-1]
    return request.remote or "?"


def is_secure(request: web.BaseRequest, dashboard: Dashboard) -> bool:
    """Whether the browser reached us over HTTPS (directly or through the proxy)."""
    settings = dashboard.services.settings
    if request.secure or settings.web_base_url.startswith("https://"):
        return True
    return settings.web_trust_proxy and request.headers.get("X-Forwarded-Proto", "") == "https"


def page(request: web.Request, name: str, status: int = 200, **context: Any) -> web.Response:
    """Render ``locales/id/web/<name>.html`` as the response."""
    dashboard = request.app[DASHBOARD]
    session: WebSession | None = request.get(SESSION)
    settings = dashboard.services.settings
    html = dashboard.services.texts.render_web(
        name,
        sesi=session,
        admin=session is not None and settings.is_admin(session.user_id),
        lpse=settings.lpse_name,
        path=request.path,
        **context,
    )
    return web.Response(text=html, status=status, content_type="text/html", charset="utf-8")


@web.middleware
async def security_headers(request: web.Request, handler: RouteHandler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        if exc.status >= 400 and exc.text and exc.content_type == "text/plain":
            response = page(request, "galat", status=exc.status, kode=exc.status)
        else:
            raise _with_headers(exc) from None
    except Exception:
        log.exception("dashboard page %s failed", request.path)
        response = page(request, "galat", status=500, kode=500)
    return _with_headers(response)


def _with_headers(response: web.StreamResponse) -> Any:
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers.setdefault("Cache-Control", "no-store")
    return response


@web.middleware
async def require_session(request: web.Request, handler: RouteHandler) -> web.StreamResponse:
    """Every page but the login steps needs a live session of someone who is still staff."""
    if request.path in PUBLIC:
        return await handler(request)
    dashboard = request.app[DASHBOARD]
    now = dashboard.services.clock()
    session = await dashboard.gate.session(request.cookies.get(SESSION_COOKIE), now)
    if session is None:
        response = page(request, "belum_masuk", status=401)
        if SESSION_COOKIE in request.cookies:
            response.del_cookie(SESSION_COOKIE, path="/")
        return response
    request[SESSION] = session
    return await dashboard.budget.run(handler, request)
