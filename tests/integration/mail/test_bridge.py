"""The whole bridge as a component: escalation out by SMTP, LKPP's answer in by IMAP, to staff."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from telegram import Bot

from bot.domain.sop import Action, Actor, State
from bot.mail import bridge
from bot.services import Services, open_services
from bot.storage.mail import MATCHED, MailStore
from tests.support.botapi import BotApiServer
from tests.support.clock import FakeClock
from tests.support.mail_bridge_fixtures import BytesFetcher, cannot_handle
from tests.support.mail_fixtures import imap_server, smtp_server  # noqa: F401 - fixtures
from tests.support.mailservers import ImapTestServer, SmtpTestServer
from tests.support.outbox_fixtures import running_outbox
from tests.support.settings import STAFF_CHAT_ID, make_settings
from tests.support.telegram_app_fixtures import bot_api  # noqa: F401 - fixture
from tests.support.tickets import STAFF


@pytest.fixture
async def running(
    tmp_path: Path,
    clock: FakeClock,
    bot_api: BotApiServer,  # noqa: F811
    smtp_server: SmtpTestServer,  # noqa: F811
    imap_server: ImapTestServer,  # noqa: F811
) -> AsyncIterator[tuple[Services, bridge.MailBridge]]:
    settings = make_settings(
        tmp_path / "data", telegram_bot_token=bot_api.token, smtp_port=smtp_server.port,
        imap_port=imap_server.port, imap_username=imap_server.user,
        imap_password=imap_server.password, imap_poll_seconds=5,
    )  # fmt: skip
    services = await open_services(settings, clock)
    bot = Bot(bot_api.token, base_url=bot_api.base_url, base_file_url=bot_api.base_file_url)
    await bot.initialize()
    mail = bridge.MailBridge(services, bot, BytesFetcher(), poll_seconds=0.2)
    mail.register(None)
    await mail.start()
    try:
        async with running_outbox(services, bot):
            yield services, mail
    finally:
        await mail.stop()
        assert all(task.done() for task in mail.tasks) and not mail.tasks
        await bot.shutdown()
        await services.db.close()


async def test_escalation_goes_out_and_lkpp_reply_comes_back_to_staff(
    running: tuple[Services, bridge.MailBridge],
    smtp_server: SmtpTestServer,  # noqa: F811
    imap_server: ImapTestServer,  # noqa: F811
    bot_api: BotApiServer,  # noqa: F811
) -> None:
    services, _ = running
    number = await cannot_handle(services)
    await services.workflow.apply(number, Action.ESCALATE, Actor.STAFF, STAFF)
    (sent,) = await smtp_server.wait_for_async(1, 5)

    reply = EmailMessage()
    reply["From"] = "Helpdesk LKPP <helpdesk@lkpp.go.id>"
    reply["To"] = sent.message["From"]
    reply["Subject"] = "RE: " + sent.subject
    reply["Message-ID"] = "<balasan-1@lkpp.go.id>"
    reply["In-Reply-To"] = sent.message_id
    reply["References"] = sent.message_id
    reply.set_content("#SELESAI\nAkun sudah kami buka kembali, silakan dicoba kembali.\n")
    imap_server.append(reply.as_bytes())

    notice = await bot_api.wait_for(lambda c: number in (c.text or ""), chat_id=STAFF_CHAT_ID,
                                    timeout=10)  # fmt: skip
    assert "sudah kami buka kembali" in (notice.text or "")
    ticket = await services.workflow.get(number)
    assert ticket.state is State.LKPP_SOLVED
    assert (await MailStore(services.db).count_inbox()) == {MATCHED: 1}
    for _ in range(100):  # \\Seen is set right after the notice was posted
        if all("\\Seen" in flags for flags in imap_server.flags().values()):
            break
        await asyncio.sleep(0.05)
    assert all("\\Seen" in flags for flags in imap_server.flags().values())


async def test_component_hooks_register_start_and_stop(
    tmp_path: Path,
    clock: FakeClock,
    bot_api: BotApiServer,  # noqa: F811
) -> None:
    from telegram.ext import Application

    settings = make_settings(tmp_path / "data", telegram_bot_token=bot_api.token)
    services = await open_services(settings, clock)
    app: Any = Application.builder().token(bot_api.token).base_url(bot_api.base_url).build()
    try:
        bridge.install(app, services)
        mail = services.mail
        assert mail is not None
        assert mail.outbox.on_step in services.workflow.listeners
        await bridge.start(app, services)  # no mail servers: the loops retry quietly
        assert len(mail.tasks) == 3
        await bridge.stop(app, services)
        assert mail.tasks == []
    finally:
        await services.db.close()
