"""The dashboard served by ``python -m bot run``: login from the staff group, a crash, a restart.

Sessions and spent links are in the database: after a SIGKILL and a restart the browser is
still logged in, and the link it used is still refused.
"""

from __future__ import annotations

import http.cookiejar
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from tests.support.botapi import BotApiServer
from tests.support.mailservers import ImapTestServer, SmtpTestServer, free_port

from .actors import Staff
from .harness import running_bot

LINK = re.compile(r"(http://\S+/masuk\?t=[A-Za-z0-9._-]+)")


class Browser:
    """urllib with a cookie jar: enough of a browser for the login steps."""

    def __init__(self) -> None:
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, url: str, data: dict[str, str] | None = None) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(url, data=body, timeout=10) as response:
                return int(response.status), response.read().decode()
        except urllib.error.HTTPError as exc:
            return int(exc.code), exc.read().decode()


def _wait_serving(url: str, within: float = 15.0) -> None:
    deadline = time.monotonic() + within
    while True:
        try:
            urllib.request.urlopen(url + "/gaya.css", timeout=1).close()
            return
        except OSError:
            assert time.monotonic() < deadline, f"no dashboard at {url}"
            time.sleep(0.1)


def test_dashboard_login_survives_a_crash_and_a_used_link_stays_used(
    tmp_path: Path,
    botapi: BotApiServer,
    smtp_server: SmtpTestServer,
    imap_server: ImapTestServer,
    staff: Staff,
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with running_bot(
        tmp_path, botapi, smtp_server, imap_server,
        WEB_LISTEN=f"127.0.0.1:{port}", WEB_SECRET="e2e-dashboard-secret-0123456789",
    ) as bot:  # fmt: skip
        bot.start()
        _wait_serving(base)
        since = botapi.mark()
        staff.say("/dasbor")
        private = botapi.wait_for_sync(
            lambda c: c.method == "sendMessage" and "/masuk?t=" in (c.text or ""),
            chat_id=staff.user["id"], since=since, timeout=15,
        )  # fmt: skip
        found = LINK.search(private.text or "")
        assert found is not None
        url = found[1]
        browser = Browser()
        assert browser.get(base + "/")[0] == 401
        status, page = browser.get(url)
        assert status == 200 and "Masuk ke dasbor" in page
        status, page = browser.get(base + "/masuk", {"t": url.split("t=", 1)[1]})
        assert status == 200 and "Tiket terbuka" in page  # followed the redirect to "/"

        bot.kill()
        bot.start()
        _wait_serving(base)
        status, page = browser.get(base + "/tiket")
        assert status == 200 and "0 tiket" in page
        status, page = Browser().get(url)
        assert status == 403 and "sudah pernah dipakai" in page
        assert bot.stop() == 0
    log = bot.log()
    assert "Traceback" not in log
    assert url.split("t=", 1)[1] not in log  # the access log keeps paths only
