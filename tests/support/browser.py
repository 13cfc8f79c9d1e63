"""Debian's Chromium driven by Selenium, for the dashboard's browser test.

Selenium's calls block, and the bot under test serves its pages from the test's own event loop,
so every call runs in a worker thread (:func:`asyncio.to_thread`). The browser console is read
after each page: any error there (a resource refused by the Content-Security-Policy, a missing
file) fails the test.
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "browser"
PHONE = (390, 844)
DESKTOP = (1366, 900)


def chromium_missing() -> str | None:
    """Why the browser test cannot run here, or ``None`` when it can."""
    for name in ("chromium", "chromedriver"):
        if shutil.which(name) is None:
            return f"{name} is not installed (Debian: apt-get install chromium chromium-driver)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[dev]')"
    return None


class Browser:
    """One headless Chromium with its own profile (cookies), used from async tests."""

    def __init__(self) -> None:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        options = webdriver.ChromeOptions()
        options.binary_location = shutil.which("chromium") or "chromium"
        for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                         "--disable-gpu", "--hide-scrollbars", "--lang=id-ID"):  # fmt: skip
            options.add_argument(argument)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        service = Service(executable_path=shutil.which("chromedriver"))
        self.driver: Any = webdriver.Chrome(options=options, service=service)

    async def call(self, function: Any, *args: Any) -> Any:
        return await asyncio.to_thread(function, *args)

    async def open(self, url: str, size: tuple[int, int] = DESKTOP) -> None:
        await self.call(self.driver.set_window_size, *size)
        await self.call(self.driver.get, url)

    async def text(self) -> str:
        body = await self.call(self.driver.find_element, "tag name", "body")
        return str(await self.call(lambda: body.text))

    async def click(self, css: str, then_shows: str) -> None:
        """Click and wait until the page that follows shows ``then_shows``."""
        from selenium.common.exceptions import (
            StaleElementReferenceException,
            WebDriverException,
        )
        from selenium.webdriver.support.ui import WebDriverWait

        def shows(driver: Any) -> bool:
            try:
                return then_shows in driver.find_element("tag name", "body").text
            except WebDriverException as error:
                # While the next page loads, the old page's body goes away under the check:
                # Chromium says so as a stale element or as a node that left the document.
                if isinstance(error, StaleElementReferenceException) or (
                    "does not belong to the document" in str(error)
                ):
                    return False
                raise

        element = await self.call(self.driver.find_element, "css selector", css)
        await self.call(element.click)
        await self.call(WebDriverWait(self.driver, 10).until, shows)

    async def console_errors(self, document_status: bool = False) -> list[str]:
        """Errors in the console since the last call.

        Args:
            document_status: Chromium reports a page served with an error status (a refused
                link's 403) as "failed to load"; ``True`` leaves out that one line about the
                page itself, never one about anything the page loads.
        """
        entries = await self.call(self.driver.get_log, "browser")
        page = str(await self.call(lambda: self.driver.current_url))
        return [
            e["message"]
            for e in entries
            if e.get("level") == "SEVERE"
            and not (document_status and e["message"].startswith(page + " - Failed to load"))
        ]

    async def page_width(self) -> int:
        return int(
            await self.call(
                self.driver.execute_script, "return document.documentElement.scrollWidth"
            )
        )

    async def screenshot(self, name: str, size: tuple[int, int]) -> Path:
        """A full-page screenshot at ``size``'s width, kept under ``artifacts/browser/``."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        height = await self.call(
            self.driver.execute_script, "return document.documentElement.scrollHeight"
        )
        await self.call(self.driver.set_window_size, size[0], max(size[1], int(height) + 20))
        path = ARTIFACTS / f"{name}.png"
        await self.call(self.driver.save_screenshot, str(path))
        await self.call(self.driver.set_window_size, *size)
        return path

    async def delete_cookies(self) -> None:
        await self.call(self.driver.delete_all_cookies)

    async def close(self) -> None:
        await self.call(self.driver.quit)
