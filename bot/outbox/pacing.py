"""Telegram's rate limits as pure arithmetic: when may the next message of a lane go out.

Telegram allows a bot about 30 messages a second overall, about one a second in a private chat
and 20 a minute in a group. The sender (:mod:`bot.outbox.sender`) asks these functions, given
the instants the lane's recent messages were sent (read from the outbox, so a restart keeps
the window) and the current instant; they never read a clock themselves.

In the staff group the budget is shared by priority: what answers a staff member's own action
may use the whole window, each lower class a little less, so a burst of new-ticket cards always
leaves room for the answer to the next press, a breach alert or a card edit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import IntEnum

ZERO = timedelta(0)


class Priority(IntEnum):
    """The order of a lane's messages; a lower value goes first."""

    URGENT = -1
    """New tickets nobody could see for a while (announced ahead of everything else)."""
    ACTION = 0
    """Answers a person's own action (a press, a command, the ticket number after Kirim)."""
    ALERT = 1
    """Breach alerts, nudges, admin alerts."""
    EDIT = 2
    """Card edits and notices under a card."""
    NEW = 3
    """New-ticket cards and the files under them."""


@dataclass(frozen=True, slots=True)
class Limits:
    """Telegram's limits, from the settings (defaults: Telegram's documented values).

    Attributes:
        overall_per_second: Messages per second across every chat.
        private_per_second: Messages per second in one private chat.
        group_per_window: Messages one group may receive in any ``group_window``.
        group_window: The group's rolling window.
    """

    overall_per_second: float = 30.0
    private_per_second: float = 1.0
    group_per_window: int = 20
    group_window: timedelta = timedelta(seconds=60)

    def group_cap(self, priority: Priority) -> int:
        """How much of the group's window a class may fill (never below one message).

        A fifth of the budget is kept for :attr:`Priority.URGENT` (tickets staff have not seen
        yet), and each class below :attr:`Priority.ACTION` leaves one more message for those
        above it: with 20 a minute, staff answers use at most 16, alerts 15, edits 14 and new
        cards 13, so an overdue announcement always finds room.
        """
        if priority is Priority.URGENT:
            return self.group_per_window
        reserve = max(1, round(self.group_per_window / 5))
        step = max(1, round(self.group_per_window / 20))
        return max(1, self.group_per_window - reserve - int(priority) * step)


def is_group(chat_id: int) -> bool:
    """Groups, supergroups and channels have negative ids; users positive."""
    return chat_id < 0


def window_wait(sent: Sequence[datetime], now: datetime, cap: int, window: timedelta) -> timedelta:
    """How long until one more message fits in a rolling ``window`` holding at most ``cap``.

    Args:
        sent: When the lane's recent messages went out (any order; older ones are ignored).
        now: The current instant.
        cap: Messages allowed in any ``window``.
        window: The window's length.
    """
    # A send "in the future" (the clock was set back) is ignored rather than blocking the lane.
    recent = sorted(t for t in sent if now - window < t <= now)
    if len(recent) < cap:
        return ZERO
    # The oldest message that must leave the window before one more fits.
    frees = recent[len(recent) - cap] + window
    return max(frees - now, ZERO)


def spacing_wait(last: datetime | None, now: datetime, per_second: float) -> timedelta:
    """How long until a lane that may send ``per_second`` messages may send again."""
    if last is None or per_second <= 0:
        return ZERO
    return max(last + timedelta(seconds=1 / per_second) - now, ZERO)


def lane_wait(
    chat_id: int,
    priority: Priority,
    sent: Sequence[datetime],
    now: datetime,
    limits: Limits,
    paused_until: datetime | None = None,
    new_sent: Sequence[datetime] = (),
) -> timedelta:
    """How long the lane's next message (of ``priority``) must wait; zero means "send now".

    New-ticket messages in a group are also spread evenly over the window (one every
    ``window / cap``): a burst of reports then waits for the next slot and is announced
    together, instead of spending the whole budget on the first few cards.

    Args:
        chat_id: The lane.
        priority: The class of the lane's next message.
        sent: When the lane's recent messages went out.
        now: The current instant.
        limits: Telegram's limits.
        paused_until: Until when a 429 (``retry_after``) paused the lane.
        new_sent: When the lane's recent new-ticket messages went out.
    """
    wait = ZERO if paused_until is None else max(paused_until - now, ZERO)
    if is_group(chat_id):
        cap = limits.group_cap(priority)
        wait = max(wait, window_wait(sent, now, cap, limits.group_window))
        if priority is Priority.NEW:
            per_second = cap / limits.group_window.total_seconds()
            recent = [t for t in new_sent if t <= now]
            wait = max(wait, spacing_wait(max(recent, default=None), now, per_second))
    else:
        wait = max(wait, spacing_wait(max(sent, default=None), now, limits.private_per_second))
    return wait


def retry_delay(attempts: int, base: timedelta, ceiling: timedelta) -> timedelta:
    """Exponential back-off after ``attempts`` failed tries (1 → ``base``), at most ``ceiling``."""
    return min(base * (2 ** max(attempts - 1, 0)), ceiling)


class OverallBucket:
    """The overall limit: at most ``per_second`` sends in any second, across every lane.

    Holds only the instants of the last second's sends; :meth:`wait` says how long until the
    next may go, :meth:`spend` records one.
    """

    def __init__(self, per_second: float) -> None:
        self.cap = max(1, int(per_second))
        self._sent: list[datetime] = []

    def wait(self, now: datetime) -> timedelta:
        self._sent = [t for t in self._sent if t > now - timedelta(seconds=1)]
        return window_wait(self._sent, now, self.cap, timedelta(seconds=1))

    def spend(self, now: datetime) -> None:
        self._sent.append(now)
