"""The knowledge base end to end: imported with the CLI, answering at intake, grown by staff."""

from __future__ import annotations

import subprocess
import sys

from tests.support.botapi import BotApiServer

from .actors import Lkpp, Staff, User, _text
from .harness import BotProcess

UPLOAD = "📖 Gagal mengunggah dokumen penawaran"
SOLVED = "✅ Ini menyelesaikan masalah saya"


def test_answered_at_intake_then_a_solved_ticket_becomes_an_entry(
    bot: BotProcess, botapi: BotApiServer, user: User, staff: Staff, lkpp: Lkpp
) -> None:
    imported = subprocess.run(
        [sys.executable, "-m", "bot", "--env-file", str(bot.env_file), "kb", "import", "--awal"],
        cwd=bot.workdir, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert imported.returncode == 0, imported.stderr
    assert "30 entri ditambahkan" in imported.stdout
    bot.start()

    user.describe(
        "Gak bisa upload penawaran", "upload dok penawaran error terus dari tadi",
        package=None, error=None,
    )  # fmt: skip
    user.expect("Mungkin ini membantu")
    user.press(UPLOAD)
    user.expect("peramban terbaru")
    user.press(SOLVED)
    user.expect("tidak ada tiket yang dibuat")
    assert bot.query("SELECT count(*) FROM tickets")[0][0] == 0

    title = "Tombol simpan HPS tidak merespons"
    user.describe(
        title, "Saat isi HPS di paket, tombol simpan diklik tidak terjadi apa-apa.",
        package=None, error=None,
    )  # fmt: skip
    number = user.finish_report()  # no starter entry answers this: nothing was offered

    staff.take(number)
    staff.solve(number, "Nilai HPS berisi titik ribuan; dihapus, lalu tombol simpan berfungsi.")
    bot.wait_state(number, "selesai")
    staff.press_on_card(number, "📚 Jadikan FAQ")
    proposal = staff.expect("Usulan entri FAQ")
    assert proposal.message_id is not None
    staff.say("kata_kunci: simpan hps, titik ribuan", reply_to=proposal.message_id)
    staff.expect("diubah: kata_kunci")
    staff.press("✅ Simpan & aktifkan", message_id=proposal.message_id)
    staff.told("disimpan dan aktif")

    user.say("/faq tombol simpan hps ga bisa")
    user.expect("Jawaban untuk")
    user.press(f"📖 {title}")
    user.expect("titik ribuan")

    staff.say("/laporan")
    report = staff.expect("Terjawab basis pengetahuan (tanpa tiket): 1")
    assert "Gagal mengunggah dokumen penawaran" in _text(report)
    lkpp.nothing_more()
    assert bot.stop() == 0
    assert "Traceback" not in bot.log()
