"""The emails the bot sends LKPP: escalation (step 1), forwarded data (step 9), status request.

Rendering happens when the email is queued (inside the state change's transaction), so the
stored subject and body are exactly what staff approved and every retry sends the same text.
Only the user's files are fetched at send time, through a :class:`FileFetcher`, because they live
on Telegram's servers and a transaction must not wait on the network.
"""

from __future__ import annotations

import asyncio
import mimetypes
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, parseaddr
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from markupsafe import escape

from bot.config import Settings
from bot.domain.ticket import Attachment, Ticket
from bot.mail.threading import make_message_id, make_nonce, subject_tag
from bot.text import Texts

if TYPE_CHECKING:
    from telegram import Bot

    from bot.services import Services
    from bot.storage.mail import OutboxRow

ESCALATION, DATA, STATUS, WITHDRAWN = "eskalasi", "data", "status", "batal"
#: Message-ID purpose token of each kind (short: it travels in every reply's References).
PURPOSES = {ESCALATION: "esk", DATA: "data", STATUS: "status", WITHDRAWN: "batal"}
TEMPLATES = {
    ESCALATION: "eskalasi",
    DATA: "data_tambahan",
    STATUS: "permintaan_status",
    WITHDRAWN: "pembatalan",
}
#: Longest References header we send: enough ids to thread, short enough for every server.
MAX_REFERENCES = 20


class FileFetcher(Protocol):
    """Gives the bytes of a ticket's file; tests supply bytes, the bot downloads from Telegram."""

    async def fetch(self, attachment: Attachment) -> bytes: ...


class TelegramFileFetcher:
    """Downloads files by ``file_id`` through the bot (or reads ``storage_path`` if set)."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def fetch(self, attachment: Attachment) -> bytes:
        if attachment.storage_path:
            return await asyncio.to_thread(Path(attachment.storage_path).read_bytes)
        if not attachment.telegram_file_id:
            raise FileNotFoundError(attachment.file_name)
        file = await self.bot.get_file(attachment.telegram_file_id)
        return bytes(await file.download_as_bytearray())


@dataclass(slots=True)
class Draft:
    """A rendered email before it gets its Message-ID and thread headers."""

    kind: str
    subject: str
    body: str
    attachments: list[Attachment] = field(default_factory=list)
    omitted: list[Attachment] = field(default_factory=list)

    @property
    def automatic(self) -> bool:
        """Status requests are sent by the bot on its own: they say so in their headers."""
        return self.kind == STATUS


def split_by_size(
    attachments: Sequence[Attachment], cap: int
) -> tuple[list[Attachment], list[Attachment]]:
    """Files that fit under ``cap`` bytes in total, in order, and the ones that do not.

    A file of unknown size counts as too big: an email LKPP's server rejects is worse than a
    file listed by name.
    """
    included: list[Attachment] = []
    omitted: list[Attachment] = []
    total = 0
    for attachment in attachments:
        size = attachment.size
        if size is not None and total + size <= cap:
            included.append(attachment)
            total += size
        else:
            omitted.append(attachment)
    return included, omitted


def _subject(services: Services, kind: str, ticket: Ticket) -> str:
    tag = subject_tag(services.settings.lpse_code, ticket.number)
    subject = services.texts.plain_msg(f"surel_subjek.{kind}", tag=tag, judul=ticket.title)
    return " ".join(subject.split())  # a line break in a title must not break the header


def _common(services: Services) -> dict[str, Any]:
    settings = services.settings
    return {"lpse_name": settings.lpse_name, "mail_from": settings.mail_address,
            "batas": settings.mail_attachments_max_bytes}  # fmt: skip


def _priority_name(services: Services, key: str) -> str:
    try:
        return services.priorities.level(key).name
    except Exception:  # an old ticket may name a level an LPSE has since removed
        return key


def escalation_draft(services: Services, ticket: Ticket, note: str | None = None) -> Draft:
    """The step-1 email with every ticket field and the user's files (up to the size cap).

    Args:
        note: Optional words from the staff member who escalates, shown as their note.
    """
    files = [a for a in ticket.attachments if a.source == "pengguna"]
    included, omitted = split_by_size(files, services.settings.mail_attachments_max_bytes)
    body = services.texts.render_email(
        TEMPLATES[ESCALATION],
        ticket=ticket,
        prioritas=_priority_name(services, ticket.priority),
        catatan=note,
        lampiran=included,
        tidak_dilampirkan=omitted,
        petugas=ticket.assignee_name
        or services.texts.plain_msg("surel_kirim.petugas_tidak_diketahui"),
        **_common(services),
    )
    return Draft(ESCALATION, _subject(services, ESCALATION, ticket), body, included, omitted)


def forward_draft(
    services: Services, ticket: Ticket, text: str, attachments: Sequence[Attachment]
) -> Draft:
    """The step-9 email: the user's additional data and files, in the ticket's thread."""
    included, omitted = split_by_size(attachments, services.settings.mail_attachments_max_bytes)
    body = services.texts.render_email(
        TEMPLATES[DATA],
        ticket=ticket,
        teks=text.strip() or services.texts.plain_msg("surel_kirim.tidak_ada_teks"),
        lampiran=included,
        tidak_dilampirkan=omitted,
        **_common(services),
    )
    return Draft(DATA, _subject(services, DATA, ticket), body, included, omitted)


def status_draft(services: Services, ticket: Ticket, note: str | None = None) -> Draft:
    """The step-12/14 reminder the bot sends when LKPP's status or progress is overdue."""
    body = services.texts.render_email(
        TEMPLATES[STATUS],
        ticket=ticket,
        eskalasi_pada=ticket.escalated_at,
        catatan=note,
        **_common(services),
    )
    return Draft(STATUS, _subject(services, STATUS, ticket), body)


