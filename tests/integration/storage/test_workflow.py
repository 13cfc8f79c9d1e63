"""Workflow: the one door for state changes; a change and its event commit together."""

from __future__ import annotations

import logging

import pytest

from bot.domain.errors import GuardFailed, IllegalTransition, InvalidInput, TicketNotFound
from bot.domain.sop import Action, Actor, State
from bot.domain.ticket import Attachment
from tests.support.tickets import STAFF, USER_CHAT, escalated, reported


async def test_report_numbers_tickets_per_year_and_logs_the_event(services, clock):
    first = await reported(services)
    second = await reported(services)
    assert first.ticket.number == "BTG-2026-00001"
    assert second.ticket.number == "BTG-2026-00002"
    assert first.ticket.state is State.NEW
    assert first.ticket.priority == services.priorities.default
    events = await services.workflow.store.events(first.ticket.id)
    assert [(e.action, e.actor, e.to_state) for e in events] == [
        (Action.REPORT, Actor.USER, State.NEW)
    ]
    assert events[0].at == clock()


async def test_numbers_restart_each_year(services, clock):
    await reported(services)
    clock.set(clock().replace(year=2027, month=1, day=4))
    assert (await reported(services)).ticket.number == "BTG-2027-00001"


async def test_take_sets_the_assignee_and_a_second_take_is_refused(services):
    number = (await reported(services)).ticket.number
    applied = await services.workflow.apply(number, Action.TAKE, Actor.STAFF, STAFF)
    assert applied.ticket.assignee_name == STAFF.name
    with pytest.raises(GuardFailed):
        await services.workflow.apply(number, Action.TAKE, Actor.STAFF, STAFF.__class__(2, "X"))
    who = await services.workflow.who_did_last(number)
    assert who == STAFF


async def test_illegal_transition_names_the_ticket_and_changes_nothing(services):
    number = (await reported(services)).ticket.number
    with pytest.raises(IllegalTransition) as info:
        await services.workflow.apply(number, Action.LKPP_SOLVED, Actor.LKPP)
    assert info.value.number == number
    ticket = await services.workflow.get(number)
    assert ticket.state is State.NEW and ticket.version == 0
    message = services.texts.error(info.value)
    assert number in message and "Baru" in message


async def test_unknown_ticket(services):
    with pytest.raises(TicketNotFound):
        await services.workflow.apply("BTG-2026-09999", Action.TAKE, Actor.STAFF, STAFF)


async def test_state_change_and_event_roll_back_together_when_a_listener_fails(services):
    number = (await reported(services)).ticket.number

    async def failing(applied):
        raise RuntimeError("outbox down")

    services.workflow.add_listener(failing)
    with pytest.raises(RuntimeError):
        await services.workflow.apply(number, Action.TAKE, Actor.STAFF, STAFF)
    ticket = await services.workflow.get(number)
    assert ticket.state is State.NEW and ticket.assignee_id is None
    assert len(await services.workflow.store.events(ticket.id)) == 1


async def test_listeners_run_in_the_transaction_and_hooks_after_commit(services):
    seen_inside, seen_after = [], []

    async def listener(applied):
        assert services.db.in_transaction
        seen_inside.append(applied.step.action)

    async def hook(applied):
        assert not services.db.in_transaction
        seen_after.append(applied.step.action)

    services.workflow.add_listener(listener)
    services.workflow.add_after_commit(hook)
    await escalated(services)
    expected = [Action.REPORT, Action.TAKE, Action.CANNOT_HANDLE, Action.ESCALATE,
                Action.ESCALATION_DELIVERED]  # fmt: skip
    assert seen_inside == expected
    assert seen_after == expected


async def test_chained_steps_commit_together(services):
    number = await escalated(services)
    wf = services.workflow
    async with wf.transaction():
        await wf.apply_in(number, Action.LKPP_REPLY_RECEIVED, Actor.LKPP)
        await wf.apply_in(number, Action.LKPP_REQUEST_DATA, Actor.LKPP)
    assert (await wf.get(number)).state is State.LKPP_REQUESTED_DATA

    with pytest.raises(IllegalTransition):
        async with wf.transaction():
            await wf.apply_in(number, Action.PASS_REQUEST_TO_USER, Actor.STAFF, STAFF)
            await wf.apply_in(number, Action.USER_CONFIRMS, Actor.USER)  # not allowed now
            # → both roll back
    assert (await wf.get(number)).state is State.LKPP_REQUESTED_DATA


async def test_events_are_append_only(services):
    ticket = (await reported(services)).ticket
    for statement in ("UPDATE events SET actor = 'x'", "DELETE FROM events"):
        with pytest.raises(Exception, match="append-only"):
            async with services.db.transaction() as conn:
                await conn.execute(statement)
    assert len(await services.workflow.store.events(ticket.id)) == 1


