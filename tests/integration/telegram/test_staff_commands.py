"""Staff commands in the group, and refusals everywhere else, through the real HTTP stack."""

from __future__ import annotations

from datetime import date

import pytest
from telegram import BotCommandScopeAllPrivateChats, BotCommandScopeChat

from bot.domain.sop import Action, Actor, State
from bot.domain.ticket import Attachment
from bot.handlers.cards import cards_of
from tests.support.botapi import ApiCall
from tests.support.telegram_app_fixtures import (  # noqa: F401 - fixtures
    ADMIN_USER,
    OTHER_GROUP,
    OTHER_STAFF,
    OUTSIDER,
    STAFF_USER,
    StaffBot,
    bot_api_fixture,
    staff_bot_fixture,
)
from tests.support.tickets import STAFF, reported

STAFF_CHAT = -1001234567890


async def new_ticket(bot: StaffBot, **overrides: object) -> str:
    number = (await reported(bot.services, **overrides)).ticket.number
    await bot.staff_message("Status:")
    return number


async def reply_to(bot: StaffBot, text: str, contains: str) -> ApiCall:
    bot.command(text)
    return await bot.staff_message(contains)


async def test_antrian_groups_open_tickets_by_state_with_their_holder(staff_bot: StaffBot):
    first = await new_ticket(staff_bot)
    second = await new_ticket(staff_bot, title="Lupa kata sandi <admin>")
    await staff_bot.services.workflow.apply(second, Action.TAKE, Actor.STAFF, STAFF)
    call = await reply_to(staff_bot, "/antrian", "Antrian tiket terbuka")
    text = call.text or ""
    assert "(2)" in text
    assert text.index("Baru, menunggu diambil petugas") < text.index(first)
    assert text.index("Sedang ditangani petugas LPSE") < text.index(second)
    assert "Lupa kata sandi <admin>" in text
    assert "Sari (staf)" in text


async def test_tiket_shows_details_attachments_and_the_timeline(staff_bot: StaffBot):
    doc_id, _ = staff_bot.api.add_file(b"%PDF", "bukti <1>.pdf", "application/pdf")
    files = [Attachment(None, 0, "pengguna", "bukti <1>.pdf", "application/pdf", 4, doc_id)]
    number = await new_ticket(
        staff_bot, description="Uraian & <detail> *penting*", attachments=files
    )
    await staff_bot.api.wait_for("sendDocument", chat_id=STAFF_CHAT)
    wf = staff_bot.services.workflow
    await wf.apply(number, Action.TAKE, Actor.STAFF, STAFF)
    await wf.apply(number, Action.CANNOT_HANDLE, Actor.STAFF, STAFF)
    call = await reply_to(staff_bot, f"/tiket {number.lower()}", "Riwayat:")
    text = call.text or ""
    assert "Uraian & <detail> *penting*" in text
    assert "Lampiran (1)" in text
    assert "• bukti <1>.pdf (pengguna, 4 bita)" in text
    document = await staff_bot.api.wait_for("sendDocument", chat_id=STAFF_CHAT)
    assert document.params["document"] == doc_id
    replied = staff_bot.api.message(STAFF_CHAT, document.message_id or 0)
    assert replied is not None
    assert replied["reply_to_message"]["message_id"] == call.message_id
    assert "Selasa, 24 November 2026 09.00 WIB · langkah lapor · Laporan dibuat" in text
    assert "langkah 1 · Dinyatakan tidak dapat ditangani LPSE · Sari (staf)" in text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/tiket", "Cara pakai: /tiket <nomor>"),
        ("/tiket nomor-asal", "„nomor-asal” bukan nomor tiket."),
        ("/tiket BTG-2026-00099", "Tiket BTG-2026-00099 tidak ditemukan."),
        ("/ambil", "Cara pakai: /ambil <nomor>"),
        ("/ambil BTG-2026-00099", "Tiket BTG-2026-00099 tidak ditemukan."),
        ("/balas BTG-2026-00001", "Cara pakai: /balas <nomor> <teks>"),
        ("/selesai BTG-2026-00001", "Cara pakai: /selesai <nomor> <catatan>"),
        ("/eskalasi", "Cara pakai: /eskalasi <nomor>"),
        ("/prioritas BTG-2026-00001", "Cara pakai: /prioritas <nomor> <tinggi|menengah|rendah>"),
        ("/prioritas BTG-2026-00001 darurat", "Prioritas „darurat” tidak dikenal."),
        ("/catat BTG-2026-00001", "Cara pakai: /catat <nomor> <teks>"),
    ],
)
async def test_usage_errors_get_a_clear_message(staff_bot: StaffBot, text: str, expected: str):
    await new_ticket(staff_bot)
    call = await reply_to(staff_bot, text, expected)
    assert expected in (call.text or "")
    ticket = await staff_bot.services.workflow.get("BTG-2026-00001")
    assert ticket.state is State.NEW
    assert ticket.priority == "menengah"


