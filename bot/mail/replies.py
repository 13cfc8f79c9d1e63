"""What staff decide about LKPP's mail: confirm a reply's class, forward it, attach, discard.

The use cases behind the staff group's mail buttons, with no Telegram in them: the staff view
(:mod:`bot.mail.staff_view`) reads a button or a typed ticket number, calls one of these, and
renders the :class:`Outcome`. Each decision applies its SOP step through the workflow and
writes the mail state in the same transaction, and checks again inside that transaction that
nobody decided first, so two staff pressing the same button apply the step once.

* :meth:`MailReplies.confirm`: staff confirm or correct the class of an LKPP reply; its step
  (4, 6, 12/14 or 13) is applied as LKPP's, and who decided is recorded.
* :meth:`MailReplies.forward`: LKPP's data request (step 7) or solution (step 13), with LKPP's
  files, goes to the user.
* :meth:`MailReplies.attach`: a quarantined email is attached to the ticket staff name.
* :meth:`MailReplies.discard`: a quarantined email is set aside as not LKPP's answer.
"""

from __future__ import annotations

import logging
from enum import Enum, auto
from typing import TYPE_CHECKING

from bot.domain.sop import Action, Actor, LkppReplyClass
from bot.mail.ingest import Ingestor
from bot.storage.mail import MailStore, ReplyRow

if TYPE_CHECKING:
    from bot.services import Services
    from bot.workflow import By

log = logging.getLogger(__name__)

#: The classes whose content staff pass on to the user, and the step that does it.
PASS_ACTIONS = {
    LkppReplyClass.DATA_REQUEST: Action.PASS_REQUEST_TO_USER,
    LkppReplyClass.SOLVED: Action.PASS_SOLUTION_TO_USER,
}


class Outcome(Enum):
    """How a staff decision ended."""

    #: The decision was applied.
    DONE = auto()
    #: Somebody decided first (or the email left quarantine): nothing was changed.
    ALREADY_HANDLED = auto()


def can_forward(reply: ReplyRow) -> bool:
    """Whether the reply's confirmed class is passed on to the user and was not passed yet."""
    if reply.confirmed_class is None or reply.forwarded_at is not None:
        return False
    return LkppReplyClass(reply.confirmed_class) in PASS_ACTIONS


class MailReplies:
    """Applies staff decisions on LKPP's mail. Holds no state besides its services.

    Args:
        services: Workflow (SOP steps), database, clock, and what ingestion needs.
    """

    def __init__(self, services: Services) -> None:
        self.services = services
        self.store = MailStore(services.db)
        self.ingestor = Ingestor(services)

    async def confirm(self, reply: ReplyRow, cls: LkppReplyClass, by: By) -> Outcome:
        """Staff confirm or correct the class: apply its step and record who decided.

        Raises:
            DomainError: The SOP refuses the class's step in the ticket's state.
        """
        workflow = self.services.workflow
        ticket = await self.services.tickets.get_by_id(reply.ticket_id)
        assert ticket is not None
        async with workflow.transaction():
            current = await self.store.reply(reply.id)
            if current is None or current.confirmed_class is not None:
                return Outcome.ALREADY_HANDLED
            assert cls.action is not None and ticket.id is not None
            files = [f.as_attachment(ticket.id) for f in await self.store.files(reply.id)]
            await workflow.apply_in(
                ticket.number, cls.action, Actor.LKPP, by,
                details={"message_id": reply.message_id, "dikonfirmasi_staf": True,
                         "text": reply.reply_text},
                attachments=files if cls in PASS_ACTIONS else None,
            )  # fmt: skip
            await self.store.confirm(reply.id, cls.value, by.id, by.name,
                                     self.services.clock())  # fmt: skip
        return Outcome.DONE

    async def forward(self, reply: ReplyRow, by: By) -> Outcome:
        """Pass LKPP's request (step 7) or solution (step 13) and files to the user.

        Raises:
            DomainError: The SOP refuses the step in the ticket's state.
        """
        workflow = self.services.workflow
        ticket = await self.services.tickets.get_by_id(reply.ticket_id)
        assert ticket is not None and ticket.id is not None
        files = await self.store.files(reply.id)
        attachments = [f.as_attachment(ticket.id) for f in files]
        async with workflow.transaction():
            current = await self.store.reply(reply.id)
            if current is None or current.forwarded_at is not None or not current.confirmed_class:
                return Outcome.ALREADY_HANDLED
            action = PASS_ACTIONS.get(LkppReplyClass(current.confirmed_class))
            if action is None:
                return Outcome.ALREADY_HANDLED
            await workflow.apply_in(
                ticket.number, action, Actor.STAFF, by,
                details={"text": current.reply_text or current.full_text or "-",
                         "message_id": current.message_id},
                attachments=attachments,
            )  # fmt: skip
            await self.store.mark_forwarded(reply.id, self.services.clock())
        return Outcome.DONE

    async def attach(self, inbox_id: int, number: str, by: By) -> Outcome:
        """Attach quarantined email ``inbox_id`` to ticket ``number`` as LKPP's reply.

        Raises:
            DomainError: No such ticket, or the SOP refuses LKPP's reply in its state.
        """
        try:
            await self.ingestor.attach(inbox_id, number, by)
        except LookupError:
            return Outcome.ALREADY_HANDLED
        return Outcome.DONE

    async def discard(self, inbox_id: int, by: By) -> Outcome:
        """Set quarantined email ``inbox_id`` aside; it stays stored, marked discarded."""
        if not await self.store.discard(inbox_id, self.services.clock()):
            return Outcome.ALREADY_HANDLED
        log.info("quarantined email %s discarded by %s (%s)", inbox_id, by.name, by.id)
        return Outcome.DONE
