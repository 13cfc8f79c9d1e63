"""Applies SOP transitions to stored tickets: the one door every adapter goes through.

A Telegram button, an LKPP email and the deadline sweep all call :meth:`Workflow.apply`. It asks
the domain (:func:`bot.domain.sop.plan`) whether the action may happen, then, in one
transaction, updates the ticket, appends the event, and lets the listeners (deadline clocks,
mail outbox) write their rows, so a state change never commits without its consequences. Once
a step committed, the step the SOP lets the bot take by itself follows
(:func:`bot.domain.sop.automatic_step`: step 9 when the LPSE forwards users' data automatically).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.clock import Now
from bot.domain.errors import IllegalTransition, InvalidInput, TicketNotFound
from bot.domain.priority import PriorityTable
from bot.domain.sop import FINAL, Action, Actor, State, Step, automatic_step, plan
from bot.domain.ticket import Attachment, Contact, Ticket, TicketType, UserRole
from bot.storage.db import Database
from bot.storage.tickets import TicketStore
from bot.storage.timefmt import to_db

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class By:
    """The person behind an action: a Telegram user, or nobody for LKPP's mail and the bot."""

    id: int | None = None
    name: str | None = None


SYSTEM = By()


@dataclass(slots=True)
class NewTicket:
    """What a user's report holds before it becomes a ticket."""

    type: TicketType
    role: UserRole
    application: str
    title: str
    description: str
    contact: Contact
    user_chat_id: int
    package_code: str | None = None
    error_code: str | None = None
    priority: str | None = None
    attachments: list[Attachment] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Applied:
    """A committed (or committing) transition, as listeners and callers see it."""

    ticket: Ticket
    step: Step
    event_id: int
    at: datetime
    by: By
    details: dict[str, Any]
    confirmed_by_caller: bool = False
    """The caller tells the person who acted that the step is done (a staff command's answer),
    so listeners need not announce it to them again."""


Listener = Callable[[Applied], Awaitable[None]]
"""Runs inside the transaction of every applied step; raising rolls the step back."""

AfterCommit = Callable[[Applied], Awaitable[None]]
"""Runs after the step committed (Telegram messages, card refresh); its errors are logged."""


