"""A ticket as LPSE Support keeps it: fields, enums, number format and field validation."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from bot.domain.errors import InvalidInput
from bot.domain.sop import State, TicketFacts


class TicketType(StrEnum):
    """ "Jenis" of an LPSE Support ticket."""

    PROBLEM = "Permasalahan"
    SERVICE_REQUEST = "Permintaan Layanan"
    PROPOSAL = "Usulan"


class UserRole(StrEnum):
    """The reporter's role in SPSE."""

    VENDOR = "Penyedia"
    PPK = "PPK"
    POKJA = "Pokja/Pejabat Pengadaan"
    AUDITOR = "Auditor"
    OTHER = "Lainnya"


_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
_PACKAGE_CODE = re.compile(r"^\d{5,15}$")
_PHONE = re.compile(r"^\+?\d{8,15}$")

MAX_TITLE = 120
MIN_TITLE_VISIBLE = 5
"""A title says what the problem is: "a", "??" or an emoji alone does not."""
MAX_DESCRIPTION = 8000


def validate_email(value: str) -> str:
    """Return the trimmed address, or raise :class:`InvalidInput`."""
    value = value.strip()
    if len(value) > 254 or not _EMAIL.match(value):
        raise InvalidInput("email", value)
    return value


def validate_package_code(value: str) -> str:
    """SPSE tender/non-tender package codes ("kode paket") are 5-15 digits."""
    cleaned = re.sub(r"[\s.-]", "", value)
    if not _PACKAGE_CODE.match(cleaned):
        raise InvalidInput("kode_paket", value)
    return cleaned


def validate_phone(value: str) -> str:
    """Indonesian or international numbers, spaces and dashes allowed."""
    cleaned = re.sub(r"[\s()-]", "", value)
    if not _PHONE.match(cleaned):
        raise InvalidInput("telepon", value)
    return cleaned


def validate_text(field_name: str, value: str, limit: int) -> str:
    """Non-empty after trimming and no longer than ``limit`` characters."""
    value = value.strip()
    if not value or len(value) > limit:
        raise InvalidInput(field_name, value)
    return value


def format_number(lpse_code: str, year: int, sequence: int) -> str:
    """``BTG-2026-00042``: the number users and LKPP see."""
    return f"{lpse_code.upper()}-{year}-{sequence:05d}"


_NUMBER = re.compile(r"^\s*#?([A-Za-z0-9]{2,10})-(\d{4})-(\d{1,6})\s*$")


def normalise_number(text: str) -> str | None:
    """Accept ``btg-2026-42`` or ``#BTG-2026-00042``; ``None`` if it is no ticket number."""
    match = _NUMBER.match(text)
    if match is None:
        return None
    code, year, seq = match.groups()
    return format_number(code, int(year), int(seq))


@dataclass(slots=True)
class Contact:
    """How LPSE and LKPP reach the reporter outside Telegram."""

    name: str
    email: str
    phone: str | None = None


@dataclass(slots=True)
class Attachment:
    """A file attached to a ticket by the user, staff or LKPP."""

    id: int | None
    ticket_id: int
    source: str  # "pengguna" | "staf" | "lkpp"
    file_name: str
    mime_type: str | None
    size: int | None
    telegram_file_id: str | None = None
    storage_path: str | None = None
    created_at: datetime | None = None


@dataclass(slots=True)
class Ticket:
    """One reported problem and where it stands in the SOP."""

    id: int | None
    number: str
    state: State
    type: TicketType
    role: UserRole
    application: str
    title: str
    description: str
    contact: Contact
    priority: str
    user_chat_id: int
    created_at: datetime
    updated_at: datetime
    package_code: str | None = None
    error_code: str | None = None
    assignee_id: int | None = None
    assignee_name: str | None = None
    escalated_at: datetime | None = None
    version: int = 0
    rating: int | None = None
    attachments: list[Attachment] = field(default_factory=list)

    @property
    def facts(self) -> TicketFacts:
        return TicketFacts(
            state=self.state,
            assignee_id=self.assignee_id,
            escalated=self.escalated_at is not None,
        )
