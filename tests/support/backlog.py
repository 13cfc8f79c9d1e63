"""Filling the outbox and the inbox quarantine, for the health report's tests."""

from __future__ import annotations

from datetime import datetime

from bot.services import Services
from bot.storage.mail import QUARANTINED, MailStore
from tests.support.tickets import reported


async def queue_email(services: Services, at: datetime, *, failed: bool = False) -> int:
    """An escalation email queued at ``at`` on a new ticket; refused for good if ``failed``."""
    ticket = (await reported(services)).ticket
    assert ticket.id is not None
    store = MailStore(services.db)
    async with services.db.transaction():
        outbox_id = await store.queue(
            ticket_id=ticket.id, event_id=None, kind="eskalasi",
            message_id=f"<health.{ticket.number}@batangkab.go.id>", in_reply_to=None,
            references=[], recipient="helpdesk@lkpp.go.id", subject=f"Eskalasi {ticket.number}",
            body="Isi email\n", attachment_ids=[], automatic=False, at=at,
        )  # fmt: skip
    if failed:
        await store.mark_failed(outbox_id, "550 ditolak")
    return outbox_id


async def quarantine(services: Services, key: str, at: datetime) -> None:
    """An inbound email stored and put in quarantine, as the ingestor does with a stranger's."""
    store = MailStore(services.db)
    await store.store_raw(key, b"Subject: ?\r\n\r\nisi\r\n", at)
    stored = await store.inbox_by_message_id(key)
    assert stored is not None
    async with services.db.transaction():
        await store.set_inbox(stored.id, state=QUARANTINED, at=at, reason="pengirim")
