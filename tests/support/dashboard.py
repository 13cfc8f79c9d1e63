"""The running bot with its web dashboard on, and a logged-in HTTP client, for tests.

The login goes the way a person's does: ``/dasbor`` typed in the staff group of the local Bot
API server, the link read from the bot's private message, the link opened and its "Masuk"
button posted.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.services import SERVICES_KEY, Services
from tests.support.botapi import BotApiServer
from tests.support.clock import FakeClock
from tests.support.mailservers import free_port
from tests.support.settings import STAFF_CHAT_ID
from tests.support.telegram_app_fixtures import ADMIN_USER, STAFF_USER, running_bot

WEB_SECRET = "web-secret-for-tests-0123456789"
LINK = re.compile(r"(https?://\S+/masuk\?t=[A-Za-z0-9._-]+)")

__all__ = ["ADMIN_USER", "STAFF_USER", "DashboardBot", "browser", "dashboard_bot"]


def browser() -> aiohttp.ClientSession:
    """An HTTP client that keeps cookies for 127.0.0.1 as a browser does."""
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


@dataclass
class DashboardBot:
    api: BotApiServer
    app: Any
    clock: FakeClock
    base_url: str

    @property
    def services(self) -> Services:
        return self.app.bot_data[SERVICES_KEY]

    async def link(self, user: dict[str, Any] = STAFF_USER, *, private: bool = False) -> str:
        """Type ``/dasbor`` (staff group, or the user's private chat) and return the link."""
        since = self.api.mark()
        if private:
            self.api.user_message(user, "/dasbor")
        else:
            self.api.group_message(STAFF_CHAT_ID, user, "/dasbor")
        call = await self.api.wait_for(
            lambda c: c.method == "sendMessage" and "/masuk?t=" in (c.text or ""),
            chat_id=user["id"],
            since=since,
            timeout=10,
        )
        found = LINK.search(call.text or "")
        assert found, call.text
        return found[1]

    async def login(
        self, http: aiohttp.ClientSession, user: dict[str, Any] = STAFF_USER
    ) -> aiohttp.ClientResponse:
        """Open a fresh link and press "Masuk"; the session cookie lands in ``http``."""
        url = await self.link(user)
        async with http.get(url) as shown:
            assert shown.status == 200, await shown.text()
        token = url.split("t=", 1)[1]
        async with http.post(
            f"{self.base_url}/masuk", data={"t": token}, allow_redirects=False
        ) as response:
            await response.read()
            return response


@pytest.fixture(name="dashboard")
async def dashboard_bot(bot_api: BotApiServer, tmp_path: Path) -> AsyncIterator[DashboardBot]:
    bot_api.set_member(STAFF_CHAT_ID, STAFF_USER)
    bot_api.add_user(ADMIN_USER)
    port = free_port()
    clock = FakeClock()
    async with running_bot(
        bot_api,
        tmp_path / "data",
        clock,
        web_listen=f"127.0.0.1:{port}",
        web_secret=WEB_SECRET,
    ) as app:
        yield DashboardBot(bot_api, app, clock, f"http://127.0.0.1:{port}")


HOSTILE_TITLE = '<script>alert("x")</script> Gagal & "unggah"'


async def seed(services: Services, clock: FakeClock) -> dict[str, str]:
    """Tickets a dashboard shows: an escalated one with LKPP's reply and a file, one late
    escalation that breached, one with hostile text; returns their numbers by role."""
    from bot.deadlines.sweep import sweeper_of
    from bot.domain.sop import Action, Actor
    from bot.storage.mail import MailStore
    from bot.workflow import By
    from tests.support.tickets import STAFF, USER_CHAT, escalated, reported

    numbers = {"eskalasi": await escalated(services)}
    wf = services.workflow
    ticket_id = (await wf.get(numbers["eskalasi"])).id
    mail = MailStore(services.db)
    await mail.store_raw("<lkpp-1@lkpp.go.id>", b"raw", clock())
    inbox = await mail.inbox_by_message_id("<lkpp-1@lkpp.go.id>")
    assert inbox is not None and ticket_id is not None
    async with services.db.transaction():
        reply = await mail.add_reply(
            inbox_id=inbox.id, ticket_id=ticket_id, message_id="<lkpp-1@lkpp.go.id>",
            matched_by="message_id", from_addr="helpdesk@lkpp.go.id",
            subject=f"Re: [{numbers['eskalasi']}] Gagal unggah",
            reply_text="Mohon kirimkan tangkapan layar kesalahan beserta kode paket.",
            full_text="Mohon kirimkan tangkapan layar kesalahan beserta kode paket.\n\n"
            "> Yth. Helpdesk LKPP, kami mengeskalasi permasalahan berikut",
            proposed_class="minta_data", received_at=clock(),
        )  # fmt: skip
        await mail.add_file(
            inbox_id=inbox.id, reply_id=reply, ticket_id=ticket_id,
            file_name="panduan<b>.html", mime_type="text/html",
            content=b"<script>alert(1)</script>", at=clock(),
        )  # fmt: skip
    hostile = (await reported(services, title=HOSTILE_TITLE)).ticket.number
    await wf.apply(hostile, Action.USER_MESSAGE, Actor.USER, By(USER_CHAT, "Budi"),
                   details={"text": "Dokumen penawaran <i>terkirim</i> ganda"})  # fmt: skip
    numbers["jahat"] = hostile
    late = (await reported(services, title="Jadwal tender tidak berubah")).ticket.number
    await wf.apply(late, Action.TAKE, Actor.STAFF, STAFF)
    await wf.apply(late, Action.CANNOT_HANDLE, Actor.STAFF, STAFF)
    numbers["terlambat"] = late
    clock.advance(minutes=7)
    await sweeper_of(services).run()
    return numbers
