"""The dashboard's aiohttp application: every page's routes behind the server's middlewares.

Apart from :mod:`bot.web.server` because the pages build on the server's helpers
(:func:`~bot.web.server.page`, the session key): this module imports both, neither imports it.
"""

from __future__ import annotations

from aiohttp import web

from bot.web import login, pages, report_page
from bot.web.server import DASHBOARD, Dashboard, require_session, security_headers


def build_app(dashboard: Dashboard) -> web.Application:
    """The dashboard's routes behind its middlewares."""
    app = web.Application(middlewares=[security_headers, require_session], client_max_size=64_000)
    app[DASHBOARD] = dashboard
    login.add_routes(app)
    pages.add_routes(app)
    report_page.add_routes(app)
    return app