class Workflow:
    """Ticket use-cases on top of the domain and the store.

    Args:
        db: The open database.
        lpse_code: Prefix of ticket numbers (``BTG``).
        priorities: The priority table; new tickets get its default level.
        clock: The current instant, a parameter so tests can set the time.
        auto_forward_user_data: The bot forwards a user's data to LKPP itself (SOP step 9,
            ``AUTO_FORWARD_USER_DATA``) instead of waiting for staff.
    """

    def __init__(
        self,
        db: Database,
        lpse_code: str,
        priorities: PriorityTable,
        clock: Now,
        *,
        auto_forward_user_data: bool = False,
    ) -> None:
        self.db = db
        self.auto_forward_user_data = auto_forward_user_data
        self.store = TicketStore(db)
        self.lpse_code = lpse_code.upper()
        self.priorities = priorities
        self.clock = clock
        self.listeners: list[Listener] = []
        self.after_commit: list[AfterCommit] = []
        self._pending: ContextVar[list[Applied] | None] = ContextVar("pending", default=None)

    def add_listener(self, listener: Listener) -> None:
        """``listener`` writes its rows in the same transaction as every step."""
        self.listeners.append(listener)

    def add_after_commit(self, hook: AfterCommit) -> None:
        """``hook`` runs once each step has committed (never for a rolled-back one)."""
        self.after_commit.append(hook)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        """A transaction in which several :meth:`apply_in` calls commit together.

        The after-commit hooks run for each applied step once the whole transaction commits,
        then the step the bot takes by itself after it, if any (:meth:`automatic_step`).
        """
        pending: list[Applied] = []
        token = self._pending.set(pending)
        try:
            async with self.db.transaction():
                yield
        finally:
            self._pending.reset(token)
        for applied in pending:
            await self._run_after_commit(applied)
            await self._take_automatic_step(applied)

    async def _run_after_commit(self, applied: Applied) -> None:
        for hook in self.after_commit:
            try:
                await hook(applied)
            except Exception:
                log.exception(
                    "after-commit hook %s failed for %s %s",
                    getattr(hook, "__qualname__", hook),
                    applied.ticket.number,
                    applied.step.action,
                )

    def automatic_step(self, action: Action) -> Action | None:
        """The step the bot takes by itself once ``action`` committed (nobody need press it)."""
        return automatic_step(action, forward_user_data=self.auto_forward_user_data)

    async def _take_automatic_step(self, applied: Applied) -> None:
        action = self.automatic_step(applied.step.action)
        if action is None:
            return
        number = applied.ticket.number
        try:
            await self.apply(number, action, Actor.SYSTEM)
        except IllegalTransition as exc:  # staff were faster: nothing left to do
            log.info("automatic %s of %s not needed: %s", action.value, number, exc)
        except Exception:  # the step that committed stands; staff can still do this one
            log.exception("automatic %s of %s failed", action.value, number)

    async def report(
        self,
        new: NewTicket,
        by: By,
        within: Callable[[], Awaitable[None]] | None = None,
    ) -> Applied:
        """Create a ticket from a user's report (before SOP step 1).

        Args:
            within: Runs in the same transaction (the report's draft is deleted with it, so a
                "Kirim" handled again after a crash cannot file the report twice).
        """
        now = self.clock()
        step = plan(None, Action.REPORT, Actor.USER, {})
        priority = self._priority_key(new.priority or self.priorities.default)
        async with self.transaction():
            number = await self.store.next_number(self.lpse_code, now.year)
            ticket = Ticket(
                id=None, number=number, state=step.target, type=new.type, role=new.role,
                application=new.application, title=new.title, description=new.description,
                contact=new.contact, priority=priority, user_chat_id=new.user_chat_id,
                created_at=now, updated_at=now, package_code=new.package_code,
                error_code=new.error_code,
            )  # fmt: skip
            ticket.id = await self.store.insert(ticket)
            details = {"judul": new.title}
            event_id = await self._event(ticket, step, now, by, details)
            for attachment in new.attachments:
                attachment.ticket_id = ticket.id
                attachment.created_at = attachment.created_at or now
                await self.store.add_attachment(attachment, event_id)
            ticket.attachments = list(new.attachments)
            applied = Applied(ticket, step, event_id, now, by, details)
            await self._notify(applied)
            if within is not None:
                await within()
            self._queue(applied)
        return applied

    async def apply(
        self,
        number: str,
        action: Action,
        actor: Actor,
        by: By = SYSTEM,
        details: dict[str, Any] | None = None,
        attachments: list[Attachment] | None = None,
        *,
        confirmed_by_caller: bool = False,
    ) -> Applied:
        """Apply ``action`` to ticket ``number`` in its own transaction.

        Args:
            confirmed_by_caller: The caller answers the person who acted itself (a staff
                command's reply), so listeners do not announce the step to them again.

        Raises:
            TicketNotFound: No such ticket.
            IllegalTransition: The domain refuses (wrong state or actor, guard not met).
        """
        async with self.transaction():
            return await self.apply_in(
                number, action, actor, by, details, attachments,
                confirmed_by_caller=confirmed_by_caller,
            )  # fmt: skip

    async def apply_in(
        self,
        number: str,
        action: Action,
        actor: Actor,
        by: By = SYSTEM,
        details: dict[str, Any] | None = None,
        attachments: list[Attachment] | None = None,
        *,
        confirmed_by_caller: bool = False,
    ) -> Applied:
        """Like :meth:`apply`, inside a :meth:`transaction` the caller holds (to chain steps)."""
        details = dict(details or {})
        ticket = await self.store.get(number)
        if ticket is None:
            raise TicketNotFound(number)
        assert ticket.id is not None
        if by.id is not None:
            details.setdefault("staff_id", by.id)
        if action is Action.SET_PRIORITY:
            details["priority"] = self._priority_key(details.get("priority"))
        try:
            step = plan(ticket.facts, action, actor, details)
        except IllegalTransition as exc:
            exc.number = number
            raise
        now = self.clock()
        columns = self._columns(ticket, step, by, details, now)
        if columns or step.changes_state:
            await self.store.update(ticket.id, now, state=step.target.value, **columns)
        event_id = await self._event(ticket, step, now, by, details)
        for attachment in attachments or ():
            attachment.ticket_id = ticket.id
            attachment.created_at = attachment.created_at or now
            await self.store.add_attachment(attachment, event_id)
        updated = await self.store.get_by_id(ticket.id)
        assert updated is not None
        applied = Applied(updated, step, event_id, now, by, details, confirmed_by_caller)
        await self._notify(applied)
        self._queue(applied)
        return applied

    def _priority_key(self, value: object) -> str:
        try:
            return self.priorities.level(str(value or "")).key
        except KeyError:
            raise InvalidInput("prioritas", value) from None

    def _columns(
        self, ticket: Ticket, step: Step, by: By, details: dict[str, Any], now: datetime
    ) -> dict[str, Any]:
        """Ticket columns an action sets besides the state."""
        columns: dict[str, Any] = {}
        if step.action is Action.TAKE or (
            step.action in (Action.CANNOT_HANDLE, Action.SOLVE_LOCALLY)
            and ticket.assignee_id is None
            and by.id is not None
        ):
            columns["assignee_id"] = by.id
            columns["assignee_name"] = by.name
        if step.action is Action.ESCALATE and ticket.escalated_at is None:
            columns["escalated_at"] = to_db(now)
        if step.action is Action.SET_PRIORITY:
            columns["priority"] = details["priority"]
        if step.action is Action.RATE:
            columns["rating"] = int(details["rating"])
        if step.target in FINAL:
            columns["closed_at"] = to_db(now)
        return columns

    async def _event(
        self,
        ticket: Ticket,
        step: Step,
        at: datetime,
        by: By,
        details: dict[str, Any],
    ) -> int:
        assert ticket.id is not None
        return await self.store.add_event(
            ticket_id=ticket.id,
            action=step.action,
            sop_step=step.sop_step,
            actor=step.actor,
            actor_id=by.id,
            actor_name=by.name,
            from_state=step.source,
            to_state=step.target,
            at=at,
            details={k: v for k, v in details.items() if k != "staff_id"},
        )

    def _queue(self, applied: Applied) -> None:
        pending = self._pending.get()
        if pending is None:
            raise RuntimeError("apply_in() needs a Workflow.transaction()")
        pending.append(applied)

    async def _notify(self, applied: Applied) -> None:
        for listener in self.listeners:
            await listener(applied)

    async def get(self, number: str) -> Ticket:
        ticket = await self.store.get(number)
        if ticket is None:
            raise TicketNotFound(number)
        return ticket

    async def who_did_last(self, number: str) -> By | None:
        """Who last changed the ticket's state: to tell the second of two clicks who won."""
        ticket = await self.get(number)
        assert ticket.id is not None
        event = await self.store.last_event(ticket.id)
        return None if event is None else By(event.actor_id, event.actor_name)


def is_open(state: State) -> bool:
    return state not in FINAL
