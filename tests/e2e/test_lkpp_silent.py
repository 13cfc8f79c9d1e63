"""Branch (d): LKPP stays silent. Time moves by restarting the bot at a later clock (libfaketime).

Tuesday 24 November 2026, 09:00 WIB: escalated. The first status is due within 2 working days
(Thursday 09:00); then progress every working day (Friday). Each restart lands just after a due
instant, as if the bot had simply kept running.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from .actors import Lkpp, Staff, User
from .harness import BotProcess, faketime_library

WIB = ZoneInfo("Asia/Jakarta")

pytestmark = pytest.mark.skipif(
    faketime_library() is None, reason="libfaketime is not installed (apt install faketime)"
)


def _breaches(bot: BotProcess, number: str) -> list[tuple[str, str]]:
    return [
        (row["clock"], row["responsible"])
        for row in bot.query(
            "SELECT b.clock, b.responsible FROM breaches b JOIN tickets t ON t.id = b.ticket_id "
            "WHERE t.number = ? ORDER BY b.id",
            (number,),
        )
    ]


def test_lkpp_silent_two_working_days_then_one_more_then_solved(
    bot: BotProcess, user: User, staff: Staff, lkpp: Lkpp
) -> None:
    bot.start(at=datetime(2026, 11, 24, 9, 0, tzinfo=WIB))
    number = user.report("Paket tidak muncul di daftar tender")
    staff.take(number)
    staff.escalate(number)
    escalation = lkpp.receive(kind=f"#{number}")
    bot.wait_event(number, "eskalasi_terkirim")
    assert bot.stop() == 0

    # Thursday, just past the 2 working days of step 12: breach, alert, status request.
    bot.start(at=datetime(2026, 11, 26, 9, 5, tzinfo=WIB))
    alert = staff.expect("Batas waktu terlewat")
    assert number in (alert.text or "")
    assert "Status pertama dari LKPP (langkah 12, 2 hari kerja)" in (alert.text or "")
    assert "Pihak yang bertanggung jawab: LKPP" in (alert.text or "")
    request = lkpp.receive(kind=number)
    assert str(request.message["In-Reply-To"]).strip() == escalation.message_id
    body = request.message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "belum menerima informasi status" in body
    assert ("status_lkpp", "lkpp") in _breaches(bot, number)
    bot.wait_event(number, "permintaan_status_terkirim")
    assert bot.stop() == 0

    # Friday, one more working day without progress (step 14): second breach and reminder.
    bot.start(at=datetime(2026, 11, 27, 9, 15, tzinfo=WIB))
    alert = staff.expect("Progres harian dari LKPP (langkah 14, setiap hari kerja)")
    assert number in (alert.text or "")
    reminder = lkpp.receive(kind=number)
    assert escalation.message_id in str(reminder.message["References"])
    assert reminder.message_id != request.message_id
    clocks = [b for b in _breaches(bot, number) if b[0] in ("status_lkpp", "progres_lkpp")]
    assert clocks == [("status_lkpp", "lkpp"), ("progres_lkpp", "lkpp")]
    # Priority "Tinggi" has a 1-working-day target: missed while with LKPP, LKPP answers for it.
    assert ("target_prioritas", "lkpp") in _breaches(bot, number)

    # LKPP finally answers in the thread: solved (step 13), the daily clock stops.
    lkpp.reply(reminder, "#SELESAI\nPaket sudah tampil kembali setelah sinkronisasi ulang.")
    staff.expect("setelah sinkronisasi ulang")
    bot.wait_state(number, "lkpp_selesai")
    running = bot.query(
        "SELECT d.clock FROM deadlines d JOIN tickets t ON t.id = d.ticket_id "
        "WHERE t.number = ? AND d.state = 'running' AND d.clock LIKE '%lkpp'",
        (number,),
    )
    assert running == []
    lkpp.nothing_more()
    assert bot.stop() == 0
    assert "Traceback" not in bot.log()
