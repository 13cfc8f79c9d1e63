"""The test mail servers behave like real ones, driven by the clients the bot uses.

aiosmtplib and aioimaplib are the bot's own clients, so these tests also prove that the bot's
protocol stack works against the servers its other tests rely on. The IMAP tests run against
both Dovecot and pymap, because CI machines without Dovecot fall back to pymap.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from email.message import EmailMessage

import aioimaplib
import aiosmtplib
import pytest

from tests.support.mail_fixtures import imap_server, smtp_server
from tests.support.mailservers import (
    IMAP_BACKEND_ENV,
    ImapTestServer,
    SmtpTestServer,
    _Accounts,
    _dovecot_config,
    dovecot_binary,
    imap_backend_from_env,
)

# The fixtures are imported explicitly (the conftest plugin may register them too); naming
# them in __all__ tells linters the import is deliberate although only pytest uses it.
__all__ = ["imap_server", "smtp_server"]

LPSE = "lpse@batangkab.go.id"
LKPP = "helpdesk@lkpp.go.id"


def escalation(subject: str = "[LPSE-BTG #BTG-2026-00042] Akun penyedia terkunci") -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = f"LPSE Kabupaten Batang <{LPSE}>"
    msg["To"] = f"Helpdesk LKPP <{LKPP}>"
    msg["Subject"] = subject
    msg["Message-ID"] = "<lpse.BTG-2026-00042.esk.n1.abcdefghijklmnop@batangkab.go.id>"
    msg.set_content("Yth. Helpdesk LKPP,\nMohon bantuan: akun penyedia terkunci.\n")
    return msg


async def send(server: SmtpTestServer, msg: EmailMessage, **kwargs: object) -> object:
    options: dict[str, object] = {
        "hostname": server.host,
        "port": server.port,
        "username": server.user,
        "password": server.password,
        "start_tls": False,
        "use_tls": False,
        "timeout": 5,
    }
    options.update(kwargs)
    return await aiosmtplib.send(msg, **options)  # type: ignore[arg-type]


# --- SMTP -------------------------------------------------------------------------------------


async def test_smtp_captures_authenticated_message(smtp_server: SmtpTestServer) -> None:
    await send(smtp_server, escalation())
    (captured,) = await smtp_server.wait_for_async(1)
    assert captured.mail_from == LPSE
    assert captured.rcpt_tos == [LKPP]
    assert captured.auth_user == smtp_server.user
    assert captured.subject == "[LPSE-BTG #BTG-2026-00042] Akun penyedia terkunci"
    assert captured.message_id.startswith("<lpse.BTG-2026-00042.")
    assert b"akun penyedia terkunci" in captured.raw
    assert captured.message.get_content().startswith("Yth. Helpdesk LKPP")


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
async def test_smtp_auth_mechanisms(smtp_server: SmtpTestServer, mechanism: str) -> None:
    client = aiosmtplib.SMTP(hostname=smtp_server.host, port=smtp_server.port, start_tls=False)
    async with client:
        await client.ehlo()
        assert mechanism.lower() in [method.lower() for method in client.server_auth_methods]
        if mechanism == "PLAIN":
            await client.auth_plain(smtp_server.user, smtp_server.password)
        else:
            await client.auth_login(smtp_server.user, smtp_server.password)
        await client.send_message(escalation())
    (captured,) = smtp_server.wait_for(1)
    assert captured.auth_user == smtp_server.user


async def test_smtp_wrong_password_is_refused(smtp_server: SmtpTestServer) -> None:
    with pytest.raises(aiosmtplib.SMTPAuthenticationError) as caught:
        await send(smtp_server, escalation(), password="salah")
    assert caught.value.code == 535
    assert smtp_server.auth_failures >= 1  # aiosmtplib tries each mechanism offered
    assert smtp_server.messages == []


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
async def test_smtp_unauthenticated_send_is_possible_unless_required() -> None:
    with SmtpTestServer() as open_server:
        await send(open_server, escalation(), username=None, password=None)
        assert open_server.wait_for(1)[0].auth_user is None
    with SmtpTestServer(auth_required=True) as strict:
        with pytest.raises(aiosmtplib.SMTPResponseException) as caught:
            await send(strict, escalation(), username=None, password=None)
        assert caught.value.code == 530


async def test_smtp_outage_and_restart_on_same_port(smtp_server: SmtpTestServer) -> None:
    port = smtp_server.port
    smtp_server.stop()
    assert not smtp_server.running
    with pytest.raises(aiosmtplib.SMTPConnectError):
        await send(smtp_server, escalation(), timeout=2)
    with pytest.raises(OSError):
        socket.create_connection((smtp_server.host, port), timeout=1).close()

    smtp_server.restart()
    assert smtp_server.running and smtp_server.port == port
    await send(smtp_server, escalation())
    assert len(smtp_server.wait_for(1)) == 1


@pytest.mark.parametrize(("code", "permanent"), [(550, True), (451, False)])
async def test_smtp_rejects_recipient(
    smtp_server: SmtpTestServer, code: int, permanent: bool
) -> None:
    smtp_server.reject(LKPP, code)
    with pytest.raises(aiosmtplib.SMTPRecipientsRefused) as caught:
        await send(smtp_server, escalation())
    (refusal,) = caught.value.recipients
    assert refusal.code == code
    assert (500 <= refusal.code < 600) is permanent
    assert refusal.recipient == LKPP
    assert smtp_server.messages == []

    smtp_server.accept_all()
    await send(smtp_server, escalation())
    assert len(smtp_server.wait_for(1)) == 1


async def test_smtp_rejects_one_recipient_of_two(smtp_server: SmtpTestServer) -> None:
    smtp_server.reject("HELPDESK@lkpp.go.id", 550)  # addresses compare case-insensitively
    msg = escalation()
    msg["Cc"] = "arsip@batangkab.go.id"
    errors, _ = await send(smtp_server, msg)  # type: ignore[misc]
    assert set(errors) == {LKPP}
    assert errors[LKPP].code == 550
    (captured,) = smtp_server.wait_for(1)
    assert captured.rcpt_tos == ["arsip@batangkab.go.id"]


async def test_smtp_rejects_data_temporarily(smtp_server: SmtpTestServer) -> None:
    smtp_server.reject_data(451)
    with pytest.raises(aiosmtplib.SMTPDataError) as caught:
        await send(smtp_server, escalation())
    assert caught.value.code == 451
    await send(smtp_server, escalation())  # only the next DATA failed
    assert len(smtp_server.wait_for(1)) == 1


def test_smtp_wait_for_times_out(smtp_server: SmtpTestServer) -> None:
    with pytest.raises(TimeoutError, match="0 of 1"):
        smtp_server.wait_for(1, seconds=0.1)


# --- IMAP -------------------------------------------------------------------------------------

BACKENDS = [
    pytest.param(
        "dovecot",
        marks=pytest.mark.skipif(dovecot_binary() is None, reason="dovecot not installed"),
    ),
    "pymap",
]
RAW = (
    b"From: Helpdesk LKPP <helpdesk@lkpp.go.id>\r\nTo: lpse@batangkab.go.id\r\n"
    b"Subject: Re: [LPSE-BTG #BTG-2026-00042] Akun\r\nMessage-ID: <r1@lkpp.go.id>\r\n"
    b"\r\n#SELESAI\r\nAkun sudah dibuka.\r\n"
)


@pytest.fixture(params=BACKENDS)
def imap(request: pytest.FixtureRequest) -> Iterator[ImapTestServer]:
    """Each IMAP test once per backend, whatever MAIL_TEST_IMAP says."""
    with ImapTestServer(request.param) as server:
        yield server


async def connect(server: ImapTestServer) -> aioimaplib.IMAP4:
    client = aioimaplib.IMAP4(host=server.host, port=server.port, timeout=5)
    await client.wait_hello_from_server()
    response = await client.login(server.user, server.password)
    assert response.result == "OK", response
    return client


async def test_imap_login_and_idle_capability(imap: ImapTestServer) -> None:
    client = await connect(imap)
    try:
        assert client.has_capability("IDLE")
        assert client.has_capability("UIDPLUS")
    finally:
        await client.logout()


async def test_imap_wrong_password(imap: ImapTestServer) -> None:
    client = aioimaplib.IMAP4(host=imap.host, port=imap.port, timeout=5)
    await client.wait_hello_from_server()
    response = await client.login(imap.user, "salah")
    assert response.result == "NO"


async def test_imap_append_then_peek_leaves_unseen(imap: ImapTestServer) -> None:
    uid = imap.append(RAW)
    assert uid is not None
    assert imap.flags() == {uid: set()}
    client = await connect(imap)
    try:
        await client.select("INBOX")
        response = await client.uid("fetch", "1:*", "(UID FLAGS BODY.PEEK[])")
        assert response.result == "OK"
        header = bytes(response.lines[0])
        assert f"UID {uid}".encode() in header
        assert bytes(response.lines[1]) == RAW
    finally:
        await client.logout()
    assert imap.flags() == {uid: set()}, "BODY.PEEK must not set \\Seen"
    assert imap.messages() == {uid: RAW}


async def test_imap_store_seen(imap: ImapTestServer) -> None:
    uid = imap.append(RAW)
    other = imap.append(RAW.replace(b"<r1@", b"<r2@"), flags=("\\Flagged",))
    client = await connect(imap)
    try:
        await client.select("INBOX")
        response = await client.uid("store", str(uid), "+FLAGS.SILENT", r"(\Seen)")
        assert response.result == "OK"
    finally:
        await client.logout()
    assert imap.flags() == {uid: {"\\Seen"}, other: {"\\Flagged"}}


async def test_imap_idle_sees_new_mail(imap: ImapTestServer) -> None:
    client = await connect(imap)
    try:
        await client.select("INBOX")
        idle = await client.idle_start(timeout=10)
        await asyncio.to_thread(imap.append, RAW)
        pushed = await client.wait_server_push(timeout=5)
        assert any(b"EXISTS" in bytes(line) for line in pushed)
        client.idle_done()
        await asyncio.wait_for(idle, 5)
    finally:
        await client.logout()


async def test_imap_mailboxes_and_move(imap: ImapTestServer) -> None:
    imap.create_mailbox("Diproses")
    assert {"INBOX", "Diproses"} <= set(imap.mailboxes())
    uid = imap.append(RAW)
    client = await connect(imap)
    try:
        await client.select("INBOX")
        response = await client.uid("move", str(uid), "Diproses")
        assert response.result == "OK"
    finally:
        await client.logout()
    assert imap.messages("INBOX") == {}
    assert list(imap.messages("Diproses").values()) == [RAW]


def test_imap_helpers_on_empty_mailbox(imap: ImapTestServer) -> None:
    assert imap.flags() == {}
    assert imap.messages() == {}
    with pytest.raises(RuntimeError, match="APPEND"):
        imap.append(RAW, mailbox="TidakAda")


def test_imap_stop_frees_everything(imap: ImapTestServer) -> None:
    root, port = imap.root, imap.port
    assert root is not None and root.exists()
    imap.stop()
    assert not imap.running
    assert not root.exists()
    with pytest.raises(OSError):
        socket.create_connection((imap.host, port), timeout=1).close()


# --- backend selection ------------------------------------------------------------------------


@pytest.fixture
def force_pymap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(IMAP_BACKEND_ENV, "pymap")


@pytest.mark.usefixtures("force_pymap")
def test_env_forces_pymap_in_the_fixture(imap_server: ImapTestServer) -> None:
    assert imap_server.backend == "pymap"
    uid = imap_server.append(RAW)
    assert imap_server.messages() == {uid: RAW}


def test_backend_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(IMAP_BACKEND_ENV, "PyMap")
    assert imap_backend_from_env() == "pymap"
    monkeypatch.setenv(IMAP_BACKEND_ENV, "dovecot")
    assert imap_backend_from_env() == "dovecot"
    monkeypatch.delenv(IMAP_BACKEND_ENV)
    assert imap_backend_from_env() == ("dovecot" if dovecot_binary() else "pymap")
    monkeypatch.setenv(IMAP_BACKEND_ENV, "exchange")
    with pytest.raises(ValueError, match="exchange"):
        imap_backend_from_env()


def test_dovecot_config_follows_version(tmp_path: object) -> None:
    accounts = _Accounts("dovenull", "dovecot", "dovecot", 65534, 65534)
    old = _dovecot_config(tmp_path, 1143, accounts, (2, 3))  # type: ignore[arg-type]
    new = _dovecot_config(tmp_path, 1143, accounts, (2, 4))  # type: ignore[arg-type]
    assert "disable_plaintext_auth = no" in old and "mail_location = maildir:" in old
    assert "auth_allow_cleartext = yes" in new and "dovecot_config_version = 2.4.0" in new
    assert "passdb passwd-file {" in new and "mail_driver = maildir" in new
    for text in (old, new):
        assert "ssl = no" in text and "port = 1143" in text and "listen = 127.0.0.1" in text
