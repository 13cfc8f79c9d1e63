"""Opening a one-time link, logging out, and the assets the login pages need.

Opening the link (``GET /masuk?t=…``) only checks it and shows a "Masuk" button: link
previews and mail scanners fetch URLs, and a fetch must not spend someone's link. The button
posts the token back (``POST /masuk``), which spends it, sets the session cookie and redirects
to a URL without the token.
"""

from __future__ import annotations

from aiohttp import web

from bot.web.auth import LinkRefused, Refusal
from bot.web.server import DASHBOARD, SESSION, SESSION_COOKIE, client_address, is_secure, page

FAVICON = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16">'
    '<rect width="16" height="16" rx="3" fill="#1d4e89"/>'
    '<path d="M4 4h5a3 3 0 0 1 0 8H4z" fill="#fff"/></svg>'
)


def _refused(request: web.Request, refusal: LinkRefused) -> web.Response:
    status = 429 if refusal.reason is Refusal.THROTTLED else 403
    response = page(
        request, "ditolak", status=status, alasan=refusal.reason.value, tunggu=refusal.retry_after
    )
    if refusal.retry_after:
        response.headers["Retry-After"] = str(refusal.retry_after)
    return response


async def show_link(request: web.Request) -> web.StreamResponse:
    dashboard = request.app[DASHBOARD]
    token = request.query.get("t", "")
    try:
        await dashboard.gate.inspect(token, client_address(request), dashboard.services.clock())
    except LinkRefused as refusal:
        return _refused(request, refusal)
    return page(request, "masuk", token=token)


async def use_link(request: web.Request) -> web.StreamResponse:
    dashboard = request.app[DASHBOARD]
    form = await request.post()
    token = str(form.get("t", ""))
    try:
        opened = await dashboard.gate.redeem(
            token,
            client_address(request),
            request.headers.get("User-Agent", ""),
            dashboard.services.clock(),
        )
    except LinkRefused as refusal:
        return _refused(request, refusal)
    response = web.Response(status=303, headers={"Location": "/"})
    response.set_cookie(
        SESSION_COOKIE,
        opened.token,
        max_age=int(dashboard.gate.session_length.total_seconds()),
        path="/",
        httponly=True,
        samesite="Strict",
        secure=is_secure(request, dashboard),
    )
    return response


async def logout(request: web.Request) -> web.StreamResponse:
    dashboard = request.app[DASHBOARD]
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await dashboard.gate.logout(token, dashboard.services.clock())
    request.pop(SESSION, None)
    response = page(request, "keluar")
    response.del_cookie(SESSION_COOKIE, path="/")
    return response


async def stylesheet(request: web.Request) -> web.StreamResponse:
    css = request.app[DASHBOARD].services.texts.web_asset("gaya.css")
    return web.Response(
        text=css,
        content_type="text/css",
        charset="utf-8",
        headers={"Cache-Control": "public, max-age=3600"},
    )


async def favicon(request: web.Request) -> web.StreamResponse:
    return web.Response(
        text=FAVICON, content_type="image/svg+xml", headers={"Cache-Control": "max-age=86400"}
    )


def add_routes(app: web.Application) -> None:
    app.router.add_get("/masuk", show_link)
    app.router.add_post("/masuk", use_link)
    app.router.add_post("/keluar", logout)
    app.router.add_get("/gaya.css", stylesheet)
    app.router.add_get("/favicon.svg", favicon)
