"""Branch (a): the LPSE solves it itself. User reports, staff take and solve, user confirms."""

from __future__ import annotations

from tests.support.botapi import BotApiServer

from .actors import Lkpp, Staff, User
from .harness import BotProcess


def test_reported_taken_solved_locally_confirmed_and_closed(
    bot: BotProcess, botapi: BotApiServer, user: User, staff: Staff, lkpp: Lkpp
) -> None:
    bot.start()
    user.say("/start")
    user.expect("Selamat datang, Budi")

    number = user.report("Gagal unggah penawaran")
    assert bot.state(number) == "baru"
    card = staff.card(number)

    staff.take(number)
    bot.wait_state(number, "ditangani")
    user.expect(f"Tiket {number} sedang ditangani")

    staff.solve(number, "Cache peramban dibersihkan; unggah <i>berhasil</i> & lancar.")
    bot.wait_state(number, "selesai")
    solution = user.expect("dinyatakan selesai")
    assert "Cache peramban dibersihkan; unggah <i>berhasil</i> & lancar." in (solution.text or "")

    user.confirms_solved()
    bot.wait_state(number, "ditutup")
    user.press("5 ⭐")
    user.expect("5 dari 5")

    actions = [e["action"] for e in bot.events(number)]
    assert actions == ["lapor", "ambil", "selesai_lokal", "pengguna_konfirmasi", "penilaian"]
    assert bot.query("SELECT rating FROM tickets WHERE number = ?", (number,))[0][0] == 5
    # The card in the group was edited in place: it shows the closed state, no stale copy.
    cards = [m for m in botapi.messages(staff.chat_id) if f"🎫 {number}" in (m.get("text") or "")]
    assert [m["message_id"] for m in cards] == [card]
    assert "Status: Ditutup" in cards[0]["text"]
    lkpp.nothing_more()
    assert bot.stop() == 0
    assert "Traceback" not in bot.log()
