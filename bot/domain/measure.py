"""How a time standard is judged: the rules behind every figure of the mutu baku report.

The SOP's "Peringatan" makes every deviation from a time standard a failure someone answers
for, so these rules decide what happened, never when a scheduled check happened to look:

* A clock is **met when its measured working time (pauses left out) is at most its limit**,
  decided when it stops. A clock stopped one second after its limit is breached even if the
  sweep never saw it running late.
* A clock past its limit that has not stopped is an **open breach**, measured up to the
  report's instant. One clock gives at most one breach record.
* A clock abandoned (the escalation cancelled, the report withdrawn) before its limit is not
  counted; abandoned after its limit it is a breach: the time had already run out.
* **LKPP's progress duty (step 14)** is a chain of working-day windows. The first starts at
  LKPP's first email on the ticket, or at the step-12 deadline when LKPP has not written by
  then. A window is met when LKPP writes about the ticket within it and breached when it
  passes without. The next window starts at that email, or, after a lapse, at the end of the
  lapsed window (its deadline), whether or not the bot's status request could be sent yet
  (office hours). A window's time runs from its start until LKPP's next email about the
  ticket, or until the report while LKPP stays silent, so a breached window says how long
  LKPP really stayed silent; a status request sent by the bot does not stop it.
* **One LKPP email never yields a measurement of its own**: the ingest records an email
  (which meets the running window and opens the next) and then the class it carries (a tag,
  or staff confirming it later); that second step belongs to the same email and neither
  meets the window the email opened nor measures it.
* A window still running (not late) at the report is not counted. Pauses while the ticket
  waits for the user's data are left out of every LKPP clock.

Nothing here reads a clock or a database: instants and durations are parameters, and the
working-time arithmetic is passed in (``add``/``between``), so the rules are tested alone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

AddWorkingTime = Callable[[datetime, timedelta], datetime]
WorkingTimeBetween = Callable[[datetime, datetime], timedelta]


class Outcome(StrEnum):
    """What a clock counts as in a report."""

    MET = "tepat"
    BREACHED = "terlambat"  # stopped after its limit
    OPEN = "terbuka"  # past its limit and still not stopped: an open breach
    RUNNING = "berjalan"  # within its limit and not stopped: not counted yet
    NOT_COUNTED = "tidak_dihitung"  # abandoned within its limit


def is_met(measured: timedelta, limit: timedelta) -> bool:
    """The one comparison every standard uses: at most the limit is on time."""
    return measured <= limit


def late_by(measured: timedelta, limit: timedelta) -> timedelta:
    """How far past its limit a clock ran (zero when met)."""
    return max(measured - limit, timedelta(0))


def outcome(
    measured: timedelta, limit: timedelta, *, stopped: bool, abandoned: bool = False
) -> Outcome:
    """Judge one clock from its measured working time.

    Args:
        measured: Working time from the start to the stop (or to the report while running),
            pauses left out.
        stopped: Whether the step that ends the clock has happened.
        abandoned: Whether the clock ended because the work was given up, not done.
    """
    if is_met(measured, limit):
        if not stopped:
            return Outcome.RUNNING
        return Outcome.NOT_COUNTED if abandoned else Outcome.MET
    return Outcome.BREACHED if stopped else Outcome.OPEN


def same_email(window_started_by: str | None, message_id: str | None) -> bool:
    """Whether an LKPP step belongs to the email that opened the running window."""
    return bool(message_id) and window_started_by == message_id


@dataclass(frozen=True, slots=True)
class Window:
    """One working-day window of LKPP's progress duty (step 14)."""

    start: datetime
    due: datetime
    end: datetime | None  # LKPP's next email after the start; None while LKPP is silent
    measured: timedelta
    outcome: Outcome


def progress_windows(
    first_start: datetime,
    emails: Sequence[datetime],
    until: datetime,
    limit: timedelta,
    add: AddWorkingTime,
    between: WorkingTimeBetween,
) -> list[Window]:
    """The step-14 windows from ``first_start`` up to the report instant ``until``.

    This is the rule stated once, as a pure function: the clock keeper and the sweep build the
    same chain step by step as emails arrive and deadlines pass, and the tests compare the two.

    Args:
        first_start: LKPP's first email, or the step-12 deadline when LKPP had not written.
        emails: Instants of LKPP's later emails about the ticket (any order).
        until: The report's instant; nothing after it is known.
        limit: The window's working time (one working day by the SOP).
    """
    later = sorted(e for e in emails if first_start < e <= until)
    windows: list[Window] = []
    start = first_start
    while start <= until:
        due = add(start, limit)
        reply = next((e for e in later if e > start), None)
        end = reply if reply is not None and reply <= until else None
        measured = between(start, end if end is not None else until)
        if end is not None and end <= due:
            windows.append(Window(start, due, end, measured, Outcome.MET))
            start = end
            continue
        if due >= until:  # still running at the report: not counted
            windows.append(Window(start, due, None, measured, Outcome.RUNNING))
            break
        windows.append(
            Window(start, due, end, measured, Outcome.BREACHED if end else Outcome.OPEN)
        )
        start = due
    return windows
