"""The SOP "Eskalasi Permasalahan Melalui Email" (SOP-LPSE.BTG-015) as a state machine.

This is the one door that says what may happen to a ticket, in which state, by whom, and at which
step of the SOP. It holds no Telegram, email or SQL: handlers, the mail bridge and the deadline
sweep call :func:`plan` and store what it returns. Import every SOP name from here; the parts
live in three sibling modules:

- :mod:`bot.domain.sop_steps`: the SOP table, row by row. *What happens at SOP step N* is
  there, with each row's guard and clocks; its docstring maps every SOP row to its actions.
- :mod:`bot.domain.sop_terms`: the vocabulary (states, actors, actions, state groups, how an
  LKPP reply reads).
- :mod:`bot.domain.standards`: the time standards ("mutu baku"): which clocks exist, which side
  answers for each, and their values. How a stopped or lapsed clock is judged (met, late, still
  open; LKPP's progress windows) is :mod:`bot.domain.measure`.

This module holds the decisions made with that table: :func:`plan`, what an actor may do now,
which LKPP replies a state accepts, and the step the bot takes by itself (:func:`automatic_step`:
step 9 when the LPSE forwards users' data automatically).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bot.domain.errors import GuardFailed, IllegalTransition
from bot.domain.sop_steps import (
    TRANSITIONS,
    TRANSITIONS_BY_ACTION,
    ClockEffect,
    Guard,
    TicketFacts,
    Transition,
)
from bot.domain.sop_terms import (
    ACCEPTS_LKPP_REPLY,
    FINAL,
    OPEN,
    WITH_LKPP,
    WITH_LPSE,
    Action,
    Actor,
    LkppReplyClass,
    State,
)
from bot.domain.standards import CLOCK_OWNER, Clock, Responsible

__all__ = [
    "ACCEPTS_LKPP_REPLY",
    "CLOCK_OWNER",
    "FINAL",
    "OPEN",
    "TRANSITIONS",
    "TRANSITIONS_BY_ACTION",
    "WITH_LKPP",
    "WITH_LPSE",
    "Action",
    "Actor",
    "Clock",
    "ClockEffect",
    "Guard",
    "LkppReplyClass",
    "LkppReplyFit",
    "Responsible",
    "State",
    "Step",
    "TicketFacts",
    "Transition",
    "allowed_actions",
    "automatic_step",
    "lkpp_reply_fit",
    "plan",
    "reply_takes_first",
    "transitions_for_step",
]


class LkppReplyFit(StrEnum):
    """Whether a ticket accepts an LKPP email now, and if not, why (a quarantine reason)."""

    ACCEPTED = "diterima"
    NOT_ESCALATED = "tiket_belum_dieskalasi"
    ALREADY_ANSWERED = "tiket_tidak_menunggu_lkpp"
    FINISHED = "tiket_sudah_berakhir"


def lkpp_reply_fit(state: State, *, escalated: bool) -> LkppReplyFit:
    """Which states accept an LKPP reply (strict threading).

    Only a ticket waiting for LKPP (:data:`ACCEPTS_LKPP_REPLY`) accepts one. A reply about a
    ticket that was never escalated, or that is closed or cancelled, or that LKPP already
    answered (guide given, solved) is not an LKPP action: staff read it and decide.

    Args:
        state: The ticket's state.
        escalated: Whether the ticket was ever escalated to LKPP.
    """
    if state in ACCEPTS_LKPP_REPLY:
        return LkppReplyFit.ACCEPTED
    if state in FINAL:
        return LkppReplyFit.FINISHED
    if not escalated:
        return LkppReplyFit.NOT_ESCALATED
    return LkppReplyFit.ALREADY_ANSWERED


@dataclass(frozen=True, slots=True)
class Step:
    """The outcome of :func:`plan`: what to store, and what to do to the clocks."""

    action: Action
    actor: Actor
    source: State | None
    target: State
    sop_step: str
    clocks: ClockEffect

    @property
    def changes_state(self) -> bool:
        return self.source != self.target


def plan(
    facts: TicketFacts | None,
    action: Action,
    actor: Actor,
    details: Mapping[str, Any] | None = None,
) -> Step:
    """Decide whether ``action`` by ``actor`` may happen to a ticket in ``facts``.

    Args:
        facts: The ticket as it stands, or ``None`` for a ticket not yet reported.
        action: What is asked.
        actor: Who asks.
        details: Data the guard checks (``text``, ``reason``, ``staff_id``, ``rating`` …).

    Raises:
        IllegalTransition: The action is not allowed in this state or for this actor.
        GuardFailed: Allowed in principle, but its condition (e.g. a reason) is not met.
    """
    transition = TRANSITIONS_BY_ACTION[action]
    source = facts.state if facts is not None else None
    if actor not in transition.actor:
        raise IllegalTransition(action, source, actor, reason="pelaku_salah")
    if source is None:
        if transition.sources:
            raise IllegalTransition(action, source, actor)
    elif source not in transition.sources:
        raise IllegalTransition(action, source, actor)
    if transition.guard is not None:
        reason = transition.guard(facts or TicketFacts(state=State.NEW), details or {})
        if reason is not None:
            raise GuardFailed(action, source, actor, reason=reason)
    target = transition.target if source is None else transition.target_from(source)
    assert target is not None
    return Step(action, actor, source, target, transition.step, transition.clocks)


def allowed_actions(state: State, actor: Actor) -> list[Action]:
    """Actions ``actor`` may attempt in ``state`` (guards not evaluated), in table order."""
    return [t.action for t in TRANSITIONS if state in t.sources and actor in t.actor]


def transitions_for_step(step: str) -> list[Transition]:
    """Every transition that implements SOP row ``step`` (e.g. ``"9"``)."""
    return [t for t in TRANSITIONS if step in t.step.split("/")]


def reply_takes_first(facts: TicketFacts) -> bool:
    """Whether answering the user must take the ticket first (nobody holds it yet).

    The SOP lets staff answer only a ticket someone holds; a staff member who answers a new
    report is the one taking it, so the reply chains TAKE and REPLY_TO_USER in one transaction.
    """
    staff_can = allowed_actions(facts.state, Actor.STAFF)
    return (
        facts.assignee_id is None
        and Action.TAKE in staff_can
        and Action.REPLY_TO_USER not in staff_can
    )


def automatic_step(action: Action, *, forward_user_data: bool) -> Action | None:
    """The step the bot takes by itself (as :attr:`Actor.SYSTEM`) once ``action`` committed.

    SOP step 9 is staff's ("forward the data to LKPP within 5 minutes"), but an LPSE may let
    the bot forward what a user sends at step 8 at once (``AUTO_FORWARD_USER_DATA``): then
    USER_SENDS_DATA is followed by FORWARD_DATA, and step 9's clock cannot lapse waiting for
    staff. Every other step waits for a person.

    Args:
        action: The step that just committed.
        forward_user_data: Whether the LPSE turned automatic forwarding on.
    """
    if action is Action.USER_SENDS_DATA and forward_user_data:
        return Action.FORWARD_DATA
    return None
