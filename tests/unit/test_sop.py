"""The SOP table, checked exhaustively: every (state, action, actor) is allowed or refused."""

from __future__ import annotations

import itertools

import pytest

from bot.domain.errors import GuardFailed, IllegalTransition
from bot.domain.sop import (
    ACCEPTS_LKPP_REPLY,
    CLOCK_OWNER,
    FINAL,
    TRANSITIONS,
    TRANSITIONS_BY_ACTION,
    WITH_LKPP,
    Action,
    Actor,
    Clock,
    LkppReplyClass,
    LkppReplyFit,
    State,
    TicketFacts,
    allowed_actions,
    lkpp_reply_fit,
    plan,
    transitions_for_step,
)

#: Details that satisfy every guard.
GOOD = {"text": "isi", "reason": "masih gagal", "rating": 5, "priority": "tinggi", "staff_id": 1}

CASES = [
    (state, transition, actor)
    for state, transition, actor in itertools.product(State, TRANSITIONS, Actor)
    if transition.sources
]


@pytest.mark.parametrize(
    ("state", "transition", "actor"),
    CASES,
    ids=[f"{s.value}-{t.action.value}-{a.value}" for s, t, a in CASES],
)
def test_every_cell_of_the_table(state, transition, actor):
    facts = TicketFacts(state=state, escalated=True)
    allowed = state in transition.sources and actor in transition.actor
    if allowed:
        step = plan(facts, transition.action, actor, GOOD)
        assert step.source is state
        assert step.target is (transition.target or state)
        assert step.sop_step == transition.step
    else:
        with pytest.raises(IllegalTransition) as info:
            plan(facts, transition.action, actor, GOOD)
        assert not isinstance(info.value, GuardFailed)
        assert info.value.action is transition.action


@pytest.mark.parametrize("actor", list(Actor))
def test_only_a_user_reports_and_a_report_starts_new(actor):
    if actor is Actor.USER:
        assert plan(None, Action.REPORT, actor).target is State.NEW
    else:
        with pytest.raises(IllegalTransition):
            plan(None, Action.REPORT, actor)


@pytest.mark.parametrize("transition", [t for t in TRANSITIONS if t.sources])
def test_no_action_but_report_applies_to_a_ticket_that_does_not_exist(transition):
    actor = next(iter(transition.actor))
    with pytest.raises(IllegalTransition):
        plan(None, transition.action, actor, GOOD)


def test_final_states_accept_only_notes_ratings_and_records():
    for state in FINAL:
        actions = {a for actor in Actor for a in allowed_actions(state, actor)}
        assert actions <= {
            Action.NOTE,
            Action.RATE,
            Action.ESCALATION_DELIVERED,
            Action.FORWARD_DELIVERED,
            Action.STATUS_REQUEST_DELIVERED,
            Action.TELL_LKPP_WITHDRAWN,  # a withdrawn report's last email, staff's step
        }


def test_a_withdrawal_needs_a_reason_and_lkpp_is_told_only_of_an_escalated_one():
    open_ticket = TicketFacts(state=State.IN_PROGRESS)
    with pytest.raises(GuardFailed):
        plan(open_ticket, Action.USER_CANCELS, Actor.USER, {"reason": "  "})
    assert plan(open_ticket, Action.USER_CANCELS, Actor.USER, GOOD).target is State.CANCELLED
    with pytest.raises(GuardFailed):
        plan(TicketFacts(state=State.CANCELLED), Action.TELL_LKPP_WITHDRAWN, Actor.STAFF)
    told = plan(
        TicketFacts(state=State.CANCELLED, escalated=True), Action.TELL_LKPP_WITHDRAWN, Actor.STAFF
    )
    assert told.target is State.CANCELLED


def test_every_state_is_reachable_from_new():
    seen = {State.NEW}
    frontier = [State.NEW]
    while frontier:
        state = frontier.pop()
        for transition in TRANSITIONS:
            if state in transition.sources:
                target = transition.target_from(state)
                if target not in seen:
                    seen.add(target)
                    frontier.append(target)
    assert seen == set(State)


def test_every_open_state_can_reach_closed():
    for start in set(State) - FINAL:
        seen, frontier = {start}, [start]
        while frontier:
            state = frontier.pop()
            for transition in TRANSITIONS:
                if state in transition.sources:
                    target = transition.target_from(state)
                    if target not in seen:
                        seen.add(target)
                        frontier.append(target)
        assert State.CLOSED in seen, start


@pytest.mark.parametrize("step", [str(n) for n in (1, 4, 6, 7, 8, 9, 12, 13, 14)])
def test_each_sop_row_with_an_activity_of_the_bot_has_a_transition(step):
    assert transitions_for_step(step)


@pytest.mark.parametrize(
    ("action", "details", "reason"),
    [
        (Action.REPLY_TO_USER, {"text": "  "}, "teks_kosong"),
        (Action.SOLVE_LOCALLY, {}, "catatan_kosong"),
        (Action.SET_PRIORITY, {}, "prioritas_kosong"),
    ],
)
def test_guards_refuse_with_a_reason(action, details, reason):
    with pytest.raises(GuardFailed) as info:
        plan(TicketFacts(State.IN_PROGRESS), action, Actor.STAFF, details)
    assert info.value.reason == reason


def test_reopen_needs_a_reason_and_rating_must_be_one_to_five():
    with pytest.raises(GuardFailed):
        plan(TicketFacts(State.SOLVED), Action.USER_REOPENS, Actor.USER, {"reason": ""})
    for rating in (0, 6, "5", None):
        with pytest.raises(GuardFailed):
            plan(TicketFacts(State.CLOSED), Action.RATE, Actor.USER, {"rating": rating})
    assert plan(TicketFacts(State.CLOSED), Action.RATE, Actor.USER, {"rating": 1})