async def test_ambil_takes_the_ticket_and_edits_the_card(staff_bot: StaffBot):
    number = await new_ticket(staff_bot)
    await reply_to(staff_bot, f"/ambil {number}", "diambil oleh Sari")
    ticket = await staff_bot.services.workflow.get(number)
    assert ticket.state is State.IN_PROGRESS
    assert ticket.assignee_id == STAFF_USER["id"]
    edit = await staff_bot.api.wait_for("editMessageText", chat_id=STAFF_CHAT)
    assert "Petugas: Sari" in (edit.text or "")


async def test_balas_relays_the_text_intact_to_the_ticket(staff_bot: StaffBot):
    number = await new_ticket(staff_bot)
    await staff_bot.services.workflow.apply(number, Action.TAKE, Actor.STAFF, STAFF)
    answer = "Coba <b>hapus</b> cache & *muat ulang*\nbaris dua 🙏"
    await reply_to(staff_bot, f"/balas {number} {answer}", "diteruskan ke pelapor")
    ticket = await staff_bot.services.workflow.get(number)
    assert ticket.id is not None
    last = await staff_bot.services.workflow.store.last_event(ticket.id)
    assert last is not None
    assert last.action is Action.REPLY_TO_USER
    assert last.details["text"] == answer


async def test_balas_on_a_new_ticket_takes_it_in_the_same_step(staff_bot: StaffBot):
    number = await new_ticket(staff_bot)
    await reply_to(staff_bot, f"/balas {number} Sedang kami periksa", "diteruskan ke pelapor")
    ticket = await staff_bot.services.workflow.get(number)
    assert ticket.state is State.IN_PROGRESS
    assert ticket.assignee_name == "Sari"
    assert ticket.id is not None
    events = await staff_bot.services.workflow.store.events(ticket.id)
    assert [e.action for e in events] == [Action.REPORT, Action.TAKE, Action.REPLY_TO_USER]


async def test_balas_on_a_closed_ticket_is_refused_in_indonesian(staff_bot: StaffBot):
    number = await new_ticket(staff_bot)
    wf = staff_bot.services.workflow
    await wf.apply(number, Action.SOLVE_LOCALLY, Actor.STAFF, STAFF, {"text": "beres"})
    await wf.apply(number, Action.USER_CONFIRMS, Actor.USER)
    call = await reply_to(staff_bot, f"/balas {number} halo", "tidak dapat dilakukan")
    assert "berstatus „Ditutup”" in (call.text or "")


async def test_selesai_solves_locally_with_the_note(staff_bot: StaffBot):
    number = await new_ticket(staff_bot)
    await reply_to(staff_bot, f"/selesai {number} Cache & cookie dibersihkan", "ditandai selesai")
    ticket = await staff_bot.services.workflow.get(number)
    assert ticket.state is State.SOLVED
    assert ticket.id is not None
    last = await staff_bot.services.workflow.store.last_event(ticket.id, (Action.SOLVE_LOCALLY,))
    assert last is not None
    assert last.details["text"] == "Cache & cookie dibersihkan"


