"""What a clock row does when the sweep finds it due: nudge, remind, record a breach, ask LKPP.

Everything here runs inside the sweep's transaction for that row, so the breach, the workflow
step (the status request) and the notices commit together; the notices are sent after commit by
:mod:`bot.deadlines.sweep`. A row overdue after downtime acts once and moves on: a warning whose
deadline has already passed is skipped in favour of the breach itself.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from bot.callbacks import TicketVerb, ticket_action
from bot.deadlines.clocks import LKPP_CLOCKS, MINUTE_CLOCKS, ClockKeeper
from bot.domain.errors import DomainError
from bot.domain.measure import late_by
from bot.domain.sop import CLOCK_OWNER, WITH_LKPP, Action, Actor, Clock, State
from bot.domain.ticket import Ticket
from bot.services import Services
from bot.storage.deadlines import Audience, ClockState, DeadlineRow, DeadlineStore, NextAction
from bot.workflow import SYSTEM

log = logging.getLogger(__name__)

#: Minute-level clocks: the state in which the one button does the job, and that button.
_ACTION_BUTTON: dict[Clock, tuple[State, TicketVerb, str]] = {
    Clock.ESCALATION: (State.CANNOT_HANDLE, TicketVerb.SEND_ESCALATION, "kirim_eskalasi"),
    Clock.FORWARD: (State.USER_DATA_RECEIVED, TicketVerb.FORWARD_DATA, "teruskan_data"),
}
#: Breaches the admins (owners of the SOP's quality standards) hear about.
_ADMIN_CLOCKS = frozenset(Clock) - {Clock.USER_ANSWER}
_MAX_STEPS = 4


@dataclass(slots=True)
class Tally:
    """What acting on the rows did, counted for the sweep's log and the tests.

    (How a clock is judged, met or late, is :class:`bot.domain.measure.Outcome`.)
    """

    nudges: int = 0
    reminders: int = 0
    breaches: int = 0
    requests: int = 0
    deferred: int = 0


class RowActor:
    """Acts on claimed rows; one instance per sweeper."""

    def __init__(self, services: Services, keeper: ClockKeeper) -> None:
        self.services = services
        self.keeper = keeper
        self.store = DeadlineStore(services.db)

    async def act(self, row: DeadlineRow, now: datetime, outcome: Tally) -> None:
        """Do what ``row`` is due for, then whatever else is already overdue, and re-arm it."""
        ticket = await self.services.tickets.get_by_id(row.ticket_id)
        if ticket is None:  # pragma: no cover - foreign key makes this impossible
            await self._park(row, now)
            return
        action = row.next_action
        for _ in range(_MAX_STEPS):
            if action is None or row.state not in (ClockState.RUNNING, ClockState.BREACHED):
                await self._park(row, now)
                return
            if action in (NextAction.NUDGE, NextAction.REMIND):
                if now < row.due_at:
                    await self._early(row, ticket, now, outcome)
                    await self._arm(row, now, NextAction.BREACH, row.due_at)
                    return
                if action is NextAction.REMIND:  # the user still needs the reminder
                    await self._early(row, ticket, now, outcome)
                action = NextAction.BREACH
                continue
            if action is NextAction.BREACH:
                due = self._due_by_today_calendar(row, now)
                if now < due:  # a local closure added since the clock started gave more time
                    await self.store.update(row.id, now, due_at=due)
                    await self._arm(row, now, NextAction.BREACH, due)
                    return
                action = await self._breach(row, ticket, now, outcome)
                continue
            if action is NextAction.REQUEST:
                when = self.services.calendar.next_office_time(now)
                if when > now:
                    outcome.deferred += 1
                    await self._arm(row, now, NextAction.REQUEST, when)
                    return
                await self._request(row, ticket, now, outcome)
                action = None
        await self._park(row, now)

    def _due_by_today_calendar(self, row: DeadlineRow, now: datetime) -> datetime:
        """The due instant as the calendar stands now (staff may have added a closure)."""
        elapsed = self.keeper.elapsed(row, now)
        if elapsed >= row.limit:
            return min(row.due_at, now)
        return self.services.calendar.add_working_time(now, row.limit - elapsed)

    # --- the actions -----------------------------------------------------------------------
    async def _early(
        self, row: DeadlineRow, ticket: Ticket, now: datetime,
        outcome: Tally,
    ) -> None:  # fmt: skip
        texts = self.services.texts
        assert ticket.id is not None
        if row.clock is Clock.USER_ANSWER:
            outcome.reminders += 1
            html = texts.render(
                "tenggat_pengingat_pengguna", nomor=ticket.number, judul=ticket.title,
                mulai=row.started_at,
            )  # fmt: skip
            await self.store.add_notice(
                ticket_id=ticket.id, deadline_id=row.id, kind="pengingat_pengguna",
                audience=Audience.USER, chat_id=ticket.user_chat_id, html=html, line="",
                buttons=None, at=now,
            )  # fmt: skip
            return
        if row.clock not in MINUTE_CLOCKS:
            return
        outcome.nudges += 1
        ready_state, verb, label = _ACTION_BUTTON[row.clock]
        ready = ticket.state is ready_state
        buttons = (
            [[(texts.plain_msg(f"tenggat_tombol.{label}"), ticket_action(verb, ticket.number))]]
            if ready
            else None
        )
        todo = f"tenggat_tindakan.{row.clock.value}_{'siap' if ready else 'antre'}"
        html = texts.render(
            "tenggat_peringatan", nomor=ticket.number, judul=ticket.title,
            jam=texts.msg(f"tenggat_jam.{row.clock.value}"), batas=row.due_at,
            sisa=row.due_at - now, tindakan=texts.msg(todo),
        )  # fmt: skip
        line = texts.msg(
            "tenggat_baris.peringatan", nomor=ticket.number,
            jam=texts.msg(f"tenggat_jam_singkat.{row.clock.value}"), batas=texts.time(row.due_at),
        )  # fmt: skip
        await self.store.add_notice(
            ticket_id=ticket.id, deadline_id=row.id, kind="peringatan",
            audience=Audience.STAFF, chat_id=None, html=html, line=line, buttons=buttons, at=now,
        )  # fmt: skip

    async def _breach(
        self, row: DeadlineRow, ticket: Ticket, now: datetime,
        outcome: Tally,
    ) -> NextAction | None:  # fmt: skip
        """Record the breach and tell people; LKPP clocks go on to the status request."""
        assert ticket.id is not None
        texts = self.services.texts
        outcome.breaches += 1
        responsible = CLOCK_OWNER[row.clock]
        # The breach itself may already be recorded (a clock stopped late, or a window lapsed
        # while an LKPP email was applied): then only the alert is still owed.
        await self.keeper.lapse(row, now, ticket.state, ticket.priority)
        follow = None
        if row.clock in LKPP_CLOCKS and row.stopped_at is None:
            # One status request per silence: after downtime, only the newest lapse asks.
            following = await self.store.active(row.ticket_id, Clock.LKPP_PROGRESS)
            if following is None or following.due_at > now:
                follow = NextAction.REQUEST
        request_note = None
        if follow is not None:
            when = self.services.calendar.next_office_time(now)
            request_note = (
                texts.msg("tenggat_permintaan_status.dikirim")
                if when <= now
                else texts.msg("tenggat_permintaan_status.ditunda", kapan=texts.datetime(when))
            )
        if row.clock is Clock.USER_ANSWER:
            kind = "pelapor_diam"
            html = texts.render(
                "tenggat_pelapor_diam", nomor=ticket.number, judul=ticket.title,
                mulai=row.started_at, terdeteksi=now, kontak=ticket.contact.name,
                telepon=ticket.contact.phone,
            )  # fmt: skip
            line = texts.msg(
                "tenggat_baris.pelapor_diam",
                nomor=ticket.number,
                mulai=texts.datetime(row.started_at),
            )
        else:
            kind = "pelanggaran"
            html = texts.render(
                "tenggat_pelanggaran", nomor=ticket.number, judul=ticket.title,
                jam=texts.msg(f"tenggat_jam.{row.clock.value}"),
                pihak=texts.msg(f"tenggat_pihak.{responsible.value}"), mulai=row.started_at,
                batas=row.due_at, terdeteksi=now, permintaan=request_note,
                terlambat=late_by(row.measured, row.limit) if row.measured else None,
            )  # fmt: skip
            line = texts.msg(
                "tenggat_baris.pelanggaran", nomor=ticket.number,
                jam=texts.msg(f"tenggat_jam_singkat.{row.clock.value}"),
                pihak=texts.msg(f"tenggat_pihak.{responsible.value}"),
                batas=texts.datetime(row.due_at),
            )  # fmt: skip
        audiences = [Audience.STAFF] + ([Audience.ADMIN] if row.clock in _ADMIN_CLOCKS else [])
        for audience in audiences:
            await self.store.add_notice(
                ticket_id=ticket.id, deadline_id=row.id, kind=kind, audience=audience,
                chat_id=None, html=html, line=line, buttons=None, at=now,
            )  # fmt: skip
        return follow

    async def _request(
        self, row: DeadlineRow, ticket: Ticket, now: datetime,
        outcome: Tally,
    ) -> None:  # fmt: skip
        """Ask LKPP for the status (the mail component queues the email)."""
        assert ticket.id is not None
        if ticket.state not in WITH_LKPP:
            log.info("%s left LKPP's hands: no status request for %s", ticket.number, row.clock)
            return
        try:
            await self.services.workflow.apply_in(
                ticket.number, Action.REQUEST_STATUS, Actor.SYSTEM, SYSTEM,
                details={"jam": row.clock.value, "urutan": row.sequence},
            )  # fmt: skip
        except DomainError as exc:
            log.warning("status request for %s refused: %s", ticket.number, exc)
            return
        outcome.requests += 1  # the next window already started at the lapse (step 14)

    # --- row bookkeeping ---------------------------------------------------------------------
    async def _arm(
        self, row: DeadlineRow, now: datetime, action: NextAction,
        when: datetime,
    ) -> None:  # fmt: skip
        await self.store.update(row.id, now, next_action=action, wake_at=when, claim_token=None)

    async def _park(self, row: DeadlineRow, now: datetime) -> None:
        await self.store.update(row.id, now, next_action=None, wake_at=None, claim_token=None)
