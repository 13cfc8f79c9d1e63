"""A ticket's whole history in one list: SOP events, Telegram messages, LKPP's email thread.

Events carry their SOP step, actor and text; emails the bot sent hang off the event that queued
them; LKPP's replies are shown as received (the reply itself, the quoted history folded away)
with their files, at the moment they arrived, confirmed or not.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.domain.ticket import Ticket
from bot.services import Services
from bot.storage.dashboard import DashboardStore, FileInfo
from bot.storage.mail import MailStore
from bot.storage.tickets import TicketStore


@dataclass(slots=True)
class TimelineEntry:
    """One line of the timeline."""

    at: datetime
    kind: str  # "peristiwa" | "surel_keluar" | "surel_masuk"
    title: str
    actor: str = ""
    step: str = ""
    text: str = ""
    folded: str = ""
    meta: dict[str, Any] = field(default_factory=dict)
    files: list[tuple[str, str, int | None]] = field(default_factory=list)  # url, name, size


def _files(found: list[FileInfo], owner: int, prefix: str) -> list[tuple[str, str, int | None]]:
    return [(f"{prefix}/{f.id}", f.file_name, f.size) for f in found if f.owner_id == owner]


async def ticket_timeline(services: Services, ticket: Ticket) -> list[TimelineEntry]:
    """Everything that happened to ``ticket``, oldest first."""
    assert ticket.id is not None
    texts = services.texts
    dashboard = DashboardStore(services.db)
    mail = MailStore(services.db)
    telegram_files, mail_files = await dashboard.files(ticket.id)
    entries: list[TimelineEntry] = []
    for event in await TicketStore(services.db).events(ticket.id):
        details = event.details
        text = str(details.get("text") or details.get("reason") or "")
        meta = {k: v for k, v in details.items() if k not in ("text", "reason")}
        entries.append(
            TimelineEntry(
                at=event.at,
                kind="peristiwa",
                title=texts.msg(f"aksi.{event.action.value}"),
                actor=" · ".join(
                    part
                    for part in (texts.msg(f"pelaku.{event.actor.value}"), event.actor_name or "")
                    if part
                ),
                step=event.sop_step,
                text=text,
                meta=meta,
                files=_files(telegram_files, event.id, "/lampiran/telegram"),
            )
        )
    for out in await mail.outbox_for_ticket(ticket.id):
        entries.append(
            TimelineEntry(
                at=out.created_at,
                kind="surel_keluar",
                title=texts.msg(f"web.surel_keluar.{out.state}"),
                actor=out.recipient,
                text=out.body,
                meta={"subjek": out.subject, "terkirim": out.sent_at, "galat": out.last_error},
            )
        )
    for reply in await mail.replies_for_ticket(ticket.id):
        cls = reply.confirmed_class or reply.proposed_class
        entries.append(
            TimelineEntry(
                at=reply.received_at,
                kind="surel_masuk",
                title=texts.msg("web.surel_masuk"),
                actor=reply.from_addr,
                text=reply.reply_text,
                folded=reply.full_text if reply.full_text.strip() != reply.reply_text.strip()
                else "",
                meta={
                    "subjek": reply.subject,
                    "kelas": texts.msg(f"surel_kelas.{cls}") if texts.has(f"surel_kelas.{cls}")
                    else cls,
                    "dikonfirmasi": reply.confirmed_by_name if reply.confirmed_class else None,
                },
                files=_files(mail_files, reply.id, "/lampiran/surel"),
            )
        )  # fmt: skip
    entries.sort(key=lambda e: e.at)
    return entries
