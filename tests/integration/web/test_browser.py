"""The dashboard in a real browser: Debian's Chromium through Selenium.

The link comes from ``/dasbor`` typed in the staff group of the local Bot API server; every
page is opened at phone (390 px) and desktop width, its content checked, the console checked
for errors, and a screenshot kept under ``artifacts/browser/``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.support.browser import DESKTOP, PHONE, Browser, chromium_missing
from tests.support.dashboard import DashboardBot, dashboard_bot, seed
from tests.support.telegram_app_fixtures import bot_api

__all__ = ["bot_api", "dashboard_bot"]

pytestmark = pytest.mark.skipif(chromium_missing() is not None, reason=str(chromium_missing()))


@pytest.fixture(name="browser")
async def browser_fixture() -> AsyncIterator[Browser]:
    browser = Browser()
    try:
        yield browser
    finally:
        await browser.close()


async def _check(browser: Browser, name: str, expected: list[str]) -> None:
    for label, size in (("ponsel", PHONE), ("desktop", DESKTOP)):
        await browser.call(browser.driver.set_window_size, *size)
        await browser.call(browser.driver.refresh)
        text = await browser.text()
        for wanted in expected:
            assert wanted in text, (name, label, wanted)
        assert await browser.console_errors() == [], (name, label)
        if size == PHONE:
            assert await browser.page_width() <= PHONE[0], f"{name} scrolls sideways on a phone"
        await browser.screenshot(f"{name}-{label}", size)


@pytest.mark.flaky(reruns=1)
async def test_every_page_in_a_real_browser(dashboard: DashboardBot, browser: Browser) -> None:
    numbers = await seed(dashboard.services, dashboard.clock)
    await browser.open(await dashboard.link(), PHONE)
    assert "Masuk ke dasbor" in await browser.text()
    await browser.screenshot("masuk-ponsel", PHONE)
    await browser.click("button[type=submit]", then_shows="Tiket terbuka")
    assert "t=" not in browser.driver.current_url
    pages = {
        "hari-ini": ("/", ["Tiket terbuka: 3", numbers["terlambat"], "Pelanggaran hari ini"]),
        "tiket": ("/tiket", ["3 tiket", numbers["eskalasi"], '<script>alert("x")</script>']),
        "tiket-cari": ("/tiket?q=ganda", ["1 tiket", numbers["jahat"]]),
        "detail": (f"/tiket/{numbers['eskalasi']}", ["Linimasa", "Email dari Helpdesk LKPP",
                                                     "Jam mutu baku", "panduan<b>.html"]),
        "laporan": ("/laporan", ["Laporan mutu baku SOP", "Pelanggaran (1)", "lembar kerja"]),
        "sesi": ("/sesi", ["Sesi dasbor yang aktif"]),
    }  # fmt: skip
    for name, (path, expected) in pages.items():
        if name == "sesi":  # admins only: log in again as one
            await browser.delete_cookies()
            await browser.open(await dashboard.link(_admin(), private=True), PHONE)
            await browser.click("button[type=submit]", then_shows="Tiket terbuka")
        await browser.open(dashboard.base_url + path, PHONE)
        await _check(browser, name, expected)


def _admin() -> dict[str, object]:
    from tests.support.dashboard import ADMIN_USER

    return ADMIN_USER


async def test_forged_and_reused_links_are_refused_in_the_browser(
    dashboard: DashboardBot, browser: Browser
) -> None:
    url = await dashboard.link()
    head, signature = url.rsplit(".", 1)
    forged = f"{head}.{signature[::-1]}"
    await browser.open(forged, PHONE)
    assert "tidak sah" in await browser.text()
    assert await browser.console_errors(document_status=True) == []
    await browser.screenshot("tautan-palsu-ponsel", PHONE)
    await browser.open(url, PHONE)
    await browser.click("button[type=submit]", then_shows="Tiket terbuka")
    await browser.delete_cookies()
    await browser.open(url, PHONE)
    assert "sudah pernah dipakai" in await browser.text()
    assert await browser.console_errors(document_status=True) == []
    await browser.screenshot("tautan-terpakai-ponsel", PHONE)
    await browser.open(dashboard.base_url + "/", PHONE)
    assert "Silakan masuk" in await browser.text()