async def test_eskalasi_records_cannot_handle_and_shows_the_draft(staff_bot: StaffBot):
    number = await new_ticket(staff_bot)
    call = await reply_to(staff_bot, f"/eskalasi {number}", "Draf email eskalasi")
    assert [b["text"] for b in call.buttons] == [
        "📤 Kirim eskalasi",
        "🎚 Ubah prioritas",
        "✖️ Batal eskalasi",
    ]
    assert number in (call.text or "")
    ticket = await staff_bot.services.workflow.get(number)
    assert ticket.state is State.CANNOT_HANDLE
    again = await reply_to(staff_bot, f"/eskalasi {number}", "Draf email eskalasi")
    assert again.message_id != call.message_id
    assert ticket.id is not None
    events = await staff_bot.services.workflow.store.events(ticket.id)
    assert [e.action for e in events].count(Action.CANNOT_HANDLE) == 1


async def test_prioritas_sets_the_level(staff_bot: StaffBot):
    number = await new_ticket(staff_bot)
    await reply_to(staff_bot, f"/prioritas {number} TINGGI", "diubah menjadi Tinggi")
    ticket = await staff_bot.services.workflow.get(number)
    assert ticket.priority == "tinggi"


async def test_catat_stores_an_internal_note(staff_bot: StaffBot):
    number = await new_ticket(staff_bot)
    await reply_to(staff_bot, f"/catat {number} LKPP telepon: <kirim> log", "Catatan untuk tiket")
    ticket = await staff_bot.services.workflow.get(number)
    assert ticket.id is not None
    last = await staff_bot.services.workflow.store.last_event(ticket.id)
    assert last is not None
    assert last.action is Action.NOTE
    assert last.details["text"] == "LKPP telepon: <kirim> log"
    assert ticket.state is State.NEW


async def test_bantuan_lists_the_commands(staff_bot: StaffBot):
    call = await reply_to(staff_bot, "/bantuan", "Perintah staf LPSE")
    commands = ("/antrian", "/tiket", "/ambil", "/balas", "/selesai", "/eskalasi", "/libur")
    for command in (*commands, "/laporan"):
        assert command in (call.text or "")


async def test_libur_lists_upcoming_non_working_days(staff_bot: StaffBot):
    call = await reply_to(staff_bot, "/libur", "Hari tidak bekerja mendatang")
    text = call.text or ""
    assert "Jumat, 25 Desember 2026" in text
    assert "Tambah" not in text


async def test_an_admin_adds_opens_and_removes_local_days(staff_bot: StaffBot):
    services = staff_bot.services
    staff_bot.command("/libur tambah 2026-12-01 Hari jadi <Kabupaten> & upacara", user=ADMIN_USER)
    await staff_bot.staff_message("ditambahkan")
    assert not services.calendar.is_working_day(date(2026, 12, 1))
    listing = await reply_to(staff_bot, "/libur", "Hari tidak bekerja mendatang")
    assert "Hari jadi <Kabupaten> & upacara" in (listing.text or "")
    staff_bot.command("/libur buka 2026-12-24 Cuti bersama dibatalkan", user=ADMIN_USER)
    await staff_bot.staff_message("ditetapkan sebagai hari kerja")
    assert services.calendar.is_working_day(date(2026, 12, 24))
    staff_bot.command("/libur hapus 2026-12-01", user=ADMIN_USER)
    await staff_bot.staff_message("dihapus")
    assert services.calendar.is_working_day(date(2026, 12, 1))
    staff_bot.command("/libur hapus 2026-12-02", user=ADMIN_USER)
    await staff_bot.staff_message("Tidak ada pengaturan lokal")
    staff_bot.command("/libur tambah 2026-13-45 salah", user=ADMIN_USER)
    await staff_bot.staff_message("tidak valid; gunakan format YYYY-MM-DD")


async def test_a_staff_member_who_is_not_admin_cannot_change_days(staff_bot: StaffBot):
    await reply_to(staff_bot, "/libur tambah 2026-12-01 Libur", "hanya admin LPSE")
    assert staff_bot.services.calendar.is_working_day(date(2026, 12, 1))
    closures, openings = await staff_bot.services.workflow.store.calendar_overrides()
    assert closures == {}
    assert openings == {}


STAFF_ONLY = ["antrian", "ambil", "balas", "selesai", "eskalasi", "prioritas", "catat", "libur"]


