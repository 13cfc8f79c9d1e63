"""500 deadlines falling due together: digests within Telegram's 20 messages a minute."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from types import SimpleNamespace

from bot.deadlines.sweep import sweep_job
from bot.services import SERVICES_KEY, Services
from tests.support.clock import FakeClock
from tests.support.deadlines_fixtures import (
    TO_CANNOT_HANDLE,
    RecordingNotifier,
    dl_services,
    report,
    walk,
)
from tests.support.settings import ADMIN_ID, STAFF_CHAT_ID

__all__ = ["dl_services"]

TICKETS = 500


def max_per_minute(times: list[datetime]) -> int:
    times = sorted(times)
    return max(
        (sum(1 for t in times if start <= t < start + timedelta(minutes=1)) for start in times),
        default=0,
    )


async def test_500_deadlines_due_together_arrive_as_digests_within_the_rate_limit(
    dl_services: tuple[Services, RecordingNotifier], clock: FakeClock
) -> None:
    services, sent = dl_services
    numbers = []
    for _ in range(TICKETS):
        number = await report(services)
        await walk(services, number, *TO_CANNOT_HANDLE)
        numbers.append(number)
    context = SimpleNamespace(bot_data={SERVICES_KEY: services})
    clock.advance(minutes=3)
    for _ in range(6 * 3):  # six minutes of sweeps every 20 seconds
        await sweep_job(context)
        clock.advance(seconds=20)

    staff = sent.to(STAFF_CHAT_ID)
    assert max_per_minute([s.at for s in staff]) <= 20
    assert len(staff) < 60  # digests, not one message per deadline
    text = "\n".join(s.html for s in staff)
    nudged = set(re.findall(r"⏰ (BTG-\d{4}-\d{5})", text))
    breached = set(re.findall(r"🚨 (BTG-\d{4}-\d{5})", text))
    assert nudged == set(numbers)  # nothing dropped
    assert breached == set(numbers)
    admin = "\n".join(s.html for s in sent.to(ADMIN_ID))
    assert set(re.findall(r"🚨 (BTG-\d{4}-\d{5})", admin)) == set(numbers)
    assert max_per_minute([s.at for s in sent.to(ADMIN_ID)]) <= 20
    unsent = "SELECT COUNT(*) FROM deadline_notices WHERE sent_at IS NULL"
    assert await services.db.fetchval(unsent) == 0
    # Each digest is one message per sweep (split only by Telegram's length limit).
    sweeps_with_staff_messages = {s.at for s in staff}
    assert all(s.html.count("⏰") + s.html.count("🚨") > 1 for s in staff)
    assert len(sweeps_with_staff_messages) <= 4
