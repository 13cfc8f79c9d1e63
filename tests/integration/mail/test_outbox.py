"""The outbox against a real SMTP server: queued with the step, delivered once, retried."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import Settings
from bot.domain.sop import Action, Actor, State
from bot.domain.ticket import Attachment
from bot.mail.outbox import Outbox
from bot.mail.threading import verify_message_id
from bot.services import Services, open_services
from bot.storage.mail import FAILED, QUEUED, SENT, MailStore
from bot.workflow import By
from tests.support.clock import FakeClock
from tests.support.mail_bridge_fixtures import BytesFetcher, RecordingAlerts, cannot_handle
from tests.support.mail_fixtures import smtp_server  # noqa: F401 - fixture
from tests.support.mailservers import SmtpTestServer
from tests.support.settings import make_settings
from tests.support.tickets import STAFF, USER_CHAT

LKPP = "helpdesk@lkpp.go.id"


@pytest.fixture
def settings(tmp_path: Path, smtp_server: SmtpTestServer) -> Settings:  # noqa: F811
    return make_settings(
        tmp_path / "data", smtp_port=smtp_server.port, smtp_username=smtp_server.user,
        smtp_password=smtp_server.password, outbox_alert_minutes=10,
    )  # fmt: skip


@pytest.fixture
async def mail(settings: Settings, clock: FakeClock) -> AsyncIterator[tuple[Services, Outbox]]:
    services = await open_services(settings, clock)
    outbox = Outbox(services, BytesFetcher({"fid1": b"%PDF-bukti"}), RecordingAlerts())
    services.workflow.add_listener(outbox.on_step)
    services.workflow.add_after_commit(outbox.after_commit)
    try:
        yield services, outbox
    finally:
        await services.db.close()


async def _escalate(services: Services, files: list[tuple[str, int, str]] = ()) -> str:
    number = await cannot_handle(services, files)
    await services.workflow.apply(number, Action.ESCALATE, Actor.STAFF, STAFF)
    return number


async def test_escalation_is_queued_with_the_step_and_delivered(
    mail: tuple[Services, Outbox],
    smtp_server: SmtpTestServer,  # noqa: F811
) -> None:
    services, outbox = mail
    number = await _escalate(services, [("bukti.pdf", 10, "fid1")])
    ticket = await services.workflow.get(number)
    assert ticket.id is not None
    rows = await MailStore(services.db).outbox_for_ticket(ticket.id)
    assert [(r.kind, r.state) for r in rows] == [("eskalasi", QUEUED)]

    result = await outbox.run_once()
    assert result.sent == 1
    (captured,) = smtp_server.wait_for(1)
    assert captured.rcpt_tos == [LKPP]
    assert captured.auth_user == smtp_server.user
    assert captured.message_id == rows[0].message_id
    secret = services.settings.mail_secret.get_secret_value().encode()
    assert verify_message_id(captured.message_id, secret) == number
    assert f"[LPSE-BTG #{number}]" in captured.subject
    # Staff approved it: a person's email, not marked automatic in any way.
    assert captured.message["X-Auto-Response-Suppress"] is None
    assert captured.message["Auto-Submitted"] is None
    assert str(captured.message["Date"]).endswith("+0700")  # the LPSE's zone (WIB)
    body = captured.message.get_body(("plain",)).get_content()
    assert "#KEWENANGAN_LPSE" in body and "Budi Santoso" in body
    files = {p.get_filename(): p.get_content() for p in captured.message.iter_attachments()}
    assert files == {"bukti.pdf": b"%PDF-bukti"}

    events = await services.workflow.store.events(ticket.id)
    delivered = [e for e in events if e.action is Action.ESCALATION_DELIVERED]
    assert len(delivered) == 1 and delivered[0].at == services.clock()
    assert (await MailStore(services.db).outbox(rows[0].id)).state == SENT  # type: ignore[union-attr]


async def test_smtp_down_then_up_delivers_each_once_with_the_same_message_id(
    mail: tuple[Services, Outbox],
    smtp_server: SmtpTestServer,  # noqa: F811
    clock: FakeClock,
) -> None:
    services, outbox = mail
    smtp_server.stop()
    numbers = [await _escalate(services) for _ in range(3)]
    assert (await outbox.run_once()).retried == 3
    clock.advance(minutes=30)
    assert (await outbox.run_once()).retried == 3
    alerts = outbox.alerts
    assert isinstance(alerts, RecordingAlerts)
    assert sorted(alerts.overdue) == sorted(numbers)  # told once each, past 10 minutes
    clock.advance(minutes=30)
    await outbox.run_once()
    assert sorted(alerts.overdue) == sorted(numbers)

    smtp_server.start()
    clock.advance(hours=1)
    assert (await outbox.run_once()).sent == 3
    clock.advance(hours=1)
    assert (await outbox.run_once()).sent == 0
    captured = smtp_server.wait_for(3)
    assert len(captured) == 3
    store = MailStore(services.db)
    stored = []
    for number in numbers:
        ticket = await services.workflow.get(number)
        assert ticket.id is not None
        (row,) = await store.outbox_for_ticket(ticket.id)
        assert row.state == SENT and row.attempts == 4
        stored.append(row.message_id)
    assert sorted(m.message_id for m in captured) == sorted(stored)


async def test_permanent_rejection_fails_alerts_and_is_not_retried(
    mail: tuple[Services, Outbox],
    smtp_server: SmtpTestServer,  # noqa: F811
    clock: FakeClock,
) -> None:
    services, outbox = mail
    smtp_server.reject(LKPP, 550)
    number = await _escalate(services)
    assert (await outbox.run_once()).failed == 1
    ticket = await services.workflow.get(number)
    assert ticket.id is not None
    (row,) = await MailStore(services.db).outbox_for_ticket(ticket.id)
    assert row.state == FAILED and "550" in (row.last_error or "")
    assert outbox.alerts.rejected == [number]  # type: ignore[union-attr]
    smtp_server.accept_all()
    clock.advance(hours=5)
    assert (await outbox.run_once()) == type(await outbox.run_once())()
    assert smtp_server.messages == []
    assert ticket.state is State.ESCALATED


async def test_temporary_rejection_is_retried_with_backoff(
    mail: tuple[Services, Outbox],
    smtp_server: SmtpTestServer,  # noqa: F811
    clock: FakeClock,
) -> None:
    services, outbox = mail
    smtp_server.reject_data(451, times=1)
    await _escalate(services)
    assert (await outbox.run_once()).retried == 1
    assert (await outbox.run_once()).sent == 0  # not due yet: backoff
    clock.advance(seconds=services.settings.outbox_retry_base_seconds)
    assert (await outbox.run_once()).sent == 1
    assert len(smtp_server.wait_for(1)) == 1


async def test_forward_and_status_request_thread_into_the_escalation(
    mail: tuple[Services, Outbox],
    smtp_server: SmtpTestServer,  # noqa: F811
) -> None:
    services, outbox = mail
    wf = services.workflow
    number = await _escalate(services)
    await outbox.run_once()
    await wf.apply(number, Action.REQUEST_STATUS, Actor.SYSTEM)
    await wf.apply(number, Action.LKPP_REQUEST_DATA, Actor.LKPP)
    await wf.apply(number, Action.PASS_REQUEST_TO_USER, Actor.STAFF, STAFF, {"text": "Mohon NPWP"})
    data_file = Attachment(None, 0, "pengguna", "npwp.pdf", "application/pdf", 10,
                           telegram_file_id="fid1")  # fmt: skip
    await wf.apply(number, Action.USER_SENDS_DATA, Actor.USER, By(USER_CHAT, "Budi"),
                   {"text": "NPWP 01.234.567.8-999.000"}, [data_file])  # fmt: skip
    await wf.apply(number, Action.FORWARD_DATA, Actor.STAFF, STAFF)
    assert (await outbox.run_once()).sent == 2
    escalation, status, forward = smtp_server.wait_for(3)
    assert status.message["Auto-Submitted"] == "auto-generated"
    assert status.message["X-Auto-Response-Suppress"] == "All"
    assert forward.message["X-Auto-Response-Suppress"] is None
    assert status.message["In-Reply-To"].strip() == escalation.message_id
    assert forward.message["Auto-Submitted"] is None
    assert escalation.message_id in forward.message["References"]
    assert "NPWP 01.234.567.8-999.000" in forward.message.get_body(("plain",)).get_content()
    assert [p.get_filename() for p in forward.message.iter_attachments()] == ["npwp.pdf"]
    ticket = await wf.get(number)
    assert ticket.id is not None
    actions = [e.action for e in await wf.store.events(ticket.id)]
    assert Action.STATUS_REQUEST_DELIVERED in actions and Action.FORWARD_DELIVERED in actions


async def test_sender_loop_is_woken_by_the_commit(
    mail: tuple[Services, Outbox],
    smtp_server: SmtpTestServer,  # noqa: F811
) -> None:
    services, outbox = mail
    outbox.poll_seconds = 60  # only the wake-up can make this test pass in time
    task = asyncio.create_task(outbox.run())
    try:
        await asyncio.sleep(0.05)
        await _escalate(services)
        captured = await smtp_server.wait_for_async(1, 5)
        assert len(captured) == 1
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