@pytest.mark.parametrize("command", [*STAFF_ONLY, "tiket", "bantuan"])
async def test_staff_commands_in_another_group_are_refused_without_effect(
    staff_bot: StaffBot, command: str
):
    number = await new_ticket(staff_bot)
    staff_bot.api.group_message(OTHER_GROUP, OUTSIDER, f"/{command} {number} tinggi teks")
    refusal = await staff_bot.api.wait_for("sendMessage", chat_id=OTHER_GROUP)
    assert "hanya dapat digunakan di grup staf LPSE" in (refusal.text or "")
    await staff_bot.api.wait_idle()
    ticket = await staff_bot.services.workflow.get(number)
    assert ticket.state is State.NEW
    assert ticket.priority == "menengah"
    assert ticket.id is not None
    assert len(await staff_bot.services.workflow.store.events(ticket.id)) == 1
    assert len(staff_bot.api.sent(OTHER_GROUP)) == 1


@pytest.mark.parametrize("command", STAFF_ONLY)
async def test_staff_commands_in_private_are_refused_without_effect(
    staff_bot: StaffBot, command: str
):
    number = await new_ticket(staff_bot)
    staff_bot.api.user_message(OUTSIDER, f"/{command} {number} tinggi teks")
    refusal = await staff_bot.api.wait_for("sendMessage", chat_id=OUTSIDER["id"])
    assert "hanya dapat digunakan di grup staf LPSE" in (refusal.text or "")
    await staff_bot.api.wait_idle()
    ticket = await staff_bot.services.workflow.get(number)
    assert ticket.state is State.NEW
    assert ticket.id is not None
    assert len(await staff_bot.services.workflow.store.events(ticket.id)) == 1


async def test_command_menus_are_set_per_scope(staff_bot: StaffBot):
    private = [c["command"] for c in staff_bot.api.commands(BotCommandScopeAllPrivateChats())]
    staff = [c["command"] for c in staff_bot.api.commands(BotCommandScopeChat(STAFF_CHAT))]
    assert "lapor" in private
    assert "ambil" not in private
    assert staff == [
        "antrian",
        "tiket",
        "ambil",
        "balas",
        "selesai",
        "eskalasi",
        "prioritas",
        "catat",
        "libur",
        "faq",
        "cari",
        "laporan",
        "kesehatan",
        "dasbor",
        "bantuan",
    ]


async def test_an_unchanged_card_is_not_edited_again(staff_bot: StaffBot):
    """Each edit spends one of the group's 20 messages a minute: skip one that changes nothing."""
    number = await new_ticket(staff_bot)
    mark = staff_bot.api.mark()
    await reply_to(staff_bot, f"/prioritas {number} menengah", "diubah menjadi Menengah")
    await staff_bot.api.wait_idle()
    assert not [c for c in staff_bot.api.calls if c.seq > mark and c.method == "editMessageText"]


async def test_an_unchanged_card_after_a_restart_is_not_an_error(staff_bot: StaffBot):
    number = await new_ticket(staff_bot)
    cards_of(staff_bot.services)._shown.clear()  # what a restart forgets
    await reply_to(staff_bot, f"/prioritas {number} menengah", "diubah menjadi Menengah")
    refused = await staff_bot.api.wait_for("editMessageText", ok=False)
    assert "message is not modified" in (refused.description or "")
    await staff_bot.api.wait_idle()
    cards = [c for c in staff_bot.api.sent(STAFF_CHAT) if "Status:" in (c.text or "")]
    assert len(cards) == 1


async def test_a_failing_handler_gets_an_indonesian_apology(staff_bot: StaffBot):
    await new_ticket(staff_bot)
    staff_bot.api.fail_next("sendMessage", 400, "Bad Request: simulated failure")
    call = await reply_to(staff_bot, "/antrian", "Maaf, terjadi kesalahan")
    assert "Kesalahan sudah dicatat" in (call.text or "")


async def test_ambil_of_a_ticket_someone_holds_names_the_holder(staff_bot: StaffBot):
    number = await new_ticket(staff_bot)
    await reply_to(staff_bot, f"/ambil {number}", "diambil oleh Sari")
    staff_bot.command(f"/ambil {number}", user=OTHER_STAFF)
    refusal = await staff_bot.staff_message("Sudah dilakukan oleh Sari")
    assert "tiket sudah diambil petugas lain" in (refusal.text or "")
    assert (await staff_bot.services.workflow.get(number)).assignee_name == "Sari"
