"""Opening an IMAP session as the reader and the health probe both do, against real servers."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import aioimaplib
import pytest

from bot.config import Settings
from bot.mail import imap_connect
from bot.mail.imap_connect import ImapError, logout, open_session
from tests.support.imap_tls import HAS_OPENSSL, StartTlsServer, make_certs, starttls_imap
from tests.support.mail_fixtures import imap_server  # noqa: F401 - fixture
from tests.support.mailservers import ImapTestServer, free_port
from tests.support.settings import make_settings

needs_openssl = pytest.mark.skipif(not HAS_OPENSSL, reason="needs openssl")


def plain(tmp_path: Path, server: ImapTestServer, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "imap_port": server.port, "imap_username": server.user, "imap_password": server.password,
    }  # fmt: skip
    return make_settings(tmp_path / "data", **{**values, **overrides})


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StartTlsServer]:
    if not HAS_OPENSSL:
        pytest.skip("needs openssl")
    with starttls_imap(make_certs(tmp_path_factory.mktemp("imap-tls"))) as server:
        yield server


def starttls(tmp_path: Path, server: StartTlsServer, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "imap_port": server.port, "imap_username": server.user,
        "imap_password": server.password, "imap_security": "starttls",
        "imap_ca_file": server.ca_file,
    }  # fmt: skip
    values.update(overrides)
    return make_settings(tmp_path / "data", **values)


def encrypted(client: aioimaplib.IMAP4) -> bool:
    assert client.protocol is not None and client.protocol.transport is not None
    return client.protocol.transport.get_extra_info("ssl_object") is not None


async def test_without_tls_it_logs_in_and_selects_the_mailbox(
    tmp_path: Path,
    imap_server: ImapTestServer,  # noqa: F811
) -> None:
    client = await open_session(plain(tmp_path, imap_server), 5)
    try:
        assert client.protocol is not None and client.protocol.state == "SELECTED"
        assert not encrypted(client)
    finally:
        await logout(client)


async def test_the_reader_s_processed_folder_is_created_only_when_asked(
    tmp_path: Path,
    imap_server: ImapTestServer,  # noqa: F811
) -> None:
    settings = plain(tmp_path, imap_server)
    await logout(await open_session(settings, 5))
    assert "Diproses" not in imap_server.mailboxes()
    await logout(await open_session(settings, 5, create="Diproses"))
    assert "Diproses" in imap_server.mailboxes()
    await logout(await open_session(settings, 5, create="Diproses"))  # exists: still fine


async def test_a_wrong_password_names_login(
    tmp_path: Path,
    imap_server: ImapTestServer,  # noqa: F811
) -> None:
    with pytest.raises(ImapError) as refused:
        await open_session(plain(tmp_path, imap_server, imap_password="salah"), 5)
    assert refused.value.command == "LOGIN"


async def test_a_missing_folder_names_select(
    tmp_path: Path,
    imap_server: ImapTestServer,  # noqa: F811
) -> None:
    with pytest.raises(ImapError) as missing:
        await open_session(plain(tmp_path, imap_server, imap_mailbox="TidakAda"), 5)
    assert missing.value.command == "SELECT"


async def test_nobody_listening_is_a_connection_error(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data", imap_port=free_port())
    with pytest.raises(OSError):
        await open_session(settings, 5)


@needs_openssl
async def test_starttls_upgrades_before_login_trusting_the_lpse_ca(
    tmp_path: Path, tls_server: StartTlsServer
) -> None:
    client = await open_session(starttls(tmp_path, tls_server), 5)
    try:
        assert encrypted(client)
        assert client.protocol is not None and client.protocol.state == "SELECTED"
    finally:
        await logout(client)


@needs_openssl
async def test_starttls_refuses_a_certificate_nobody_vouches_for(
    tmp_path: Path, tls_server: StartTlsServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(imap_connect, "LOGOUT_SECONDS", 0.2)  # the handshake broke the line
    with pytest.raises(ssl.SSLCertVerificationError):
        await open_session(starttls(tmp_path, tls_server, imap_ca_file=None), 5)
