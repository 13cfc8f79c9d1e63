"""SIGKILL at many moments of the first 2 s after "Kirim": nothing queued is ever lost.

Every kill point uses a new user on the same database. After each kill the bot starts again;
the Bot API server redelivers the updates whose offset was not confirmed, and the outbox sends
what was queued. At the end every user has exactly one ticket and was told its number, each
ticket has its card in the staff group, and a message is repeated only when a kill hit it in
flight (at most once).
"""

from __future__ import annotations

import time
from collections import Counter

from tests.support.botapi import BotApiServer

from .actors import NUMBER, User
from .harness import STAFF_CHAT_ID, BotProcess

#: Seconds after pressing "Kirim" at which the bot is killed (12 points across 2 s).
KILL_POINTS = (0.0, 0.01, 0.02, 0.03, 0.05, 0.08, 0.12, 0.2, 0.35, 0.6, 1.0, 2.0)


def _walk_to_summary(user: User) -> None:
    user.describe(
        f"Gagal unggah dokumen ({user.chat_id})",
        "Muncul pesan error 500 saat unggah dokumen penawaran.",
        package=None,
        error=None,
    )
    user.expect("Tingkat urgensi")
    user.press("Mendesak")
    user.expect("Dampak")
    user.press("Besar")
    user.expect("Tangkapan layar")
    user.press("✅ Selesai unggah")
    user.expect("Nama kontak")
    user.say("Budi Santoso")
    user.expect("Email")
    user.say("budi@contoh.co.id")
    user.expect("Nomor telepon")
    user.press("Lewati")
    user.expect("Ringkasan")


def test_sigkill_after_kirim_loses_no_ticket_number_and_no_card(
    bot: BotProcess, botapi: BotApiServer
) -> None:
    bot.start()
    users = [User(botapi, 880_000 + i, f"Pengguna{i}") for i in range(len(KILL_POINTS))]
    for user, after in zip(users, KILL_POINTS, strict=True):
        _walk_to_summary(user)
        user.press("✅ Kirim")
        time.sleep(after)
        bot.kill()
        bot.start()
    for user in users:  # every user is told the ticket number after the restarts
        user.expect("nomor tiket", within=30)
    botapi.wait_idle_sync(timeout=30, settle=2.0)

    tickets = bot.query("SELECT number, user_chat_id FROM tickets ORDER BY id")
    assert sorted(t["user_chat_id"] for t in tickets) == [u.chat_id for u in users]
    repeats = 0
    for user in users:
        told = [m for m in botapi.messages(user.chat_id) if "nomor tiket" in (m.get("text") or "")]
        assert 1 <= len(told) <= 2, (user.chat_id, told)
        repeats += len(told) - 1
    staff_texts = [m.get("text") or "" for m in botapi.messages(STAFF_CHAT_ID)]
    cards = Counter(
        found.group(0)
        for text in staff_texts
        if text.startswith("🎫") and (found := NUMBER.search(text))
    )
    for ticket in tickets:
        assert 1 <= cards[ticket["number"]] <= 2, (ticket["number"], cards)
        repeats += cards[ticket["number"]] - 1
    # A repeat needs a kill between a send and its commit: a few points at most.
    assert repeats <= len(KILL_POINTS) // 2, repeats
    assert not bot.query("SELECT id FROM telegram_outbox WHERE state IN ('queued', 'sending')")
    assert bot.stop() == 0
