"""The one-off repair of stored clocks: replay each ticket's event log through today's rules.

Migration 8 queues it (SQL cannot do working-time arithmetic); :func:`recompute_pending` runs
it when the services open the database (:func:`open_recomputed`: ``python -m bot run``,
``report``, ``migrate``). Every
clock a ticket ever had is rebuilt from its events by the same :class:`ClockKeeper` that runs
live, so a database from before the change reports exactly what a new one would: late stops are
breaches, one LKPP email is one measurement, a lapsed progress window runs until LKPP writes.

The replay is idempotent (it rebuilds from the events, which it never changes) and atomic: all
tickets and the task's "done" mark commit together, so a crash leaves the task queued and the
old rows in place. Breaches it finds were alerted by the old sweep, so it queues no alert and no
status request again; sent notices keep their text.
"""

from __future__ import annotations

import logging

from bot.clock import Now
from bot.config import Settings
from bot.deadlines.clocks import ClockKeeper
from bot.domain.sop import FINAL, TRANSITIONS_BY_ACTION, Action, Actor, Clock, State
from bot.services import Services, open_services
from bot.storage.db import Database
from bot.storage.deadlines import ClockState, DeadlineStore
from bot.storage.recompute import RecomputeStore

log = logging.getLogger(__name__)


def _moves_clocks(action: Action, actor: Actor, state: State) -> bool:
    """Whether replaying this event can change a clock (most events, e.g. notes, cannot)."""
    effects = TRANSITIONS_BY_ACTION[action].clocks
    moves = effects.start or effects.stop or effects.pause or effects.resume
    return bool(moves) or actor is Actor.LKPP or action is Action.SET_PRIORITY or state in FINAL


async def replay_ticket(services: Services, ticket_id: int, priority: str) -> None:
    """Rebuild one ticket's clocks from its events, up to the services' clock."""
    store = RecomputeStore(services.db)
    keeper = ClockKeeper(services)
    now = services.clock()
    events = await store.events(ticket_id)
    await store.clear(ticket_id)
    changes = [e for e in events if e.action == Action.SET_PRIORITY.value]
    current = services.priorities.default if changes else priority
    state: State | None = None
    for event in events:
        action, actor = Action(event.action), Actor(event.actor)
        if action is Action.SET_PRIORITY:
            current = str(event.details.get("priority") or current)
        target = State(event.to_state)
        if not _moves_clocks(action, actor, target):
            state = target
            continue
        message_id = event.details.get("message_id")
        await keeper.apply(
            ticket_id, action, actor, state, target, current, event.at,
            message_id=message_id if isinstance(message_id, str) else None,
        )  # fmt: skip
        state = target
    final = state or State.NEW
    await keeper.catch_up(ticket_id, now, final, current)
    deadlines = DeadlineStore(services.db)
    for clock in Clock:
        row = await deadlines.active(ticket_id, clock)
        if row is not None and row.state is ClockState.RUNNING and row.due_at <= now:
            await keeper.lapse(row, now, final, current)
    await store.quiet_history(ticket_id, now)


async def recompute_pending(services: Services) -> int:
    """Run the queued recompute, if any; returns the number of tickets rebuilt."""
    store = RecomputeStore(services.db)
    if not await store.pending():
        return 0
    async with services.db.transaction():
        tickets = await store.tickets_with_history()
        for ticket_id, priority in tickets:
            await replay_ticket(services, ticket_id, priority)
        await store.mark_done(services.clock(), f"{len(tickets)} tiket dihitung ulang")
    log.info("clocks of %d tickets recomputed under the measured-time rules", len(tickets))
    return len(tickets)


async def open_recomputed(settings: Settings, clock: Now, db: Database | None = None) -> Services:
    """:func:`bot.services.open_services`, then the queued recompute of the clocks, if any.

    Every command of the bot opens its services this way, so the clocks are never read or
    changed under the old rules.
    """
    services = await open_services(settings, clock, db)
    try:
        await recompute_pending(services)
    except BaseException:
        await services.db.close()
        raise
    return services
