"""Building reports and walking tickets through the SOP in tests."""

from __future__ import annotations

from bot.domain.sop import Action, Actor
from bot.domain.ticket import Contact, TicketType, UserRole
from bot.services import Services
from bot.workflow import Applied, By, NewTicket

USER_CHAT = 777001
STAFF = By(9101, "Sari (staf)")


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


async def reported(services: Services, **overrides: object) -> Applied:
    return await services.workflow.report(new_ticket(**overrides), By(USER_CHAT, "Budi"))


async def escalated(services: Services) -> str:
    """A ticket whose escalation email has been delivered: LKPP's clocks run."""
    number = (await reported(services)).ticket.number
    wf = services.workflow
    await wf.apply(number, Action.TAKE, Actor.STAFF, STAFF)
    await wf.apply(number, Action.CANNOT_HANDLE, Actor.STAFF, STAFF)
    await wf.apply(number, Action.ESCALATE, Actor.STAFF, STAFF)
    await wf.apply(number, Action.ESCALATION_DELIVERED, Actor.SYSTEM)
    return number
