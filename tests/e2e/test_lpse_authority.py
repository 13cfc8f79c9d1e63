"""Branch (b): LKPP answers that the LPSE can solve it (SOP step 4), with a PDF guide."""

from __future__ import annotations

from datetime import datetime

from tests.support.botapi import BotApiServer

from .actors import Lkpp, Staff, User
from .harness import BotProcess

SCREENSHOT = b"\x89PNG\r\n\x1a\n" + b"layar error 500" * 40
GUIDE = b"%PDF-1.4\n% Panduan reset akun penyedia\n%%EOF\n"


def test_escalated_in_time_lkpp_says_lpse_authority_with_a_guide_then_solved(
    bot: BotProcess, botapi: BotApiServer, user: User, staff: Staff, lkpp: Lkpp
) -> None:
    bot.start()
    number = user.report("Akun penyedia terkunci", screenshot=SCREENSHOT)
    staff.take(number)
    staff.escalate(number)

    escalation = lkpp.receive(kind=f"#{number}")
    assert escalation.rcpt_tos == ["helpdesk@lkpp.go.id"]
    assert "[LPSE-BTG" in escalation.subject
    body = escalation.message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    for field in ("Akun penyedia terkunci", "12345678", "ERR-500", "budi@contoh.co.id", "Tinggi"):
        assert field in body, field
    files = {
        part.get_filename(): part.get_content() for part in escalation.message.iter_attachments()
    }
    assert list(files.values()) == [SCREENSHOT]
    bot.wait_state(number, "eskalasi")

    # Step 1's time standard: from "cannot handle" to the email accepted by the server.
    started = datetime.fromisoformat(bot.wait_event(number, "tidak_dapat_ditangani")["at"])
    delivered = datetime.fromisoformat(bot.wait_event(number, "eskalasi_terkirim")["at"])
    assert (delivered - started).total_seconds() < 5 * 60
    (clock,) = bot.query("SELECT d.state FROM deadlines d JOIN tickets t ON t.id = d.ticket_id "
                         "WHERE t.number = ? AND d.clock = 'eskalasi'", (number,))  # fmt: skip
    assert clock["state"] == "met"

    lkpp.reply(
        escalation,
        "#KEWENANGAN_LPSE\nYth. LPSE Batang,\n\nReset akun penyedia merupakan kewenangan LPSE. "
        "Silakan ikuti panduan terlampir.\n\nSalam,\nHelpdesk LKPP\n\n"
        "> kutipan email eskalasi yang tidak perlu ditampilkan",
        attachment=("panduan-reset-akun.pdf", "pdf", GUIDE),
    )
    notice = staff.expect(f"Email Helpdesk LKPP untuk tiket {number}")
    assert "kewenangan LPSE" in (notice.text or "")
    assert "Kewenangan LPSE (panduan), langkah 4" in (notice.text or "")
    guide = botapi.wait_for_sync("sendDocument", chat_id=staff.chat_id, timeout=20)
    stored = botapi.file(guide.message["document"]["file_id"])  # type: ignore[index]
    assert stored is not None and stored.content == GUIDE
    bot.wait_state(number, "kewenangan_lpse")

    staff.solve(number, "Akun sudah direset sesuai panduan LKPP.")
    user.expect("Akun sudah direset sesuai panduan LKPP.")
    user.confirms_solved()
    bot.wait_state(number, "ditutup")

    steps = [(e["action"], e["sop_step"]) for e in bot.events(number)]
    assert ("lkpp_kewenangan_lpse", "4") in steps, steps
    lkpp.nothing_more()
    assert bot.stop() == 0
    assert "Traceback" not in bot.log()
