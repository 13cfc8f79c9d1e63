"""Helpers for the mail bridge tests: services without a database, tickets, fake file fetcher."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from bot.domain.priority import PriorityTable
from bot.domain.sop import Action, Actor, State
from bot.domain.ticket import Attachment, Contact, Ticket, TicketType, UserRole
from bot.mail import compose
from bot.mail.inbox import message_key
from bot.mail.ingest import Ingestor, IngestResult
from bot.services import Services
from bot.storage.mail import MailStore, OutboxRow
from bot.text import Texts
from bot.workflow import By
from tests.support.clock import WIB
from tests.support.settings import make_settings
from tests.support.tickets import STAFF, USER_CHAT, new_ticket

AT = datetime(2026, 11, 24, 9, 0, tzinfo=WIB)


def pure_services(tmp_path: Path, **overrides: Any) -> Any:
    """What :mod:`bot.mail.compose` reads from services, without opening a database."""
    settings = make_settings(tmp_path / "data", **overrides)
    return SimpleNamespace(
        settings=settings, texts=Texts(settings.tz), priorities=PriorityTable.load(),
        clock=lambda: AT,
    )  # fmt: skip


def ticket(**overrides: Any) -> Ticket:
    values: dict[str, Any] = {
        "id": 7, "number": "BTG-2026-00042", "state": State.CANNOT_HANDLE,
        "type": TicketType.PROBLEM, "role": UserRole.VENDOR, "application": "SPSE 4.5",
        "title": "Gagal unggah dokumen penawaran",
        "description": "Saat unggah dokumen penawaran muncul pesan error 500.",
        "contact": Contact("Budi Santoso", "budi@contoh.co.id", "081234567890"),
        "priority": PriorityTable.load().default, "user_chat_id": USER_CHAT,
        "created_at": AT, "updated_at": AT, "package_code": "12345678",
        "error_code": "ERR-500", "assignee_name": "Sari (staf)",
    }  # fmt: skip
    values.update(overrides)
    return Ticket(**values)


def user_file(name: str, size: int, file_id: str = "f1", ident: int = 1) -> Attachment:
    return Attachment(ident, 7, "pengguna", name, "application/pdf", size,
                      telegram_file_id=file_id, created_at=AT)  # fmt: skip


def outbox_row(**overrides: Any) -> OutboxRow:
    """A queued escalation row as the store returns it."""
    values: dict[str, Any] = {
        "id": 1, "ticket_id": 7, "event_id": 3, "kind": "eskalasi",
        "message_id": "<x@batangkab.go.id>", "in_reply_to": None, "references": [],
        "recipient": "helpdesk@lkpp.go.id", "subject": "[LPSE-BTG #BTG-2026-00042] Eskalasi",
        "body": "Isi email\n", "attachment_ids": [], "automatic": False, "state": "antre",
        "attempts": 0, "next_attempt_at": AT, "last_error": None, "alerted_at": None,
        "created_at": AT, "sent_at": None,
    }  # fmt: skip
    values.update(overrides)
    return OutboxRow(**values)


@dataclass
class BytesFetcher:
    """A :class:`bot.mail.compose.FileFetcher` that returns given bytes per Telegram file id."""

    files: dict[str, bytes] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)

    async def fetch(self, attachment: Attachment) -> bytes:
        self.calls.append(attachment.file_name)
        key = attachment.telegram_file_id or ""
        if key not in self.files:
            raise FileNotFoundError(key)
        return self.files[key]


@dataclass
class RecordingAlerts:
    """An :class:`bot.mail.outbox.OutboxAlerts` that only remembers what it was told."""

    overdue: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)

    async def outbox_overdue(self, row: Any, number: str, now: datetime) -> None:
        self.overdue.append(number)

    async def outbox_rejected(self, row: Any, number: str) -> None:
        self.rejected.append(number)


async def cannot_handle(services: Services, files: list[tuple[str, int, str]] = ()) -> str:
    """A reported, taken ticket marked "cannot handle", with the user's files."""
    attachments = [
        Attachment(None, 0, "pengguna", name, "application/pdf", size, telegram_file_id=fid)
        for name, size, fid in files
    ]
    applied = await services.workflow.report(new_ticket(attachments=attachments),
                                             By(USER_CHAT, "Budi"))  # fmt: skip
    number = applied.ticket.number
    await services.workflow.apply(number, Action.TAKE, Actor.STAFF, STAFF)
    await services.workflow.apply(number, Action.CANNOT_HANDLE, Actor.STAFF, STAFF)
    return number


def lkpp_reply(services: Services, number: str, body: str, sender: str = "helpdesk@lkpp.go.id",
               with_file: bool = True) -> bytes:  # fmt: skip
    """An LKPP reply to ticket ``number``'s escalation, threaded by our signed Message-ID."""
    message = EmailMessage()
    message["From"] = f"Helpdesk LKPP <{sender}>"
    message["To"] = services.settings.mail_from
    message["Subject"] = f"RE: [LPSE-BTG #{number}] Eskalasi"
    message["Message-ID"] = f"<{abs(hash(body))}.{sender}>"
    message["In-Reply-To"] = compose.new_message_id(services.settings, number, "eskalasi")
    message.set_content(body)
    if with_file:
        message.add_attachment(b"%PDF-panduan", maintype="application", subtype="pdf",
                               filename="panduan.pdf")  # fmt: skip
    return message.as_bytes()


async def ingest_one(services: Services, raw: bytes) -> IngestResult:
    """Store ``raw`` as the reader does and ingest it."""
    await MailStore(services.db).store_raw(message_key(raw), raw, services.clock())
    (result,) = await Ingestor(services).ingest_pending()
    return result