def withdrawal_draft(services: Services, ticket: Ticket, reason: str | None) -> Draft:
    """The short email telling LKPP, in the escalation's thread, that the user withdrew."""
    body = services.texts.render_email(
        TEMPLATES[WITHDRAWN], ticket=ticket, alasan=reason, **_common(services)
    )
    return Draft(WITHDRAWN, _subject(services, WITHDRAWN, ticket), body)


async def escalation_preview(services: Services, ticket: Ticket) -> str:
    """The draft escalation as staff see it before sending: ``"Subjek: …\\n\\n<body>"``."""
    draft = escalation_draft(services, ticket)
    return f"Subjek: {draft.subject}\n\n{draft.body}"


def new_message_id(settings: Settings, ticket_number: str, kind: str) -> str:
    """A fresh signed Message-ID for an email of ``kind`` about the ticket."""
    return make_message_id(
        ticket_number,
        PURPOSES[kind],
        settings.mail_secret.get_secret_value().encode(),
        settings.mail_domain,
        nonce=make_nonce(),
    )


def thread_headers(thread: Sequence[tuple[str, str]]) -> tuple[str | None, list[str]]:
    """In-Reply-To and References for a new email in a ticket's thread.

    We answer LKPP's latest email when there is one (so it lands in LKPP's thread view),
    otherwise our own latest. References keep the first id (the escalation, the thread's root)
    and the newest ones, as RFC 5322 suggests for long threads.
    """
    ids = [mid for mid, _ in thread]
    if not ids:
        return None, []
    lkpp = [mid for mid, who in thread if who == "lkpp"]
    in_reply_to = lkpp[-1] if lkpp else ids[-1]
    references = ids if len(ids) <= MAX_REFERENCES else [ids[0], *ids[-(MAX_REFERENCES - 1) :]]
    return in_reply_to, references


def sender(settings: Settings) -> str:
    """``MAIL_FROM`` with the LPSE's name: a bare address gets ``LPSE_NAME`` as display name,
    so LKPP's inbox shows who wrote, not just ``lpse@…``."""
    display, address = parseaddr(settings.mail_from)
    return formataddr((display or settings.lpse_name, address or settings.mail_address))


def build_email(
    settings: Settings,
    row: OutboxRow,
    files: Sequence[tuple[str, str | None, bytes]] = (),
    missing: Sequence[str] = (),
    missing_note: str | None = None,
    texts: Texts | None = None,
) -> EmailMessage:
    """The email of an outbox row, byte-for-byte the same on every retry (same files given).

    Args:
        files: ``(name, mime type, content)`` of the files fetched for the row.
        missing: Names of files that could not be fetched; ``missing_note`` (already rendered)
            is appended to the body so LKPP knows a file is missing.
        texts: When given, an HTML alternative of the same text is added (``email/html.txt``),
            because some clients reflow plain text and lose the ticket table's line breaks.
    """
    message = EmailMessage()
    message["From"] = sender(settings)
    message["To"] = row.recipient
    message["Subject"] = row.subject
    # In the LPSE's own zone: LKPP's staff read "09.12 +0700", not a UTC time to convert.
    message["Date"] = format_datetime(row.created_at.astimezone(settings.tz))
    message["Message-ID"] = row.message_id
    if row.in_reply_to:
        message["In-Reply-To"] = row.in_reply_to
    if row.references:
        message["References"] = " ".join(row.references)
    if row.automatic:
        # Only the bot's own status requests say they are automatic (RFC 3834, and Exchange's
        # header against out-of-office answers). An email staff approved is a person's email:
        # marked automatic, LKPP's helpdesk rules could file or ignore it.
        message["Auto-Submitted"] = "auto-generated"
        message["X-Auto-Response-Suppress"] = "All"
    body = row.body
    if missing and missing_note:
        body = f"{body.rstrip()}\n\n{missing_note}\n"
    message.set_content(body, charset="utf-8")
    if texts is not None:
        message.add_alternative(texts.render_email("html", isi=escape(body)), subtype="html")
    for name, mime, content in files:
        mime = mime or mimetypes.guess_type(name)[0] or "application/octet-stream"
        maintype, _, subtype = mime.partition("/")
        if not subtype:
            maintype, subtype = "application", "octet-stream"
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=name)
    return message
