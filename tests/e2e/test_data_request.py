"""Branch (c): LKPP asks for more data, the user answers, LKPP solves, the user reopens once."""

from __future__ import annotations

from datetime import datetime

from tests.support.botapi import BotApiServer
from tests.support.mailservers import CapturedMessage

from .actors import Lkpp, Staff, User
from .harness import BotProcess

PHOTO = b"\x89PNG\r\n\x1a\n" + b"layar riwayat penawaran" * 30


def _user_sends_data(
    bot: BotProcess,
    user: User,
    staff: Staff,
    lkpp: Lkpp,
    number: str,
    text: str,
    photo: bytes | None = None,
) -> CapturedMessage:
    """Steps 8-9: the user answers LKPP's request, staff forward it; the email LKPP gets."""
    bot.wait_state(number, "menunggu_data_pengguna")
    user.say(text)
    user.expect("1 pesan, 0 lampiran")
    if photo is not None:
        user.photo(photo)
        user.expect("1 pesan, 1 lampiran")
    user.press("📤 Kirim data")
    user.expect("sudah diterima")
    bot.wait_state(number, "data_pengguna_diterima")
    staff.press("📤 Teruskan ke LKPP", number)
    staff.told(f"Data tambahan tiket {number} diteruskan ke LKPP")
    return lkpp.receive(kind=number)


def test_data_request_forwarded_then_progress_solved_reopened_and_closed(
    bot: BotProcess, botapi: BotApiServer, user: User, staff: Staff, lkpp: Lkpp
) -> None:
    bot.start()
    number = user.report("Dokumen penawaran tidak terkirim")
    staff.take(number)
    staff.escalate(number)
    escalation = lkpp.receive(kind=f"#{number}")
    bot.wait_state(number, "eskalasi")

    # Step 5-6: an untagged reply in Indonesian; the bot proposes the class, staff confirm it.
    asked = lkpp.reply(
        escalation,
        "Selamat siang,\n\nUntuk penelusuran lebih lanjut, mohon dilengkapi data berikut: "
        "tangkapan layar riwayat penawaran dan NPWP penyedia.\n\nTerima kasih.\nHelpdesk LKPP",
    )
    notice = staff.expect(f"Email Helpdesk LKPP untuk tiket {number}")
    assert "Usulan kelas: Minta data tambahan, langkah 6" in (notice.text or "")
    assert bot.state(number) == "eskalasi"  # nothing applied before staff confirm
    staff.press("Minta data", f"tiket {number}")
    staff.told("Kelas dikonfirmasi")
    bot.wait_state(number, "lkpp_minta_data")

    # Step 7: passed on to the user, who answers with text and a photo (step 8).
    staff.press("Teruskan ke pengguna", f"tiket {number}")
    request = user.expect("Permintaan data tambahan")
    assert "NPWP penyedia" in (request.text or "")
    # Step 9: staff forward it; the 5-minute clock runs from the data's arrival to delivery.
    data = _user_sends_data(bot, user, staff, lkpp, number, "NPWP kami 01.234.567.8-901.000",
                            PHOTO)  # fmt: skip
    assert str(data.message["In-Reply-To"]).strip() == asked  # in LKPP's thread, under its request
    assert escalation.message_id in str(data.message["References"])
    assert "01.234.567.8-901.000" in data.message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert [p.get_content() for p in data.message.iter_attachments()] == [PHOTO]
    arrived = datetime.fromisoformat(bot.wait_event(number, "pengguna_kirim_data")["at"])
    delivered = datetime.fromisoformat(bot.wait_event(number, "data_terkirim")["at"])
    assert (delivered - arrived).total_seconds() < 5 * 60
    (forward,) = bot.query(
        "SELECT d.state FROM deadlines d JOIN tickets t ON t.id = d.ticket_id "
        "WHERE t.number = ? AND d.clock = 'teruskan_data'",
        (number,),
    )
    assert forward["state"] == "met"

    # Step 6 again, tagged: applied at once, and the user reads LKPP's words without "#data:".
    lkpp.reply(data, "#data: Mohon kirimkan juga NIB penyedia.")
    tagged = staff.expect("Mohon kirimkan juga NIB penyedia")
    assert "#data" not in (tagged.text or "").lower()
    bot.wait_state(number, "lkpp_minta_data")
    staff.press("Teruskan ke pengguna", "NIB penyedia")
    again = user.expect("NIB penyedia")
    assert "Mohon kirimkan juga NIB penyedia." in (again.text or "")
    assert "#data" not in (again.text or "").lower()
    more = _user_sends_data(bot, user, staff, lkpp, number, "NIB kami 9120001234567")
    assert "9120001234567" in more.message.get_body(("plain",)).get_content()  # type: ignore[union-attr]

    # Steps 12 and 13: progress, then the solution, tagged; staff pass the solution on.
    lkpp.reply(data, "#PROGRES\nData sudah kami terima dan sedang ditelusuri tim teknis.")
    progress = staff.expect("sedang ditelusuri tim teknis")
    assert "#PROGRES" not in (progress.text or "")  # the class is shown as a label instead
    bot.wait_event(number, "lkpp_progres")
    lkpp.reply(data, "#SELESAI\nRiwayat penawaran sudah dipulihkan, silakan cek kembali.")
    staff.expect("sudah dipulihkan")
    bot.wait_state(number, "lkpp_selesai")
    staff.press("Teruskan ke pengguna", "sudah dipulihkan")
    solved = user.expect("oleh Helpdesk LKPP")
    assert "Riwayat penawaran sudah dipulihkan" in (solved.text or "")
    assert "#SELESAI" not in (solved.text or "")  # LKPP's words, without our protocol

    # The user is not satisfied: reopened with a reason, then solved by the LPSE and closed.
    user.press("❌ Belum selesai")
    user.expect("Tuliskan apa yang masih belum beres")
    user.say("Riwayat muncul, tetapi dokumen <b>harga</b> masih kosong.")
    user.expect("dibuka kembali")
    bot.wait_state(number, "ditangani")
    staff.expect("dokumen <b>harga</b> masih kosong")  # shown as typed, not as markup
    staff.solve(number, "Dokumen harga diunggah ulang bersama pengguna.")
    user.expect("Dokumen harga diunggah ulang")
    user.confirms_solved()
    bot.wait_state(number, "ditutup")

    steps = [(e["action"], e["sop_step"]) for e in bot.events(number)]
    for expected in [("lkpp_minta_data", "6"), ("teruskan_permintaan", "7"),
                     ("pengguna_kirim_data", "8"), ("teruskan_data", "9"),
                     ("lkpp_progres", "12/14"), ("lkpp_selesai", "13")]:  # fmt: skip
        assert expected in steps, (expected, steps)
    lkpp.nothing_more()
    assert bot.stop() == 0
    assert "Traceback" not in bot.log()
