"""The SOP's time standards ("mutu baku"), with the SOP's own values as defaults.

An LPSE whose SOP revision changes a value changes one setting (see ``bot.config``); the domain
and the deadline sweep read the values only from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


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
