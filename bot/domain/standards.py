"""The SOP's time standards ("mutu baku"): the clocks, who answers for each, and their values.

:class:`Clock` names each time standard the bot measures and :data:`CLOCK_OWNER` the side that
answers for it; :class:`TimeStandards` holds the values, the SOP's own as defaults. Which SOP
step starts, stops, pauses or resumes a clock is the step table (:mod:`bot.domain.sop_steps`).
An LPSE whose SOP revision changes a value changes one setting (see ``bot.config``); the domain
and the deadline sweep read the values only from here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from types import MappingProxyType


@dataclass(frozen=True, slots=True)
class TimeStandards:
    """Each time standard, named after the SOP row it belongs to."""

    escalate: timedelta = timedelta(minutes=5)
    """Step 1: from "cannot handle" to the escalation email delivered."""
    forward_data: timedelta = timedelta(minutes=5)
    """Step 9: from the user's data received to the forwarding email delivered."""
    lkpp_status_working_days: int = 2
    """Step 12: LKPP's first status email after the escalation was delivered."""
    lkpp_progress_working_days: int = 1
    """Step 14: LKPP progress while the problem is not solved."""
    user_reminder_working_days: int = 1
    """Steps 7-8 (no SOP time): remind the user who has not sent the requested data."""
    user_staff_alert_working_days: int = 2
    """Steps 7-8: tell staff the user still has not answered."""
    nudge_before: timedelta = timedelta(minutes=2)
    """Minute-level clocks: nudge staff this long before the deadline (minute 3 of 5)."""


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
