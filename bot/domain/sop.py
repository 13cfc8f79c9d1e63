"""The SOP "Eskalasi Permasalahan Melalui Email" (SOP-LPSE.BTG-015) as a state machine.

This module is the one place that says what may happen to a ticket, in which state, by whom, and
at which step of the SOP. It holds no Telegram, email or SQL: handlers, the mail bridge and the
deadline sweep call :func:`plan` and store what it returns.

SOP rows and where they live here:

====  ==========================================================  ===============================
step  activity                                                    action(s)
====  ==========================================================  ===============================
 --   user reports; staff take; staff solve locally (intake)     REPORT, TAKE, SOLVE_LOCALLY
  1   staff cannot handle → escalate by email within 5 minutes    CANNOT_HANDLE, ESCALATE,
                                                                  ESCALATION_DELIVERED
 2-3  LKPP studies and decides whose authority it is              (no event: LKPP's side)
  4   LKPP: LPSE's authority, here is a guide → escalation ends   LKPP_GUIDE
  5   LKPP: is more data needed?                                  (LKPP's side)
  6   LKPP asks for additional data (maybe phones)                LKPP_REQUEST_DATA, NOTE
  7   staff pass the request to the user                          PASS_REQUEST_TO_USER
  8   user sends the data                                         USER_SENDS_DATA
  9   staff forward the data to LKPP within 5 minutes             FORWARD_DATA,
                                                                  FORWARD_DELIVERED
 10   LKPP receives the data                                      (delivery is step 9's end)
 11   LKPP handles, per the priority table                        (priority target clock)
 12   LKPP status within 2 working days                           LKPP_REPLY_RECEIVED,
                                                                  LKPP_PROGRESS,
                                                                  REQUEST_STATUS
 13   LKPP: solved → passed to the user                           LKPP_SOLVED,
                                                                  PASS_SOLUTION_TO_USER
 14   LKPP progress every working day until solved                LKPP_PROGRESS
 --   user confirms, reopens with a reason, or cancels; closed    USER_CONFIRMS, USER_REOPENS,
                                                                  USER_CANCELS, AUTO_CLOSE
 --   staff tell LKPP that an escalated report was withdrawn      TELL_LKPP_WITHDRAWN
====  ==========================================================  ===============================

Clocks (the SOP's time standards, "mutu baku") are started and stopped by transitions, never by
adapters, so each :class:`Transition` names the clocks it starts, stops, pauses and resumes. How a
stopped or lapsed clock is judged (met, late, still open; LKPP's progress windows; one LKPP email,
one measurement) is :mod:`bot.domain.measure`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from bot.domain.errors import GuardFailed, IllegalTransition
from bot.domain.sop_terms import Action, Actor, State


class Clock(StrEnum):
    """The time standards the bot measures. Values are stored in the deadlines table."""

    ESCALATION = "eskalasi"  # step 1: 5 minutes, staff
    FORWARD = "teruskan_data"  # step 9: 5 minutes, staff
    LKPP_STATUS = "status_lkpp"  # step 12: 2 working days, LKPP
    LKPP_PROGRESS = "progres_lkpp"  # step 14: every working day, LKPP
    USER_ANSWER = "jawaban_pengguna"  # steps 7-8: no SOP time; reminder after 1 working day
    PRIORITY_TARGET = "target_prioritas"  # step 11: the priority table's working days


class Responsible(StrEnum):
    """The side that answers for a breached clock (the SOP's "Peringatan")."""

    LPSE = "lpse"
    LKPP = "lkpp"
    USER = "pengguna"


#: Which side answers for each clock.
CLOCK_OWNER: Mapping[Clock, Responsible] = MappingProxyType(
    {
        Clock.ESCALATION: Responsible.LPSE,
        Clock.FORWARD: Responsible.LPSE,
        Clock.LKPP_STATUS: Responsible.LKPP,
        Clock.LKPP_PROGRESS: Responsible.LKPP,
        Clock.USER_ANSWER: Responsible.USER,
        Clock.PRIORITY_TARGET: Responsible.LKPP,
    }
)


class LkppReplyClass(StrEnum):
    """How an LKPP reply is read, and the tag LKPP may start it with."""

    GUIDE = "kewenangan_lpse"  # step 4
    DATA_REQUEST = "minta_data"  # step 6
    PROGRESS = "progres"  # steps 12 / 14
    SOLVED = "selesai"  # step 13
    UNKNOWN = "tidak_dikenal"

    @property
    def tag(self) -> str | None:
        """The ``#TAG`` LKPP may begin a reply with, or ``None`` for UNKNOWN."""
        return _REPLY_TAGS.get(self)

    @property
    def action(self) -> Action | None:
        """The transition a confirmed reply of this class performs."""
        return _REPLY_ACTIONS.get(self)


_REPLY_TAGS = {
    LkppReplyClass.GUIDE: "#KEWENANGAN_LPSE",
    LkppReplyClass.DATA_REQUEST: "#DATA",
    LkppReplyClass.PROGRESS: "#PROGRES",
    LkppReplyClass.SOLVED: "#SELESAI",
}
_REPLY_ACTIONS = {
    LkppReplyClass.GUIDE: Action.LKPP_GUIDE,
    LkppReplyClass.DATA_REQUEST: Action.LKPP_REQUEST_DATA,
    LkppReplyClass.PROGRESS: Action.LKPP_PROGRESS,
    LkppReplyClass.SOLVED: Action.LKPP_SOLVED,
}

#: States in which the ticket is with LKPP (steps 2-14): an LKPP email is meaningful here.
WITH_LKPP: frozenset[State] = frozenset(
    {
        State.ESCALATED,
        State.LKPP_REQUESTED_DATA,
        State.AWAITING_USER_DATA,
        State.USER_DATA_RECEIVED,
    }
)
#: States after which nothing more can happen.
FINAL: frozenset[State] = frozenset({State.CLOSED, State.CANCELLED})
#: States in which an LKPP email may move the ticket (strict threading): the escalation or the
#: forwarded data is with LKPP and LKPP's clocks run. Anywhere else a forged or stale "LKPP
#: reply" could close or redirect a ticket, so :func:`lkpp_reply_fit` sends it to staff.
ACCEPTS_LKPP_REPLY: frozenset[State] = WITH_LKPP
#: Every state where the ticket is still open.
OPEN: frozenset[State] = frozenset(State) - FINAL
#: States in which LPSE staff hold the ticket before or instead of escalation.
WITH_LPSE: frozenset[State] = frozenset({State.NEW, State.IN_PROGRESS, State.LPSE_AUTHORITY})


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


Guard = Callable[["TicketFacts", Mapping[str, Any]], str | None]
"""A guard returns ``None`` when the transition may happen, else a reason code."""


@dataclass(frozen=True, slots=True)
class TicketFacts:
    """What a guard may look at: the ticket's state and a few facts, no I/O."""

    state: State
    assignee_id: int | None = None
    escalated: bool = False


@dataclass(frozen=True, slots=True)
class ClockEffect:
    """What a transition does to the clocks."""

    start: tuple[Clock, ...] = ()
    stop: tuple[Clock, ...] = ()
    pause: tuple[Clock, ...] = ()
    resume: tuple[Clock, ...] = ()


@dataclass(frozen=True, slots=True)
class Transition:
    """One row of the table: ``action`` by ``actor`` moves ``sources`` to ``target``.

    ``target=None`` means the state does not change (a note, a progress email, a delivery).
    """

    action: Action
    actor: frozenset[Actor]
    sources: frozenset[State]
    target: State | None
    step: str
    clocks: ClockEffect = field(default_factory=ClockEffect)
    guard: Guard | None = None
    description: str = ""

    def target_from(self, source: State) -> State:
        """The state after this transition when applied in ``source``."""
        return self.target if self.target is not None else source


def _needs(key: str, reason: str) -> Guard:
    def guard(_facts: TicketFacts, details: Mapping[str, Any]) -> str | None:
        value = details.get(key)
        return None if isinstance(value, str) and value.strip() else reason

    return guard


def _not_taken(facts: TicketFacts, _details: Mapping[str, Any]) -> str | None:
    # Taking is claiming: once someone holds the ticket (even the same person pressing twice),
    # a second TAKE is refused so exactly one event records who took it.
    return "sudah_diambil" if facts.assignee_id is not None else None


def _rating(_facts: TicketFacts, details: Mapping[str, Any]) -> str | None:
    value = details.get("rating")
    return None if isinstance(value, int) and 1 <= value <= 5 else "nilai_tidak_valid"


def _was_escalated(facts: TicketFacts, _details: Mapping[str, Any]) -> str | None:
    return None if facts.escalated else "belum_dieskalasi"


def _priority(_facts: TicketFacts, details: Mapping[str, Any]) -> str | None:
    return None if details.get("priority") else "prioritas_kosong"


_S = frozenset
_STAFF = _S({Actor.STAFF})
_USER = _S({Actor.USER})
_LKPP = _S({Actor.LKPP})
_SYSTEM = _S({Actor.SYSTEM})
_TAKEABLE = _S({State.NEW, State.IN_PROGRESS})

TRANSITIONS: tuple[Transition, ...] = (
    # --- intake, before the SOP's step 1 --------------------------------------------------
    Transition(Action.REPORT, _USER, _S(), State.NEW, "lapor", description="Pengguna melapor"),
    Transition(
        Action.TAKE,
        _STAFF,
        _TAKEABLE,
        State.IN_PROGRESS,
        "lapor",
        guard=_not_taken,
        description="Staf mengambil tiket",
    ),
    Transition(
        Action.REPLY_TO_USER,
        _STAFF,
        OPEN - _S({State.NEW}),
        None,
        "lapor",
        guard=_needs("text", "teks_kosong"),
        description="Staf membalas pengguna",
    ),
    Transition(
        Action.USER_MESSAGE,
        _USER,
        OPEN,
        None,
        "lapor",
        guard=_needs("text", "teks_kosong"),
        description="Pengguna mengirim pesan",
    ),
    Transition(
        Action.NOTE,
        # SYSTEM too: the bot records facts staff must see on the ticket, e.g. that the user
        # blocked the bot (a 403 on a send), without pretending a staff member wrote it.
        _STAFF | _SYSTEM,
        frozenset(State),
        None,
        "catatan",
        guard=_needs("text", "teks_kosong"),
        description="Catatan internal staf (mis. konfirmasi telepon langkah 6)",
    ),
    Transition(
        Action.SET_PRIORITY,
        _STAFF,
        OPEN,
        None,
        "11",
        guard=_priority,
        description="Staf mengubah prioritas",
    ),
    Transition(
        Action.SOLVE_LOCALLY,
        _STAFF,
        WITH_LPSE,
        State.SOLVED,
        "lapor",
        clocks=ClockEffect(stop=(Clock.PRIORITY_TARGET,)),
        guard=_needs("text", "catatan_kosong"),
        description="Staf menyelesaikan sendiri (atau dengan panduan LKPP, langkah 4)",
    ),
    # --- step 1: cannot handle → escalation email within 5 minutes ---------------------------
    Transition(
        Action.CANNOT_HANDLE,
        _STAFF,
        WITH_LPSE,
        State.CANNOT_HANDLE,
        "1",
        clocks=ClockEffect(start=(Clock.ESCALATION,)),
        description="Staf menyatakan tidak dapat ditangani (jam langkah 1 mulai)",
    ),
    Transition(
        Action.CANCEL_ESCALATION,
        _STAFF,
        _S({State.CANNOT_HANDLE}),
        State.IN_PROGRESS,
        "1",
        clocks=ClockEffect(stop=(Clock.ESCALATION,)),
        description="Staf membatalkan draf eskalasi",
    ),
    Transition(
        Action.ESCALATE,
        _STAFF,
        _S({State.CANNOT_HANDLE}),
        State.ESCALATED,
        "1",
        description="Staf mengirim email eskalasi (masuk antrean kirim)",
    ),
    Transition(
        Action.ESCALATION_DELIVERED,
        _SYSTEM,
        WITH_LKPP | _S({State.LPSE_AUTHORITY, State.LKPP_SOLVED, State.SOLVED}),
        None,
        "1",
        clocks=ClockEffect(
            stop=(Clock.ESCALATION,),
            start=(Clock.LKPP_STATUS, Clock.PRIORITY_TARGET),
        ),
        description="Email eskalasi diterima server surat",
    ),
    # --- steps 2-6: LKPP answers and decides ------------------------------------------------
    Transition(
        Action.LKPP_REPLY_RECEIVED,
        _LKPP,
        ACCEPTS_LKPP_REPLY,
        None,
        "12/14",
        clocks=ClockEffect(stop=(Clock.LKPP_STATUS,), start=(Clock.LKPP_PROGRESS,)),
        description="Email LKPP diterima (kelas belum dikonfirmasi); jam status berhenti",
    ),
    Transition(
        Action.LKPP_GUIDE,
        _LKPP,
        WITH_LKPP,
        State.LPSE_AUTHORITY,
        "4",
        clocks=ClockEffect(
            stop=(
                Clock.LKPP_STATUS,
                Clock.LKPP_PROGRESS,
                Clock.PRIORITY_TARGET,
                Clock.USER_ANSWER,
                Clock.FORWARD,
            ),
        ),
        description="LKPP: kewenangan LPSE, dengan panduan",
    ),
    Transition(
        Action.LKPP_REQUEST_DATA,
        _LKPP,
        WITH_LKPP,
        State.LKPP_REQUESTED_DATA,
        "6",
        clocks=ClockEffect(stop=(Clock.LKPP_STATUS, Clock.LKPP_PROGRESS)),
        description="LKPP meminta data tambahan",
    ),
    # --- steps 7-9: additional data ---------------------------------------------------------
    Transition(
        Action.PASS_REQUEST_TO_USER,
        _STAFF,
        _S({State.LKPP_REQUESTED_DATA}),
        State.AWAITING_USER_DATA,
        "7",
        clocks=ClockEffect(start=(Clock.USER_ANSWER,), pause=(Clock.PRIORITY_TARGET,)),
        description="Staf meneruskan permintaan data ke pengguna",
    ),
    Transition(
        Action.USER_SENDS_DATA,
        _USER,
        _S({State.AWAITING_USER_DATA}),
        State.USER_DATA_RECEIVED,
        "8",
        clocks=ClockEffect(stop=(Clock.USER_ANSWER,), start=(Clock.FORWARD,)),
        description="Pengguna mengirim data tambahan (jam langkah 9 mulai)",
    ),
    Transition(
        Action.FORWARD_DATA,
        _STAFF | _SYSTEM,
        _S({State.USER_DATA_RECEIVED}),
        State.ESCALATED,
        "9",
        clocks=ClockEffect(resume=(Clock.PRIORITY_TARGET,)),
        description="Data tambahan diteruskan ke LKPP (masuk antrean kirim)",
    ),
    Transition(
        Action.FORWARD_DELIVERED,
        _SYSTEM,
        frozenset(State),
        None,
        "9",
        clocks=ClockEffect(stop=(Clock.FORWARD,), start=(Clock.LKPP_PROGRESS,)),
        description="Email data tambahan diterima server surat",
    ),
    # --- steps 11-14: LKPP handles ----------------------------------------------------------
    Transition(
        Action.LKPP_PROGRESS,
        _LKPP,
        WITH_LKPP,
        None,
        "12/14",
        clocks=ClockEffect(stop=(Clock.LKPP_STATUS,), start=(Clock.LKPP_PROGRESS,)),
        description="LKPP mengirim status/progres",
    ),
    Transition(
        Action.REQUEST_STATUS,
        _SYSTEM | _STAFF,
        WITH_LKPP,
        None,
        "12/14",
        description="Bot meminta status ke LKPP karena batas waktu lewat (masuk antrean kirim)",
    ),
    Transition(
        Action.STATUS_REQUEST_DELIVERED,
        _SYSTEM,
        frozenset(State),
        None,
        "12/14",
        description="Email permintaan status diterima server surat",
    ),
    Transition(
        Action.LKPP_SOLVED,
        _LKPP,
        WITH_LKPP,
        State.LKPP_SOLVED,
        "13",
        clocks=ClockEffect(
            stop=(
                Clock.LKPP_STATUS,
                Clock.LKPP_PROGRESS,
                Clock.PRIORITY_TARGET,
                Clock.USER_ANSWER,
                Clock.FORWARD,
            ),
        ),
        description="LKPP menyatakan selesai",
    ),
    Transition(
        Action.PASS_SOLUTION_TO_USER,
        _STAFF | _SYSTEM,
        _S({State.LKPP_SOLVED}),
        State.SOLVED,
        "13",
        description="Solusi LKPP diteruskan ke pengguna",
    ),
    # --- the end ---------------------------------------------------------------------------
    Transition(
        Action.USER_CONFIRMS,
        _USER,
        _S({State.SOLVED}),
        State.CLOSED,
        "selesai",
        description="Pengguna mengonfirmasi masalah selesai",
    ),
    Transition(
        Action.USER_REOPENS,
        _USER,
        _S({State.SOLVED}),
        State.IN_PROGRESS,
        "selesai",
        guard=_needs("reason", "alasan_kosong"),
        description="Pengguna membuka kembali dengan alasan",
    ),
    Transition(
        Action.USER_CANCELS,
        _USER,
        OPEN,
        State.CANCELLED,
        "selesai",
        guard=_needs("reason", "alasan_kosong"),
        clocks=ClockEffect(stop=tuple(Clock)),
        description="Pengguna membatalkan laporan dengan alasan",
    ),
    Transition(
        Action.TELL_LKPP_WITHDRAWN,
        _STAFF,
        _S({State.CANCELLED}),
        None,
        "selesai",
        guard=_was_escalated,
        description="Staf mengabari Helpdesk LKPP (dalam utas eskalasi) bahwa laporan dibatalkan",
    ),
    Transition(
        Action.AUTO_CLOSE,
        _SYSTEM,
        _S({State.SOLVED}),
        State.CLOSED,
        "selesai",
        description="Ditutup otomatis: pengguna tidak menanggapi",
    ),
    Transition(
        Action.RATE,
        _USER,
        _S({State.SOLVED, State.CLOSED}),
        None,
        "selesai",
        guard=_rating,
        description="Pengguna menilai layanan 1-5",
    ),
)

TRANSITIONS_BY_ACTION: Mapping[Action, Transition] = MappingProxyType(
    {t.action: t for t in TRANSITIONS}
)
assert len(TRANSITIONS_BY_ACTION) == len(TRANSITIONS), "one row per action"


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
