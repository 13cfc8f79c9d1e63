"""The pacing arithmetic: rolling group window, private spacing, 429 pauses, restarts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.outbox.pacing import (
    Limits,
    OverallBucket,
    Priority,
    lane_wait,
    retry_delay,
    spacing_wait,
    window_wait,
)

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
GROUP, USER = -1001234567890, 777001
MINUTE = timedelta(seconds=60)


def s(seconds: float) -> timedelta:
    return timedelta(seconds=seconds)


def test_a_full_window_waits_until_its_oldest_message_leaves() -> None:
    sent = [T0 + s(i) for i in range(20)]  # 20 in the first 20 s
    now = T0 + s(30)
    assert window_wait(sent, now, 20, MINUTE) == s(30)  # the first leaves at 60 s
    assert window_wait(sent, T0 + s(59.5), 20, MINUTE) == s(0.5)
    assert window_wait(sent, T0 + s(60), 20, MINUTE) == timedelta(0)  # 60 s old: out
    assert window_wait(sent[:19], now, 20, MINUTE) == timedelta(0)


def test_the_window_holds_over_every_rolling_minute() -> None:
    """Sending whenever allowed never puts more than the cap in any 60 s."""
    limits = Limits()
    sent: list[datetime] = []
    now = T0
    while now < T0 + timedelta(minutes=5):
        if lane_wait(GROUP, Priority.URGENT, sent, now, limits) == timedelta(0):
            sent.append(now)
        now += s(0.25)
    for start in sent:
        assert sum(start <= t < start + MINUTE for t in sent) <= 20
    assert len(sent) >= 5 * 20 - 1  # and the budget is used, not wasted


def test_lower_classes_leave_room_for_staff_answers() -> None:
    limits = Limits(group_per_window=20)
    assert [limits.group_cap(p) for p in Priority] == [20, 16, 15, 14, 13]
    sent = [T0 + s(i) for i in range(13)]
    now = T0 + s(15)
    assert lane_wait(GROUP, Priority.NEW, sent, now, limits) > timedelta(0)
    assert lane_wait(GROUP, Priority.EDIT, sent, now, limits) == timedelta(0)
    assert lane_wait(GROUP, Priority.ACTION, sent + [now] * 2, now, limits) == timedelta(0)
    assert lane_wait(GROUP, Priority.ACTION, sent + [now] * 3, now, limits) > timedelta(0)
    # the last fifth is for tickets nobody has seen yet
    assert lane_wait(GROUP, Priority.URGENT, sent + [now] * 6, now, limits) == timedelta(0)


def test_new_ticket_messages_are_spread_over_the_window() -> None:
    limits = Limits()  # 13 new-ticket messages a minute: one every 60/13 s
    gap = s(60 / 13)
    assert lane_wait(GROUP, Priority.NEW, [T0], T0 + s(1), limits, new_sent=[T0]) == gap - s(1)
    assert lane_wait(GROUP, Priority.EDIT, [T0], T0 + s(1), limits, new_sent=[T0]) == s(0)
    assert Limits(group_per_window=1).group_cap(Priority.NEW) == 1


def test_a_restart_counts_the_stored_sends() -> None:
    """The window comes from the outbox's sent times, so a restart right after a burst waits."""
    stored = [T0 + s(i * 0.1) for i in range(20)]  # sent before the restart
    after_restart = T0 + s(5)
    assert lane_wait(GROUP, Priority.URGENT, stored, after_restart, Limits()) == s(55)


def test_private_chats_get_one_message_a_second() -> None:
    assert spacing_wait(None, T0, 1.0) == timedelta(0)
    assert spacing_wait(T0, T0 + s(0.4), 1.0) == s(0.6)
    assert spacing_wait(T0, T0 + s(1), 1.0) == timedelta(0)
    assert lane_wait(USER, Priority.ACTION, [T0], T0 + s(0.5), Limits()) == s(0.5)
    # a private chat has no minute window
    many = [T0 + s(i) for i in range(100)]
    assert lane_wait(USER, Priority.NEW, many, T0 + s(101), Limits()) == timedelta(0)


def test_a_429_pauses_its_lane_for_retry_after() -> None:
    paused = T0 + s(7)
    assert lane_wait(USER, Priority.ACTION, [], T0, Limits(), paused) == s(7)
    assert lane_wait(GROUP, Priority.ACTION, [], T0 + s(3), Limits(), paused) == s(4)
    assert lane_wait(GROUP, Priority.ACTION, [], T0 + s(8), Limits(), paused) == timedelta(0)


def test_sends_in_the_future_do_not_block_a_lane() -> None:
    """A clock set back must not hold the group for the gap."""
    future = [T0 + timedelta(days=2)] * 20
    assert window_wait(future, T0, 20, MINUTE) == timedelta(0)


def test_the_overall_bucket_allows_30_in_any_second() -> None:
    bucket = OverallBucket(30)
    for i in range(30):
        assert bucket.wait(T0 + s(i * 0.01)) == timedelta(0)
        bucket.spend(T0 + s(i * 0.01))
    assert bucket.wait(T0 + s(0.5)) == s(0.5)
    assert bucket.wait(T0 + s(1.0)) == timedelta(0)  # the first left the second


@pytest.mark.parametrize(("attempts", "expected"), [(1, 1), (2, 2), (3, 4), (5, 16), (10, 60)])
def test_retries_back_off_exponentially_up_to_a_ceiling(attempts: int, expected: int) -> None:
    assert retry_delay(attempts, s(1), s(60)) == s(expected)
