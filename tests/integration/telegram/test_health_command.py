"""``/kesehatan`` through the running bot, with real mail servers and the local Bot API."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from telegram import BotCommandScopeChat

from bot.deadlines.component import SWEEP_JOB
from bot.storage.migrations import MIGRATIONS
from tests.support.backlog import queue_email
from tests.support.botapi import ApiCall, BotApiServer
from tests.support.clock import FakeClock
from tests.support.mail_fixtures import imap_server, smtp_server  # noqa: F401 - fixtures
from tests.support.mailservers import ImapTestServer, SmtpTestServer
from tests.support.settings import STAFF_CHAT_ID
from tests.support.telegram_app_fixtures import (  # noqa: F401 - fixtures
    OTHER_GROUP,
    OUTSIDER,
    StaffBot,
    bot_api_fixture,
    running_bot,
)

LABELS = (
    "Telegram", "SMTP (email keluar)", "IMAP (email masuk)", "Database", "Penjadwal",
    "Antrean email keluar", "Karantina email masuk", "Antrean pesan Telegram",
)  # fmt: skip


@pytest.fixture
async def health_bot(
    bot_api: BotApiServer,
    tmp_path: Path,
    smtp_server: SmtpTestServer,  # noqa: F811
    imap_server: ImapTestServer,  # noqa: F811
) -> AsyncIterator[StaffBot]:
    """The bot with its mail bridge connected to live SMTP and IMAP servers."""
    clock = FakeClock()
    async with running_bot(
        bot_api, tmp_path / "data", clock,
        smtp_port=smtp_server.port, smtp_username=smtp_server.user,
        smtp_password=smtp_server.password, imap_port=imap_server.port,
        imap_username=imap_server.user, imap_password=imap_server.password,
    ) as app:  # fmt: skip
        yield StaffBot(bot_api, app, clock)


async def kesehatan(bot: StaffBot) -> dict[str, str]:
    """Type /kesehatan; return the edited report as {label: rest of its line}."""
    mark = bot.api.mark()
    bot.command("/kesehatan")
    progress = await bot.staff_message("Memeriksa")
    edit: ApiCall = await bot.api.wait_for("editMessageText", chat_id=STAFF_CHAT_ID, since=mark)
    assert edit.message_id == progress.message_id  # the same message, edited in place
    lines = (edit.text or "").splitlines()
    assert lines[0].startswith("🩺 Kesehatan bot")
    report = {}
    for line in lines:
        for label in LABELS:
            if line[2:].startswith(f"{label}: "):
                report[label] = line[2 + len(label) + 2 :]
    assert list(report) == list(LABELS), lines
    return report | {"ringkasan": lines[-1]}


async def test_with_every_server_up_every_line_is_ok(health_bot: StaffBot) -> None:
    report = await kesehatan(health_bot)
    for label in LABELS:
        assert report[label].startswith("OK — "), (label, report[label])
    assert report["Telegram"] == (
        f"OK — @lpse_test_bot, grup staf „Staf LPSE Batang” (ID {STAFF_CHAT_ID})"
    )
    assert report["Antrean pesan Telegram"].startswith("OK")
    assert report["IMAP (email masuk)"].endswith("folder INBOX dibuka (IDLE)")
    assert f"versi {MIGRATIONS[-1].version}, 0 tiket" in report["Database"]
    assert report["Antrean email keluar"] == "OK — tidak ada email menunggu"
    assert report["Karantina email masuk"] == "OK — tidak ada email di karantina"
    assert report["ringkasan"] == "Semua bagian berfungsi."


async def test_smtp_down_fails_its_line_and_the_piling_mail_while_the_rest_is_reported(
    health_bot: StaffBot,
    smtp_server: SmtpTestServer,  # noqa: F811
) -> None:
    smtp_server.stop()
    await queue_email(health_bot.services, health_bot.clock.now - timedelta(minutes=30))
    report = await kesehatan(health_bot)
    assert report["SMTP (email keluar)"].startswith("GAGAL — tidak dapat terhubung: ")
    assert report["Antrean email keluar"].startswith("GAGAL — 1 email menunggu, tertua 30 menit")
    for label in ("Telegram", "IMAP (email masuk)", "Database", "Penjadwal"):
        assert report[label].startswith("OK — "), (label, report[label])
    assert report["ringkasan"] == "2 bagian GAGAL; alasannya tertulis di atas."


async def test_a_sweep_that_stopped_coming_shows_as_a_failed_scheduler(
    health_bot: StaffBot,
) -> None:
    services = health_bot.services
    for _ in range(500):  # the first sweep runs a second after start
        if services.last_sweep is not None:
            break
        await asyncio.sleep(0.01)
    assert (await kesehatan(health_bot))["Penjadwal"].startswith("OK — sapuan tenggat terakhir")
    health_bot.clock.advance(minutes=5)  # no sweep for five minutes, every 20 s expected
    late = (await kesehatan(health_bot))["Penjadwal"]
    assert late.startswith("GAGAL — sapuan tenggat terakhir 5 menit lalu, padahal dijadwalkan")


@pytest.mark.parametrize("chat", ["private", "other group"])
async def test_outside_the_staff_group_it_is_refused_politely_and_nothing_is_probed(
    bot_api: BotApiServer, tmp_path: Path, chat: str
) -> None:
    async with running_bot(bot_api, tmp_path / "data", FakeClock()):
        if chat == "private":
            bot_api.user_message(OUTSIDER, "/kesehatan")
            where = OUTSIDER["id"]
        else:
            bot_api.group_message(OTHER_GROUP, OUTSIDER, "/kesehatan")
            where = OTHER_GROUP
        answer = await bot_api.wait_for("sendMessage", chat_id=where)
        assert answer.text == "Maaf, perintah ini hanya dapat digunakan di grup staf LPSE."
        await bot_api.wait_idle()
        assert len(bot_api.sent(where)) == 1  # the user side's catch-all stayed quiet
        assert not [c for c in bot_api.calls if c.method in ("getChat", "editMessageText")]


async def test_the_staff_menu_and_bantuan_offer_it(bot_api: BotApiServer, tmp_path: Path) -> None:
    clock = FakeClock()
    async with running_bot(bot_api, tmp_path / "data", clock) as app:
        menu = {c["command"] for c in bot_api.commands(BotCommandScopeChat(STAFF_CHAT_ID))}
        assert "kesehatan" in menu
        staff = StaffBot(bot_api, app, clock)
        staff.command("/bantuan")
        help_text = (await staff.staff_message("Perintah staf LPSE")).text or ""
        assert "/kesehatan: periksa Telegram, SMTP, IMAP" in help_text


async def test_a_paused_sweep_job_is_reported_as_not_scheduled(health_bot: StaffBot) -> None:
    jobs = health_bot.app.job_queue
    assert jobs is not None
    for job in jobs.get_jobs_by_name(SWEEP_JOB):
        job.enabled = False
    line = (await kesehatan(health_bot))["Penjadwal"]
    assert line == "GAGAL — sapuan tenggat tidak terjadwal: tenggat SOP tidak dipantau"
