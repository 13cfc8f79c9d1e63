"""Logging in to the dashboard from Telegram: the link, the cookie, refusals, logout."""

from __future__ import annotations

from tests.support.botapi import make_user
from tests.support.dashboard import ADMIN_USER, STAFF_USER, DashboardBot, browser, dashboard_bot
from tests.support.settings import STAFF_CHAT_ID
from tests.support.telegram_app_fixtures import bot_api

__all__ = ["bot_api", "dashboard_bot"]


async def test_dasbor_in_the_staff_group_sends_a_private_link_that_opens_a_session(
    dashboard: DashboardBot,
) -> None:
    async with browser() as http:
        async with http.get(dashboard.base_url + "/") as anonymous:
            assert anonymous.status == 401
            assert "/dasbor" in await anonymous.text()
        response = await dashboard.login(http)
        assert response.status == 303
        assert response.headers["Location"] == "/"
        cookie = response.headers["Set-Cookie"]
        assert "HttpOnly" in cookie
        assert "SameSite=Strict" in cookie
        assert "Max-Age=28800" in cookie
        assert "Secure" not in cookie  # plain http on 127.0.0.1
        async with http.get(dashboard.base_url + "/") as home:
            assert home.status == 200
            html = await home.text()
            assert "Hari ini" in html and "Sari" in html
            assert "t=" not in html.split("<main>", 1)[1]
    group = await dashboard.api.wait_for(
        lambda c: c.method == "sendMessage" and "chat pribadi" in (c.text or ""),
        chat_id=STAFF_CHAT_ID,
    )
    assert "Sari" in (group.text or "")


async def test_a_reused_link_is_refused_and_opens_no_session(dashboard: DashboardBot) -> None:
    url = await dashboard.link()
    token = url.split("t=", 1)[1]
    login = dashboard.base_url + "/masuk"
    async with (
        browser() as first,
        first.post(login, data={"t": token}, allow_redirects=False) as ok,
    ):
        assert ok.status == 303
    async with browser() as second:
        async with second.get(url) as shown:
            assert shown.status == 403
            assert "sudah pernah dipakai" in await shown.text()
        async with second.post(dashboard.base_url + "/masuk", data={"t": token},
                               allow_redirects=False) as again:  # fmt: skip
            assert again.status == 403
            assert "Set-Cookie" not in again.headers
        async with second.get(dashboard.base_url + "/tiket") as page:
            assert page.status == 401


async def test_forged_and_expired_links_are_refused(dashboard: DashboardBot) -> None:
    url = await dashboard.link()
    _user, expires, nonce, signature = url.split("t=", 1)[1].split(".")
    forged = f"{dashboard.base_url}/masuk?t={ADMIN_USER['id']}.{expires}.{nonce}.{signature}"
    async with browser() as http:
        async with http.get(forged) as refused:
            assert refused.status == 403
            assert "tidak sah" in await refused.text()
        dashboard.clock.advance(minutes=11)
        async with http.get(url) as expired:
            assert expired.status == 403
            assert "kedaluwarsa" in await expired.text()


async def test_bad_links_from_one_address_are_slowed_down(dashboard: DashboardBot) -> None:
    async with browser() as http:
        for _ in range(5):
            async with http.get(dashboard.base_url + "/masuk?t=1.2.3.4") as bad:
                assert bad.status == 403
        url = await dashboard.link()
        async with http.get(url) as throttled:
            assert throttled.status == 429
            assert int(throttled.headers["Retry-After"]) > 0
        dashboard.clock.advance(minutes=11)
        async with http.get(await dashboard.link()) as later:
            assert later.status == 200


async def test_only_staff_and_admins_get_a_link(dashboard: DashboardBot) -> None:
    outsider = make_user(5550002, "Tamu")
    dashboard.api.add_user(outsider)
    dashboard.api.user_message(outsider, "/dasbor")
    refused = await dashboard.api.wait_for("sendMessage", chat_id=outsider["id"])
    assert "hanya untuk staf" in (refused.text or "")
    assert await dashboard.link(ADMIN_USER, private=True)


async def test_someone_removed_from_the_group_loses_the_session_after_the_cache(
    dashboard: DashboardBot,
) -> None:
    async with browser() as http:
        await dashboard.login(http)
        dashboard.api.set_member(STAFF_CHAT_ID, STAFF_USER, "left")
        async with http.get(dashboard.base_url + "/") as cached:
            assert cached.status == 200  # membership is cached for minutes, not per request
        dashboard.clock.advance(minutes=6)
        async with http.get(dashboard.base_url + "/") as gone:
            assert gone.status == 401
        dashboard.api.set_member(STAFF_CHAT_ID, STAFF_USER, "member")
        async with http.get(dashboard.base_url + "/") as still_gone:
            assert still_gone.status == 401  # the session was ended, not just hidden


async def test_logout_ends_the_session_and_admins_see_the_session_list(
    dashboard: DashboardBot,
) -> None:
    async with browser() as admin, browser() as staff:
        await dashboard.login(admin, ADMIN_USER)
        await dashboard.login(staff)
        async with staff.get(dashboard.base_url + "/sesi") as not_admin:
            assert not_admin.status == 403
        async with admin.get(dashboard.base_url + "/sesi") as listing:
            html = await listing.text()
            assert listing.status == 200
            assert "Sari" in html and "Kepala" in html
        async with staff.post(dashboard.base_url + "/keluar") as out:
            assert out.status == 200
            assert "sudah keluar" in await out.text()
        async with staff.get(dashboard.base_url + "/") as after:
            assert after.status == 401
        async with admin.get(dashboard.base_url + "/sesi") as listing:
            assert "Sari" not in await listing.text()
