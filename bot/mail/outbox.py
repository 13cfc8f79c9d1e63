"""The transactional outbox: emails to LKPP are queued with the state change, then delivered.

:meth:`Outbox.on_step` is a workflow listener: it runs inside the transaction of ESCALATE,
FORWARD_DATA and REQUEST_STATUS and writes the outbox row there, so the ticket never says
"escalated" without an email waiting to go, nor the other way round. :meth:`Outbox.run` is the
sender loop: it delivers due rows with aiosmtplib, retries transient failures with exponential
backoff (the row keeps its Message-ID, so a resend is the same email and LKPP's client threads
it as one), gives up on a permanent 5xx rejection and tells staff, and records the delivery
through the workflow (ESCALATION_DELIVERED …): that event's time is what the SOP's 5-minute
standards are measured against.

Delivery is at-least-once: a crash after the SMTP server accepted an email but before the
delivery commits sends it again on restart, with the same Message-ID, which mail clients
collapse into one message.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

import aiosmtplib

from bot.config import MailSecurity
from bot.domain.errors import IllegalTransition, TicketNotFound
from bot.domain.sop import Action, Actor
from bot.domain.ticket import Attachment, Ticket
from bot.mail import compose
from bot.mail.compose import FileFetcher
from bot.mail.filenames import safe_filename
from bot.mail.tls import tls_context
from bot.storage.mail import MailStore, OutboxRow
from bot.workflow import Applied

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)

#: Which step queues which kind of email, and which step records its delivery.
QUEUE_KINDS = {
    Action.ESCALATE: compose.ESCALATION,
    Action.FORWARD_DATA: compose.DATA,
    Action.REQUEST_STATUS: compose.STATUS,
    Action.TELL_LKPP_WITHDRAWN: compose.WITHDRAWN,
}
#: Kinds whose delivery is a step of the SOP (the withdrawal notice is only marked sent).
DELIVERED = {
    compose.ESCALATION: Action.ESCALATION_DELIVERED,
    compose.DATA: Action.FORWARD_DELIVERED,
    compose.STATUS: Action.STATUS_REQUEST_DELIVERED,
}
_SINCE_LAST_FORWARD = (Action.FORWARD_DATA, Action.ESCALATE)


class OutboxAlerts(Protocol):
    """Where the sender tells staff about mail that waits too long or was refused."""

    async def outbox_overdue(self, row: OutboxRow, number: str, now: datetime) -> None: ...

    async def outbox_rejected(self, row: OutboxRow, number: str) -> None: ...


@dataclass(frozen=True, slots=True)
class SendResult:
    """What one pass of the sender did (tests and the benchmark read it)."""

    sent: int = 0
    retried: int = 0
    failed: int = 0


class _Permanent(Exception):
    """The server refused for good (5xx): retrying would only repeat the refusal."""


class Outbox:
    """Queue writer (workflow listener) and sender loop.

    Args:
        services: The bot's services (settings, db, workflow, texts, clock).
        fetcher: Downloads the user's files at send time.
        alerts: Tells staff about overdue and refused mail.
        poll_seconds: How often the loop looks for due retries when nothing wakes it.
    """

    def __init__(
        self,
        services: Services,
        fetcher: FileFetcher,
        alerts: OutboxAlerts | None = None,
        poll_seconds: float = 5.0,
    ) -> None:
        self.services = services
        self.store = MailStore(services.db)
        self.fetcher = fetcher
        self.alerts = alerts
        self.poll_seconds = poll_seconds
        self.wake = asyncio.Event()

    # --- queueing (inside the workflow's transaction) -------------------------------------
    async def on_step(self, applied: Applied) -> None:
        """Workflow listener: queue the email a step asks for, in the step's transaction."""
        kind = QUEUE_KINDS.get(applied.step.action)
        if kind is None:
            return
        services = self.services
        ticket = applied.ticket
        assert ticket.id is not None
        note = _text(applied.details.get("catatan"))
        if kind == compose.ESCALATION:
            draft = compose.escalation_draft(services, ticket, note)
        elif kind == compose.DATA:
            text, files = await self._user_data(ticket, applied)
            draft = compose.forward_draft(services, ticket, text, files)
        elif kind == compose.WITHDRAWN:
            draft = compose.withdrawal_draft(
                services, ticket, _text(applied.details.get("reason"))
            )
        else:
            draft = compose.status_draft(services, ticket, note)
        edited = _text(applied.details.get("email_body"))
        if edited:  # staff edited the draft before sending: their text is the body
            draft.body = edited.rstrip() + "\n"
        in_reply_to, references = compose.thread_headers(await self.store.thread(ticket.id))
        await self.store.queue(
            ticket_id=ticket.id,
            event_id=applied.event_id,
            kind=kind,
            message_id=compose.new_message_id(services.settings, ticket.number, kind),
            in_reply_to=in_reply_to,
            references=references,
            recipient=services.settings.lkpp_helpdesk_email,
            subject=draft.subject,
            body=draft.body,
            attachment_ids=[a.id for a in draft.attachments if a.id is not None],
            automatic=draft.automatic,
            at=applied.at,
        )

    async def after_commit(self, applied: Applied) -> None:
        """Wake the sender as soon as a queued email has committed."""
        if applied.step.action in QUEUE_KINDS:
            self.wake.set()

    async def _user_data(self, ticket: Ticket, applied: Applied) -> tuple[str, list[Attachment]]:
        """The user's words and files since the last email to LKPP (steps 8 → 9)."""
        assert ticket.id is not None
        events = await self.services.tickets.events(ticket.id)
        since = 0
        texts: list[str] = []
        for event in events:
            if event.id == applied.event_id:
                continue
            if event.action in _SINCE_LAST_FORWARD:
                since, texts = event.id, []
            elif event.action is Action.USER_SENDS_DATA:
                value = _text(event.details.get("text"))
                if value:
                    texts.append(value)
        wanted = await self.store.user_file_ids_after(ticket.id, since)
        files = [a for a in ticket.attachments if a.id in wanted]
        text = _text(applied.details.get("text")) or "\n\n".join(texts)
        return text, files

    # --- sending ---------------------------------------------------------------------------
    async def run(self) -> None:
        """Deliver forever; cancelled by the bridge's ``stop``."""
        while True:
            raise_if_cancelled()  # Python 3.11's wait_for may swallow a cancel (gh-86296)
            self.wake.clear()
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:  # the loop must survive anything one pass runs into
                log.exception("outbox pass failed")
            with contextlib.suppress(TimeoutError):  # asyncio.timeout never loses a cancel
                async with asyncio.timeout(self.poll_seconds):
                    await self.wake.wait()

    async def run_once(self) -> SendResult:
        """Alert about overdue mail, then try every due row once."""
        now = self.services.clock()
        await self._alert_overdue(now)
        rows = await self.store.due(now)
        if not rows:
            return SendResult()
        sent = retried = failed = 0
        try:
            client = await self._connect()
        except Exception as exc:  # server down, TLS or login failure: all wait for the next try
            for row in rows:
                await self._retry(row, exc, now)
            return SendResult(retried=len(rows))
        try:
            for row in rows:
                try:
                    await self._send(client, row)
                except _Permanent as exc:
                    await self._fail(row, str(exc))
                    failed += 1
                except Exception as exc:
                    await self._retry(row, exc, now)
                    retried += 1
                    if not client.is_connected:
                        break
                else:
                    await self._delivered(row)
                    sent += 1
        finally:
            try:
                await client.quit()
            except Exception:
                client.close()
        return SendResult(sent, retried, failed)

    async def _connect(self) -> aiosmtplib.SMTP:
        settings = self.services.settings
        secure = settings.smtp_security is not MailSecurity.NONE
        client = aiosmtplib.SMTP(
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            use_tls=settings.smtp_security is MailSecurity.TLS,
            start_tls=settings.smtp_security is MailSecurity.STARTTLS,
            tls_context=tls_context(settings.smtp_ca_file) if secure else None,
            timeout=settings.smtp_timeout_seconds,
        )
        await client.connect()
        if settings.smtp_username:
            password = settings.smtp_password.get_secret_value() if settings.smtp_password else ""
            await client.login(settings.smtp_username, password)
        return client

    async def _send(self, client: aiosmtplib.SMTP, row: OutboxRow) -> None:
        files, missing = await self._files(row)
        note = None
        if missing:
            note = self.services.texts.plain_msg(
                "surel_kirim.lampiran_gagal", nama=", ".join(missing)
            )
        try:
            message = compose.build_email(
                self.services.settings, row, files, missing, note, self.services.texts
            )
        except (ValueError, TypeError) as exc:  # a stored row that can never become an email
            raise _Permanent(f"email tidak dapat disusun: {exc}") from exc
        try:
            await client.send_message(
                message, sender=self.services.settings.mail_address, recipients=[row.recipient]
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients]
            if codes and min(codes) >= 500:
                raise _Permanent(
                    "; ".join(f"{r.code} {r.message}" for r in exc.recipients)
                ) from exc
            raise
        except aiosmtplib.SMTPResponseException as exc:
            if exc.code >= 500:
                raise _Permanent(f"{exc.code} {exc.message}") from exc
            raise

    async def _files(
        self, row: OutboxRow
    ) -> tuple[list[tuple[str, str | None, bytes]], list[str]]:
        if not row.attachment_ids:
            return [], []
        wanted = set(row.attachment_ids)
        attachments = [
            a for a in await self.services.tickets.attachments(row.ticket_id)
            if a.id in wanted
        ]  # fmt: skip
        files: list[tuple[str, str | None, bytes]] = []
        missing: list[str] = []
        for index, attachment in enumerate(attachments, 1):
            name = safe_filename(attachment.file_name, f"lampiran-{index}")
            try:
                content = await self.fetcher.fetch(attachment)
            except Exception:
                log.warning("file %s of ticket %s could not be fetched", name, row.ticket_id,
                            exc_info=True)  # fmt: skip
                missing.append(name)
                continue
            files.append((name, attachment.mime_type, content))
        return files, missing

    async def _delivered(self, row: OutboxRow) -> None:
        workflow = self.services.workflow
        async with workflow.transaction():
            now = self.services.clock()
            await self.store.mark_sent(row.id, now)
            ticket = await self.services.tickets.get_by_id(row.ticket_id)
            if ticket is None or row.kind not in DELIVERED:
                return
            try:
                await workflow.apply_in(
                    ticket.number, DELIVERED[row.kind], Actor.SYSTEM,
                    details={"message_id": row.message_id, "percobaan": row.attempts + 1},
                )  # fmt: skip
            except (IllegalTransition, TicketNotFound) as exc:
                # The ticket moved on (cancelled) while the mail waited: the mail still went.
                log.warning("delivery of %s not recorded on %s: %s", row.message_id,
                            ticket.number, exc)  # fmt: skip
        log.info("mail %s (%s) delivered for ticket %s", row.message_id, row.kind, row.ticket_id)

    def backoff(self, attempts: int) -> timedelta:
        """Wait before retry number ``attempts + 1``: base x 2^attempts, capped."""
        settings = self.services.settings
        seconds = settings.outbox_retry_base_seconds * (2 ** min(attempts, 20))
        return timedelta(seconds=min(seconds, settings.outbox_retry_max_seconds))

    async def _retry(self, row: OutboxRow, exc: BaseException, now: datetime) -> None:
        error = f"{type(exc).__name__}: {exc}"
        log.warning("mail %s not sent (attempt %d): %s", row.message_id, row.attempts + 1, error)
        await self.store.mark_retry(row.id, now + self.backoff(row.attempts), error)

    async def _fail(self, row: OutboxRow, error: str) -> None:
        log.error("mail %s refused for good: %s", row.message_id, error)
        await self.store.mark_failed(row.id, error)
        if self.alerts is None:
            return
        failed = await self.store.outbox(row.id)
        try:
            await self.alerts.outbox_rejected(failed or row, await self._number(row))
        except Exception:
            log.exception("could not tell staff that mail %s was refused", row.message_id)

    async def _alert_overdue(self, now: datetime) -> None:
        if self.alerts is None:
            return
        limit = timedelta(minutes=self.services.settings.outbox_alert_minutes)
        for row in await self.store.overdue(now - limit):
            try:
                await self.alerts.outbox_overdue(row, await self._number(row), now)
            except Exception:
                log.exception("could not tell staff that mail %s waits", row.message_id)
                continue
            await self.store.mark_alerted(row.id, now)

    async def _number(self, row: OutboxRow) -> str:
        ticket = await self.services.tickets.get_by_id(row.ticket_id)
        return ticket.number if ticket else str(row.ticket_id)


def raise_if_cancelled() -> None:
    """Re-raise a cancellation a library swallowed, so ``stop`` never waits forever."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


def _text(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None
