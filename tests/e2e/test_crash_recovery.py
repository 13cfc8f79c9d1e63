"""Branch (e): SIGKILL at three points of a flow, then a restart: nothing lost, nothing twice.

1. In the middle of ``/lapor``: the conversation and its draft are in the database.
2. With the escalation queued while the mail server is down: the outbox row survives and is
   sent once when both are back.
3. With LKPP's answer arriving while the bot is dead: it waits unread in the mailbox and is
   taken once.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.botapi import BotApiServer
from tests.support.mailservers import ImapTestServer, SmtpTestServer

from .actors import Lkpp, Staff, User
from .harness import BotProcess, running_bot


@pytest.fixture
def bot(
    tmp_path: Path, botapi: BotApiServer, smtp_server: SmtpTestServer, imap_server: ImapTestServer
):  # type: ignore[no-untyped-def]
    """The bot retrying mail every second, so a test waits for recovery, not for back-off."""
    with running_bot(
        tmp_path, botapi, smtp_server, imap_server,
        OUTBOX_RETRY_BASE_SECONDS="1", OUTBOX_RETRY_MAX_SECONDS="2",
        IMAP_RECONNECT_MAX_SECONDS="2",
    ) as process:  # fmt: skip
        yield process


def _report_step(bot: BotProcess) -> str:
    rows = bot.query("SELECT state FROM conversation_states")
    return rows[0]["state"] if rows else ""


def _wait_until(condition: Callable[[], bool], within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


def test_killed_three_times_in_one_flow_loses_nothing_and_repeats_nothing(
    bot: BotProcess, botapi: BotApiServer, user: User, staff: Staff, lkpp: Lkpp
) -> None:
    # 1. Killed while the user is half-way through the report.
    bot.start()
    user.say("/lapor")
    user.expect("Jenis laporan")
    user.press("Permintaan Layanan")
    user.expect("Peran Anda")
    user.press("Pokja/Pejabat Pengadaan")
    user.expect("Aplikasi/modul")
    user.press("SPSE (Aplikasi SPSE 4.5)")
    user.expect("Kode tender/paket")
    user.say("87654321")
    user.expect("Kode/pesan error")
    user.press("Lewati")
    user.expect("Judul singkat")
    before = _report_step(bot)
    user.say("Perpanjangan jadwal tender tertolak")
    user.expect("Deskripsi")
    _wait_until(lambda: _report_step(bot) != before)  # written right after the answer
    bot.kill()

    bot.start()
    user.say("Jadwal tidak dapat diperpanjang karena tombol simpan tidak aktif.")
    user.expect("Bagian deskripsi diterima")
    user.press("Lanjut ➡️")
    user.expect("Tingkat urgensi")
    user.press("Tidak Mendesak")
    user.expect("Dampak")
    user.press("Sedang")
    user.expect("Tangkapan layar")
    user.press("✅ Selesai unggah")
    user.expect("Nama kontak")
    user.say("Rina Pokja")
    user.expect("Email")
    user.say("rina@batangkab.go.id")
    user.expect("Nomor telepon")
    user.press("Lewati")
    user.expect("Ringkasan")
    user.press("✅ Kirim")
    number = user.expect("nomor tiket").text or ""
    number = number.split("nomor tiket ", 1)[1].split(".", 1)[0]
    (ticket,) = bot.query("SELECT * FROM tickets")
    assert ticket["number"] == number
    assert ticket["title"] == "Perpanjangan jadwal tender tertolak"
    assert ticket["package_code"] == "87654321"
    assert ticket["contact_name"] == "Rina Pokja"

    # 2. Killed with the escalation queued and the mail server down.
    staff.take(number)
    lkpp.smtp.stop()
    staff.escalate(number)
    bot.wait_state(number, "eskalasi")
    queued = bot.query("SELECT state, attempts FROM mail_outbox")
    assert [row["state"] for row in queued] != ["terkirim"], queued
    bot.kill()
    lkpp.smtp.restart()
    bot.start()
    escalation = lkpp.receive(kind=f"#{number}")
    bot.wait_event(number, "eskalasi_terkirim")

    # 3. Killed; LKPP answers while the bot is dead; the answer is taken once after restart.
    bot.kill()
    lkpp.reply(escalation, "#SELESAI\nJadwal sudah dapat diperpanjang, silakan dicoba kembali.")
    bot.start()
    staff.expect(f"Email Helpdesk LKPP untuk tiket {number}")
    bot.wait_state(number, "lkpp_selesai")
    bot.stop()  # a clean stop and start: everything settled stays settled
    bot.start()
    botapi.wait_idle_sync(timeout=10, settle=2.0)

    # Nothing lost, nothing twice.
    assert [row["number"] for row in bot.query("SELECT number FROM tickets")] == [number]
    actions = Counter(e["action"] for e in bot.events(number))
    for action in ("lapor", "eskalasi", "eskalasi_terkirim", "balasan_lkpp_diterima",
                   "lkpp_selesai"):  # fmt: skip
        assert actions[action] == 1, (action, actions)
    assert len(lkpp.smtp.messages) == 1
    lkpp.nothing_more()
    staff_texts = [m.get("text") or "" for m in botapi.messages(staff.chat_id)]
    assert sum(f"Email Helpdesk LKPP untuk tiket {number}" in t for t in staff_texts) == 1
    assert sum(t.startswith(f"🎫 {number}") for t in staff_texts) == 1  # one card, edited
    inbox = bot.query("SELECT state FROM mail_inbox")
    assert len(inbox) == 1
    assert bot.query("SELECT state FROM mail_outbox")[0]["state"] == "terkirim"
    assert bot.stop() == 0
