"""The probes against real servers and a real database, and ``check_setup`` end to end."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.config import Settings
from bot.health import (
    check_setup,
    probe_database,
    probe_imap,
    probe_outbox,
    probe_quarantine,
    probe_smtp,
    run_probes,
)
from bot.services import Services
from bot.storage.db import Database
from bot.text import Texts
from tests.support.backlog import quarantine, queue_email
from tests.support.botapi import BotApiServer
from tests.support.clock import WIB, FakeClock
from tests.support.imap_tls import HAS_OPENSSL, StartTlsServer, make_certs, starttls_imap
from tests.support.mail_fixtures import imap_server, smtp_server  # noqa: F401 - fixtures
from tests.support.mailservers import ImapTestServer, SmtpTestServer, free_port
from tests.support.settings import TOKEN, make_settings
from tests.support.telegram_app_fixtures import bot_api_fixture  # noqa: F401 - fixture

TEN_MINUTES = timedelta(minutes=10)


def live(tmp_path: Path, smtp: SmtpTestServer, imap: ImapTestServer, **more: object) -> Settings:
    values: dict[str, object] = {
        "smtp_port": smtp.port, "smtp_username": smtp.user, "smtp_password": smtp.password,
        "imap_port": imap.port, "imap_username": imap.user, "imap_password": imap.password,
    }  # fmt: skip
    return make_settings(tmp_path / "data", **{**values, **more})


async def one(probe: object, name: str = "x") -> object:
    (result,) = await run_probes({name: probe}, 5)  # type: ignore[dict-item]
    return result


# --- SMTP ------------------------------------------------------------------------------------
async def test_smtp_logs_in_and_noops(
    tmp_path: Path,
    smtp_server: SmtpTestServer,  # noqa: F811
    imap_server: ImapTestServer,  # noqa: F811
) -> None:
    result = await probe_smtp(live(tmp_path, smtp_server, imap_server), 5)
    assert result.ok and result.key == "smtp_ok"
    assert result.detail(Texts(WIB)) == (
        f"127.0.0.1:{smtp_server.port}, login berhasil, NOOP dijawab"
    )
    assert smtp_server.messages == []  # a probe sends nothing


async def test_smtp_down_or_refusing_the_password_is_reported(
    tmp_path: Path,
    smtp_server: SmtpTestServer,  # noqa: F811
    imap_server: ImapTestServer,  # noqa: F811
) -> None:
    settings = live(tmp_path, smtp_server, imap_server)
    wrong = settings.model_copy(update={"smtp_password": settings.imap_password})
    refused = await one(lambda: probe_smtp(wrong, 5), "smtp")
    assert (refused.ok, refused.key) == (False, "login")  # type: ignore[attr-defined]
    smtp_server.stop()
    down = await one(lambda: probe_smtp(settings, 5), "smtp")
    assert (down.ok, down.key) == (False, "koneksi")  # type: ignore[attr-defined]


# --- IMAP ------------------------------------------------------------------------------------
async def test_imap_without_tls_logs_in_and_selects(
    tmp_path: Path,
    smtp_server: SmtpTestServer,  # noqa: F811
    imap_server: ImapTestServer,  # noqa: F811
) -> None:
    settings = live(tmp_path, smtp_server, imap_server, imap_processed_mailbox="Diproses")
    result = await probe_imap(settings, 5)
    assert result.ok and result.key == "imap_ok"
    assert result.values["folder"] == "INBOX"
    assert "Diproses" not in imap_server.mailboxes()  # a check changes nothing on the server


async def test_imap_names_a_missing_folder_and_a_refused_login(
    tmp_path: Path,
    smtp_server: SmtpTestServer,  # noqa: F811
    imap_server: ImapTestServer,  # noqa: F811
) -> None:
    missing = await probe_imap(live(tmp_path, smtp_server, imap_server, imap_mailbox="LKPP"), 5)
    assert (missing.ok, missing.key, missing.values["folder"]) == (False, "folder", "LKPP")
    wrong = live(tmp_path, smtp_server, imap_server, imap_password="salah")
    refused = await one(lambda: probe_imap(wrong, 5), "imap")
    assert (refused.ok, refused.key) == (False, "login")  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def tls_imap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StartTlsServer]:
    if not HAS_OPENSSL:
        pytest.skip("needs openssl")
    with starttls_imap(make_certs(tmp_path_factory.mktemp("health-tls"))) as server:
        yield server


async def test_imap_over_starttls_goes_the_reader_s_way(
    tmp_path: Path, tls_imap: StartTlsServer
) -> None:
    settings = make_settings(
        tmp_path / "data", imap_port=tls_imap.port, imap_username=tls_imap.user,
        imap_password=tls_imap.password, imap_security="starttls", imap_ca_file=tls_imap.ca_file,
    )  # fmt: skip
    result = await probe_imap(settings, 5)
    assert result.ok and result.key == "imap_ok"


# --- database, outbox, quarantine ------------------------------------------------------------
async def test_the_database_reports_its_version_and_tickets(services: Services) -> None:
    result = await probe_database(services.db, integrity=True)
    assert result.ok and result.values["tiket"] == 0 and result.values["integritas"] is True
    async with services.db.transaction() as conn:
        await conn.execute("PRAGMA user_version = 2")
    old = await probe_database(services.db)
    assert (old.ok, old.key) == (False, "database_usang")
    assert "python -m bot migrate" in old.detail(services.texts)


async def test_the_outbox_fails_once_the_oldest_email_waits_past_the_alert(
    services: Services, clock: FakeClock
) -> None:
    empty = await probe_outbox(services.db, clock.now, TEN_MINUTES)
    assert (empty.ok, empty.key) == (True, "antrean_kosong")
    await queue_email(services, clock.now - timedelta(minutes=3))
    await queue_email(services, clock.now - timedelta(days=2), failed=True)
    young = await probe_outbox(services.db, clock.now, TEN_MINUTES)
    assert (young.ok, young.values["menunggu"], young.values["gagal"]) == (True, 1, 1)
    assert young.detail(services.texts) == (
        "1 email menunggu, tertua 3 menit; 1 email pernah ditolak server (gagal permanen)"
    )
    await queue_email(services, clock.now - timedelta(minutes=11))
    stuck = await probe_outbox(services.db, clock.now, TEN_MINUTES)
    assert (stuck.ok, stuck.key, stuck.values["menunggu"]) == (False, "antrean_macet", 2)
    assert "tertua 11 menit (lebih dari 10 menit): periksa SMTP" in stuck.detail(services.texts)


async def test_quarantined_mail_is_counted_not_failed(
    services: Services, clock: FakeClock
) -> None:
    assert (await probe_quarantine(services.db)).key == "karantina_kosong"
    await quarantine(services, "<q1@asing.example>", clock.now)
    result = await probe_quarantine(services.db)
    assert (result.ok, result.key, result.values["jumlah"]) == (True, "karantina", 1)


# --- check_setup -----------------------------------------------------------------------------
async def test_check_setup_with_everything_up_is_all_ok_but_the_scheduler(
    tmp_path: Path,
    bot_api: BotApiServer,
    smtp_server: SmtpTestServer,  # noqa: F811
    imap_server: ImapTestServer,  # noqa: F811
) -> None:
    settings = live(
        tmp_path, smtp_server, imap_server, telegram_bot_token=bot_api.token,
        telegram_base_url=bot_api.base_url, telegram_base_file_url=bot_api.base_file_url,
    )  # fmt: skip
    async with Database(settings.db_path) as db:
        await db.upgrade()
    results = {r.name: r for r in await check_setup(settings, 5)}
    assert list(results) == [
        "telegram", "smtp", "imap", "database", "scheduler", "outbox", "inbox", "pengirim",
    ]  # fmt: skip
    assert all(r.ok for name, r in results.items() if name not in {"scheduler", "pengirim"})
    assert results["scheduler"].ok is None
    # MAIL_TRUSTED_AUTHSERV_ID is not set: the report says sender authentication is off.
    assert (results["pengirim"].ok, results["pengirim"].key) == (None, "autentikasi_mati")
    assert results["telegram"].values["grup"] == "Staf LPSE Batang"


async def test_check_setup_reports_a_dead_server_within_the_deadline(tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path / "data", telegram_bot_token=TOKEN, smtp_port=free_port(),
        imap_port=free_port(), telegram_base_url=f"http://127.0.0.1:{free_port()}/bot",
    )  # fmt: skip
    results = {r.name: r for r in await check_setup(settings, 5)}
    assert {n: r.key for n, r in results.items() if r.ok is False} == {
        "telegram": "koneksi", "smtp": "koneksi", "imap": "koneksi",
        "database": "database_usang",  # a database `migrate` never created
        "outbox": "belum_migrate", "inbox": "belum_migrate",
    }  # fmt: skip