@pytest.mark.parametrize("staff_id", [1, 2])
def test_a_ticket_someone_holds_cannot_be_taken_again(staff_id):
    facts = TicketFacts(State.IN_PROGRESS, assignee_id=1)
    with pytest.raises(GuardFailed) as info:
        plan(facts, Action.TAKE, Actor.STAFF, {"staff_id": staff_id})
    assert info.value.reason == "sudah_diambil"


def test_clock_effects_follow_the_sop():
    assert TRANSITIONS_BY_ACTION[Action.CANNOT_HANDLE].clocks.start == (Clock.ESCALATION,)
    assert Clock.ESCALATION in TRANSITIONS_BY_ACTION[Action.ESCALATION_DELIVERED].clocks.stop
    assert Clock.LKPP_STATUS in TRANSITIONS_BY_ACTION[Action.ESCALATION_DELIVERED].clocks.start
    assert TRANSITIONS_BY_ACTION[Action.USER_SENDS_DATA].clocks.start == (Clock.FORWARD,)
    assert Clock.FORWARD in TRANSITIONS_BY_ACTION[Action.FORWARD_DELIVERED].clocks.stop
    assert Clock.LKPP_STATUS in TRANSITIONS_BY_ACTION[Action.LKPP_REPLY_RECEIVED].clocks.stop
    assert Clock.PRIORITY_TARGET in TRANSITIONS_BY_ACTION[Action.PASS_REQUEST_TO_USER].clocks.pause
    assert Clock.PRIORITY_TARGET in TRANSITIONS_BY_ACTION[Action.FORWARD_DATA].clocks.resume
    assert set(CLOCK_OWNER) == set(Clock)


def test_reply_classes_map_to_lkpp_transitions_allowed_while_with_lkpp():
    for cls in LkppReplyClass:
        if cls is LkppReplyClass.UNKNOWN:
            assert cls.tag is None and cls.action is None
            continue
        assert cls.tag and cls.tag.startswith("#")
        transition = TRANSITIONS_BY_ACTION[cls.action]
        assert transition.actor == {Actor.LKPP}
        assert transition.sources >= WITH_LKPP


def test_the_bot_itself_may_add_a_note_for_staff():
    step = plan(TicketFacts(State.ESCALATED), Action.NOTE, Actor.SYSTEM, {"text": "diblokir"})
    assert step.target is State.ESCALATED
    assert step.actor is Actor.SYSTEM


# --- strict threading: which states accept an LKPP reply -------------------------------------


@pytest.mark.parametrize("state", sorted(WITH_LKPP))
def test_a_ticket_waiting_for_lkpp_accepts_its_reply(state: State) -> None:
    assert lkpp_reply_fit(state, escalated=True) is LkppReplyFit.ACCEPTED
    assert plan(TicketFacts(state), Action.LKPP_REPLY_RECEIVED, Actor.LKPP).target is state


@pytest.mark.parametrize(
    ("state", "escalated", "fit"),
    [
        (State.NEW, False, LkppReplyFit.NOT_ESCALATED),
        (State.IN_PROGRESS, False, LkppReplyFit.NOT_ESCALATED),
        (State.CANNOT_HANDLE, False, LkppReplyFit.NOT_ESCALATED),
        (State.SOLVED, False, LkppReplyFit.NOT_ESCALATED),  # solved locally
        (State.LPSE_AUTHORITY, True, LkppReplyFit.ALREADY_ANSWERED),
        (State.LKPP_SOLVED, True, LkppReplyFit.ALREADY_ANSWERED),
        (State.SOLVED, True, LkppReplyFit.ALREADY_ANSWERED),
        (State.IN_PROGRESS, True, LkppReplyFit.ALREADY_ANSWERED),  # reopened after LKPP
        (State.CLOSED, True, LkppReplyFit.FINISHED),
        (State.CANCELLED, False, LkppReplyFit.FINISHED),
        (State.CANCELLED, True, LkppReplyFit.FINISHED),
    ],
)
def test_a_ticket_not_waiting_for_lkpp_refuses_its_reply(
    state: State, escalated: bool, fit: LkppReplyFit
) -> None:
    assert lkpp_reply_fit(state, escalated=escalated) is fit
    with pytest.raises(IllegalTransition):
        plan(TicketFacts(state), Action.LKPP_REPLY_RECEIVED, Actor.LKPP)


def test_every_state_has_a_verdict_for_an_lkpp_reply() -> None:
    accepting = {s for s in State if lkpp_reply_fit(s, escalated=True) is LkppReplyFit.ACCEPTED}
    assert accepting == set(ACCEPTS_LKPP_REPLY) == set(WITH_LKPP)


def test_only_step_8_is_followed_by_the_bot_and_only_when_the_lpse_wants_it():
    from bot.domain.sop import automatic_step

    assert automatic_step(Action.USER_SENDS_DATA, forward_user_data=True) is Action.FORWARD_DATA
    assert automatic_step(Action.USER_SENDS_DATA, forward_user_data=False) is None
    for action in set(Action) - {Action.USER_SENDS_DATA}:
        assert automatic_step(action, forward_user_data=True) is None


@pytest.mark.parametrize(
    ("state", "assignee", "takes"),
    [(State.NEW, None, True), (State.IN_PROGRESS, 1, False), (State.ESCALATED, None, False)],
)
def test_answering_a_report_nobody_holds_takes_it_first(state, assignee, takes):
    from bot.domain.sop import reply_takes_first

    assert reply_takes_first(TicketFacts(state=state, assignee_id=assignee)) is takes
