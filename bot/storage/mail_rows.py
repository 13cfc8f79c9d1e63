"""What the mail bridge stores: its row types, their states, and how a row is read back.

Kept apart from the statements (:mod:`bot.storage.mail`) so that modules which only read a row
type or a state name (the backlog, the dashboard, the composer) need not know the SQL.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from bot.domain.ticket import Attachment
from bot.storage.db import Row
from bot.storage.timefmt import from_db, from_db_opt

#: States of a queued email (``mail_outbox.state``).
QUEUED, SENT, FAILED = "antre", "terkirim", "gagal"
#: States of a fetched email (``mail_inbox.state``).
NEW, MATCHED, QUARANTINED, NOISE, DISCARDED = "baru", "cocok", "karantina", "derau", "dibuang"


@dataclass(frozen=True, slots=True)
class OutboxRow:
    """One queued email; ``message_id`` never changes, so every retry is the same email."""

    id: int
    ticket_id: int
    event_id: int | None
    kind: str
    message_id: str
    in_reply_to: str | None
    references: list[str]
    recipient: str
    subject: str
    body: str
    attachment_ids: list[int]
    automatic: bool
    state: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    alerted_at: datetime | None
    created_at: datetime
    sent_at: datetime | None


@dataclass(frozen=True, slots=True)
class InboxRow:
    """One fetched email as stored, before and after ingestion."""

    id: int
    message_id: str
    raw: bytes
    size: int
    received_at: datetime
    state: str
    ticket_id: int | None
    from_addr: str | None
    subject: str | None
    reason: str | None
    problems: list[str]
    alert: bool
    posted_at: datetime | None


@dataclass(frozen=True, slots=True)
class ReplyRow:
    """An LKPP email matched to a ticket, with the class proposed and (later) confirmed."""

    id: int
    inbox_id: int
    ticket_id: int
    event_id: int | None
    message_id: str
    matched_by: str
    from_addr: str
    subject: str
    reply_text: str
    full_text: str
    proposed_class: str
    by_tag: bool
    matched: list[str]
    confirmed_class: str | None
    confirmed_by_name: str | None
    action_error: str | None
    forwarded_at: datetime | None
    received_at: datetime
    posted_at: datetime | None
    staff_chat_id: int | None
    staff_message_id: int | None


@dataclass(frozen=True, slots=True)
class MailFile:
    """A file LKPP attached to a reply."""

    id: int
    reply_id: int | None
    ticket_id: int | None
    file_name: str
    mime_type: str
    size: int
    content: bytes
    telegram_file_id: str | None
    storage_path: str | None = None

    def as_attachment(self, ticket_id: int) -> Attachment:
        """The file as a ticket attachment (for the step that passes it on to the user)."""
        return Attachment(None, ticket_id, "lkpp", self.file_name, self.mime_type, self.size,
                          telegram_file_id=self.telegram_file_id,
                          storage_path=self.storage_path)  # fmt: skip


def outbox_row(row: Row) -> OutboxRow:
    return OutboxRow(
        id=row["id"], ticket_id=row["ticket_id"], event_id=row["event_id"], kind=row["kind"],
        message_id=row["message_id"], in_reply_to=row["in_reply_to"],
        references=row["refs"].split() if row["refs"] else [], recipient=row["recipient"],
        subject=row["subject"], body=row["body"],
        attachment_ids=json.loads(row["attachment_ids"]), automatic=bool(row["automatic"]),
        state=row["state"], attempts=row["attempts"],
        next_attempt_at=from_db(row["next_attempt_at"]), last_error=row["last_error"],
        alerted_at=from_db_opt(row["alerted_at"]), created_at=from_db(row["created_at"]),
        sent_at=from_db_opt(row["sent_at"]),
    )  # fmt: skip


def inbox_row(row: Row) -> InboxRow:
    return InboxRow(
        id=row["id"], message_id=row["message_id"], raw=bytes(row["raw"]), size=row["size"],
        received_at=from_db(row["received_at"]), state=row["state"],
        ticket_id=row["ticket_id"], from_addr=row["from_addr"], subject=row["subject"],
        reason=row["reason"], problems=json.loads(row["problems"]), alert=bool(row["alert"]),
        posted_at=from_db_opt(row["posted_at"]),
    )  # fmt: skip


def reply_row(row: Row) -> ReplyRow:
    return ReplyRow(
        id=row["id"], inbox_id=row["inbox_id"], ticket_id=row["ticket_id"],
        event_id=row["event_id"], message_id=row["message_id"], matched_by=row["matched_by"],
        from_addr=row["from_addr"], subject=row["subject"], reply_text=row["reply_text"],
        full_text=row["full_text"], proposed_class=row["proposed_class"],
        by_tag=bool(row["by_tag"]), matched=json.loads(row["matched"]),
        confirmed_class=row["confirmed_class"], confirmed_by_name=row["confirmed_by_name"],
        action_error=row["action_error"], forwarded_at=from_db_opt(row["forwarded_at"]),
        received_at=from_db(row["received_at"]), posted_at=from_db_opt(row["posted_at"]),
        staff_chat_id=row["staff_chat_id"], staff_message_id=row["staff_message_id"],
    )  # fmt: skip


def file_row(row: Row) -> MailFile:
    return MailFile(
        id=row["id"], reply_id=row["reply_id"], ticket_id=row["ticket_id"],
        file_name=row["file_name"], mime_type=row["mime_type"], size=row["size"],
        content=bytes(row["content"]), telegram_file_id=row["telegram_file_id"],
        storage_path=row["storage_path"],
    )  # fmt: skip
