"""A tender-deadline surge through ``python -m bot run`` with Telegram's real group limit.

100 users walk /lapor to "Kirim" within about 20 s. Every user is told the ticket number
within seconds, long before the staff group could have received a card each; the group never
gets more than 20 messages in any 60 s, and every ticket is visible to staff within a minute
(announced together with others, its own card following as the budget allows).
"""

from __future__ import annotations

import asyncio
import random
import time
from pathlib import Path

from tests.support.bench_driver import LPSE_FLOW, NUMBER, Chat, Outcome, Router, TimedServer, drive
from tests.support.botapi import make_user
from tests.support.mailservers import ImapTestServer, SmtpTestServer

from .harness import STAFF_CHAT_ID, TOKEN, running_bot

USERS = 100
SPREAD = 20.0
KIRIM = next(i for i, step in enumerate(LPSE_FLOW) if step.expect == "nomor tiket")


def _most_in_a_minute(times: list[float]) -> int:
    times, best, first = sorted(times), 0, 0
    for last, at in enumerate(times):
        while at - times[first] >= 60:
            first += 1
        best = max(best, last - first + 1)
    return best


async def _surge(api: TimedServer) -> tuple[Outcome, dict[str, float], float]:
    router = Router(asyncio.get_running_loop())
    api.listener = router.from_server
    chats = [
        Chat(make_user(860_000 + i, "Budi", f"s{i}", last_name="Santoso")) for i in range(USERS)
    ]
    router.chats.update({c.chat_id: c for c in chats})
    walk, kirim, reported = Outcome(), Outcome(), {}
    rng = random.Random(3)

    async def one(chat: Chat) -> None:
        await asyncio.sleep(rng.uniform(0, SPREAD))
        await drive(api, chat, LPSE_FLOW[:KIRIM], 60, walk)
        pressed = time.monotonic()
        await drive(api, chat, LPSE_FLOW[KIRIM : KIRIM + 1], 60, kirim)
        if chat.ticket:
            reported[chat.ticket] = pressed

    await asyncio.gather(*(one(c) for c in chats))
    assert not walk.failures and not kirim.failures, (walk.failures + kirim.failures)[:3]
    return kirim, reported, time.monotonic()


def test_a_surge_of_100_reports_keeps_users_first_and_the_group_within_budget(
    tmp_path: Path, smtp_server: SmtpTestServer, imap_server: ImapTestServer
) -> None:
    api = TimedServer(token=TOKEN, bot_username="lpse_batang_bot")
    api.add_group(STAFF_CHAT_ID, "Staf LPSE Kabupaten Batang")
    with api, running_bot(tmp_path, api, smtp_server, imap_server,
                          TELEGRAM_GROUP_PER_MINUTE="20") as bot:  # fmt: skip
        bot.start()
        kirim, reported, done = asyncio.run(_surge(api))
        assert len(reported) == USERS
        assert max(kirim.latencies) < 10  # nobody waits behind the group
        cards_when_users_done = sum(
            (c.text or "").startswith("🎫") for c in api.sent(STAFF_CHAT_ID) if c.started <= done
        )
        assert cards_when_users_done < USERS // 2  # users were answered first

        deadline = time.monotonic() + 75
        visible: dict[str, float] = {}
        while time.monotonic() < deadline and len(visible) < USERS:
            for call in api.sent(STAFF_CHAT_ID):
                for number in NUMBER.findall(call.text or ""):
                    visible.setdefault(number, call.started)
            time.sleep(0.5)
        assert set(visible) >= set(reported)
        slowest = max(visible[n] - at for n, at in reported.items())
        assert slowest <= 60, slowest
        sends = [c.started for c in api.sent(STAFF_CHAT_ID) if c.method.startswith("send")]
        assert _most_in_a_minute(sends) <= 20
        assert bot.stop() == 0
