"""The sender over STARTTLS and implicit TLS, trusting the LPSE's own CA (``SMTP_CA_FILE``)."""

from __future__ import annotations

import shutil
import ssl
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from bot.config import Settings
from bot.domain.sop import Action, Actor
from bot.mail.outbox import Outbox
from bot.services import Services, open_services
from tests.support.clock import FakeClock
from tests.support.imap_tls import make_certs
from tests.support.mail_bridge_fixtures import BytesFetcher, RecordingAlerts, cannot_handle
from tests.support.mailservers import free_port
from tests.support.settings import make_settings
from tests.support.tickets import STAFF

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A throwaway CA and a server certificate for 127.0.0.1 signed by it."""
    return make_certs(tmp_path_factory.mktemp("tls"))


class _Sink:
    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(bytes(envelope.original_content or b""))
        return "250 OK"


def _server_context(certs: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certs / "server.pem", certs / "server.key")
    return context


@pytest.fixture(params=["starttls", "tls"])
def tls_server(request: pytest.FixtureRequest, certs: Path) -> Iterator[tuple[str, int, _Sink]]:
    sink = _Sink()
    port = free_port()
    context = _server_context(certs)
    if request.param == "starttls":
        controller = Controller(sink, hostname="127.0.0.1", port=port, tls_context=context,
                                require_starttls=True, server_hostname="smtp.test")  # fmt: skip
    else:
        controller = Controller(sink, hostname="127.0.0.1", port=port, ssl_context=context,
                                server_hostname="smtp.test")  # fmt: skip
    controller.start()
    try:
        yield request.param, port, sink
    finally:
        controller.stop()


@pytest.fixture
def settings(tmp_path: Path, tls_server: tuple[str, int, _Sink], certs: Path) -> Settings:
    security, port, _ = tls_server
    return make_settings(tmp_path / "data", smtp_port=port, smtp_security=security,
                         smtp_ca_file=certs / "ca.pem")  # fmt: skip


@pytest.fixture
async def outbox(settings: Settings, clock: FakeClock) -> AsyncIterator[tuple[Services, Outbox]]:
    services = await open_services(settings, clock)
    sender = Outbox(services, BytesFetcher(), RecordingAlerts())
    services.workflow.add_listener(sender.on_step)
    try:
        yield services, sender
    finally:
        await services.db.close()


async def test_delivers_over_tls_trusting_the_custom_ca(
    outbox: tuple[Services, Outbox], tls_server: tuple[str, int, _Sink]
) -> None:
    services, sender = outbox
    number = await cannot_handle(services)
    await services.workflow.apply(number, Action.ESCALATE, Actor.STAFF, STAFF)
    assert (await sender.run_once()).sent == 1
    _, _, sink = tls_server
    assert len(sink.messages) == 1 and number.encode() in sink.messages[0]


async def test_without_the_ca_the_mail_waits_instead_of_going_out_unverified(
    outbox: tuple[Services, Outbox], tls_server: tuple[str, int, _Sink]
) -> None:
    services, sender = outbox
    services.settings = services.settings.model_copy(update={"smtp_ca_file": None})
    number = await cannot_handle(services)
    await services.workflow.apply(number, Action.ESCALATE, Actor.STAFF, STAFF)
    assert (await sender.run_once()).retried == 1
    _, _, sink = tls_server
    assert sink.messages == []
