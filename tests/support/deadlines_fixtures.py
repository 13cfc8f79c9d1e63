"""Deadline tests: a recording Notifier, services with the clock listener, SOP walks.

Import explicitly: ``from tests.support.deadlines_fixtures import ...``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from bot.domain.sop import Action, Actor, Clock
from bot.domain.ticket import Contact, TicketType, UserRole
from bot.notify import UserBlocked, split_html
from bot.services import Services, open_services
from bot.storage.deadlines import DeadlineRow, DeadlineStore
from bot.workflow import By, NewTicket
from tests.support.clock import FakeClock
from tests.support.settings import make_settings

USER_CHAT = 777001
STAFF = By(9101, "Sari (staf)")


@dataclass(slots=True)
class Sent:
    chat_id: int
    html: str
    buttons: Sequence[Sequence[tuple[str, str]]] | None
    at: datetime


@dataclass(slots=True)
class RecordingNotifier:
    """Stands in for :class:`bot.notify.Notifier`: records each Telegram message (one per part).

    ``blocked`` chats raise :class:`UserBlocked`; ``failing`` makes every send raise ``exc``.
    """

    clock: FakeClock
    sent: list[Sent] = field(default_factory=list)
    blocked: set[int] = field(default_factory=set)
    failing: Exception | None = None

    async def send(
        self,
        chat_id: int,
        html: str,
        buttons: Sequence[Sequence[tuple[str, str]]] | None = None,
        reply_to: int | None = None,
    ) -> None:
        if self.failing is not None:
            raise self.failing
        if chat_id in self.blocked:
            raise UserBlocked(chat_id)
        parts = split_html(html)
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            self.sent.append(Sent(chat_id, part, buttons if last else None, self.clock()))

    def to(self, chat_id: int) -> list[Sent]:
        return [s for s in self.sent if s.chat_id == chat_id]


def new_ticket(**overrides: object) -> NewTicket:
    values: dict[str, object] = {
        "type": TicketType.PROBLEM,
        "role": UserRole.VENDOR,
        "application": "SPSE 4.5",
        "title": "Gagal unggah dokumen penawaran",
        "description": "Saat unggah dokumen penawaran muncul pesan error 500.",
        "contact": Contact("Budi Santoso", "budi@contoh.co.id", "081234567890"),
        "user_chat_id": USER_CHAT,
        "package_code": "12345678",
    }
    values.update(overrides)
    return NewTicket(**values)  # type: ignore[arg-type]


async def report(services: Services, **overrides: object) -> str:
    applied = await services.workflow.report(new_ticket(**overrides), By(USER_CHAT, "Budi"))
    return applied.ticket.number


async def walk(services: Services, number: str, *actions: Action) -> None:
    """Apply ``actions`` in order, each by its natural actor."""
    for action in actions:
        actor = _ACTORS.get(action, Actor.STAFF)
        by = STAFF if actor is Actor.STAFF else By()
        details: dict[str, Any] = {}
        if action is Action.USER_SENDS_DATA:
            by = By(USER_CHAT, "Budi")
        if action is Action.USER_CANCELS:
            details["reason"] = "Sudah dapat diatasi sendiri"
        await services.workflow.apply(number, action, actor, by, details)


_ACTORS = {
    Action.ESCALATION_DELIVERED: Actor.SYSTEM,
    Action.FORWARD_DELIVERED: Actor.SYSTEM,
    Action.STATUS_REQUEST_DELIVERED: Actor.SYSTEM,
    Action.LKPP_REPLY_RECEIVED: Actor.LKPP,
    Action.LKPP_PROGRESS: Actor.LKPP,
    Action.LKPP_REQUEST_DATA: Actor.LKPP,
    Action.LKPP_SOLVED: Actor.LKPP,
    Action.LKPP_GUIDE: Actor.LKPP,
    Action.USER_SENDS_DATA: Actor.USER,
    Action.USER_CANCELS: Actor.USER,
}


async def lkpp_says(services: Services, number: str, mid: str, *actions: Action) -> None:
    """Steps of one LKPP email (``mid``), as the ingest or staff's confirmation applies them."""
    for action in actions:
        await services.workflow.apply(number, action, Actor.LKPP, By(), {"message_id": mid})


async def clock_rows(services: Services, number: str, clock: Clock) -> list[DeadlineRow]:
    """Every row of ``clock`` for ticket ``number``, in order."""
    ticket = await services.workflow.get(number)
    assert ticket.id is not None
    return [r for r in await DeadlineStore(services.db).for_ticket(ticket.id) if r.clock is clock]


TO_CANNOT_HANDLE = (Action.TAKE, Action.CANNOT_HANDLE)
TO_DELIVERED = (*TO_CANNOT_HANDLE, Action.ESCALATE, Action.ESCALATION_DELIVERED)


@pytest.fixture
async def dl_services(
    tmp_path: Path, clock: FakeClock
) -> AsyncIterator[tuple[Services, RecordingNotifier]]:
    """Services with the deadlines component installed and a recording notifier."""
    from bot.deadlines.component import install

    settings = make_settings(tmp_path / "data")
    services = await open_services(settings, clock)
    notifier = RecordingNotifier(clock)
    install(services, notifier)  # type: ignore[arg-type]
    try:
        yield services, notifier
    finally:
        await services.db.close()