async def test_the_whole_escalation_branch_with_attachments(services, clock):
    number = await escalated(services)
    wf = services.workflow
    ticket = await wf.get(number)
    assert ticket.escalated_at == clock()
    await wf.apply(number, Action.LKPP_REQUEST_DATA, Actor.LKPP)
    await wf.apply(number, Action.PASS_REQUEST_TO_USER, Actor.STAFF, STAFF, {"text": "Mohon"})
    clock.advance(hours=2)
    file = Attachment(None, 0, "pengguna", "layar.png", "image/png", 2048, "FILE1")
    await wf.apply(
        number, Action.USER_SENDS_DATA, Actor.USER, details={"text": "ini"}, attachments=[file]
    )
    await wf.apply(number, Action.FORWARD_DATA, Actor.STAFF, STAFF)
    await wf.apply(number, Action.LKPP_SOLVED, Actor.LKPP)
    await wf.apply(number, Action.PASS_SOLUTION_TO_USER, Actor.STAFF, STAFF)
    await wf.apply(number, Action.USER_REOPENS, Actor.USER, details={"reason": "masih gagal"})
    await wf.apply(number, Action.SOLVE_LOCALLY, Actor.STAFF, STAFF, {"text": "sudah"})
    await wf.apply(number, Action.USER_CONFIRMS, Actor.USER)
    await wf.apply(number, Action.RATE, Actor.USER, details={"rating": 5})
    ticket = await wf.get(number)
    assert ticket.state is State.CLOSED and ticket.rating == 5
    assert [a.file_name for a in ticket.attachments] == ["layar.png"]
    assert ticket.attachments[0].created_at == clock()
    steps = [e.sop_step for e in await wf.store.events(ticket.id)]
    assert {"1", "6", "7", "8", "9", "13"} <= set(steps)
    assert ticket.user_chat_id == USER_CHAT


async def test_priority_change_validates_against_the_table(services):
    number = (await reported(services)).ticket.number
    await services.workflow.apply(
        number, Action.SET_PRIORITY, Actor.STAFF, STAFF, {"priority": "TINGGI"}
    )
    assert (await services.workflow.get(number)).priority == "tinggi"
    with pytest.raises(InvalidInput):
        await services.workflow.apply(
            number, Action.SET_PRIORITY, Actor.STAFF, STAFF, {"priority": "darurat"}
        )


async def _awaiting_data(services) -> str:
    """A ticket at SOP step 8: LKPP asked for data and staff passed the request on."""
    number = await escalated(services)
    wf = services.workflow
    await wf.apply(number, Action.LKPP_REQUEST_DATA, Actor.LKPP)
    await wf.apply(number, Action.PASS_REQUEST_TO_USER, Actor.STAFF, STAFF)
    return number


async def test_the_bot_forwards_the_users_data_itself_when_the_lpse_wants_it(services):
    services.workflow.auto_forward_user_data = True
    number = await _awaiting_data(services)
    seen = []

    async def hook(applied):
        seen.append((applied.step.action, applied.step.actor))

    services.workflow.add_after_commit(hook)
    await services.workflow.apply(
        number, Action.USER_SENDS_DATA, Actor.USER, details={"text": "x"}
    )
    # Step 8's hooks run first, then step 9 follows by the bot, with hooks of its own.
    assert seen == [
        (Action.USER_SENDS_DATA, Actor.USER),
        (Action.FORWARD_DATA, Actor.SYSTEM),
    ]
    assert (await services.workflow.get(number)).state is State.ESCALATED


async def test_without_it_the_users_data_waits_for_staff(services):
    number = await _awaiting_data(services)
    await services.workflow.apply(
        number, Action.USER_SENDS_DATA, Actor.USER, details={"text": "x"}
    )
    assert (await services.workflow.get(number)).state is State.USER_DATA_RECEIVED


async def test_a_step_staff_took_first_leaves_the_bot_nothing_to_do(services, caplog):
    caplog.set_level(logging.INFO, logger="bot.workflow")
    services.workflow.auto_forward_user_data = True
    number = await _awaiting_data(services)
    wf = services.workflow

    async def staff_were_faster(applied):
        if applied.step.action is Action.USER_SENDS_DATA:
            await wf.apply(number, Action.FORWARD_DATA, Actor.STAFF, STAFF)

    wf.add_after_commit(staff_were_faster)
    await wf.apply(number, Action.USER_SENDS_DATA, Actor.USER, details={"text": "x"})
    events = await wf.store.events((await wf.get(number)).id)
    assert [e.actor for e in events if e.action is Action.FORWARD_DATA] == [Actor.STAFF]
    assert "not needed" in caplog.text


async def test_listeners_hear_which_steps_the_caller_confirms_itself(services):
    number = (await reported(services)).ticket.number
    heard = []

    async def listener(applied):
        heard.append((applied.step.action, applied.confirmed_by_caller))

    services.workflow.add_listener(listener)
    await services.workflow.apply(
        number, Action.TAKE, Actor.STAFF, STAFF, confirmed_by_caller=True
    )
    await services.workflow.apply(number, Action.NOTE, Actor.STAFF, STAFF, {"text": "catatan"})
    assert heard == [(Action.TAKE, True), (Action.NOTE, False)]
