"""/lapor through python-telegram-bot's real HTTP stack against the local Bot API server."""

from __future__ import annotations

from pathlib import Path

from bot.domain.sop import State
from bot.storage.drafts import REPORT, DraftStore
from tests.support.botapi import ApiCall, BotApiServer
from tests.support.clock import FakeClock
from tests.support.user_app_fixtures import (  # noqa: F401 - fixtures
    BUDI,
    UserChat,
    bot_api_fixture,
    running_bot,
    user_bot_fixture,
)

STAFF_CHAT = -1001234567890
NASTY = "<b>tebal</b> & <i>miring</i> *bintang* _garis_ `kode` [tautan](http://x) 😀"


async def walk_to_title(u: UserChat) -> ApiCall:
    """From /lapor to the title question (returned)."""
    u.say("/lapor")
    await u.reply("Jenis laporan")
    u.press("Permasalahan")
    await u.reply("Peran Anda")
    u.press("Penyedia")
    await u.reply("Aplikasi/modul")
    u.press("SPSE (Aplikasi SPSE 4.5)")
    await u.reply("Kode tender/paket")
    u.say("1234-5678")
    await u.reply("Kode/pesan error")
    u.say("ERR-500")
    return await u.reply("Judul singkat")


async def walk_title_to_summary(
    u: UserChat, title: str = "Gagal unggah", description: str = "Muncul error 500."
) -> str:
    u.say(title)
    await u.reply("Deskripsi")
    return await walk_description_to_summary(u, description)


async def walk_description_to_summary(u: UserChat, description: str) -> str:
    """From the description question to the summary; returns everything sent meanwhile."""
    u.say(description)
    await u.reply("Bagian deskripsi diterima")
    u.press("Lanjut ➡️")
    await u.reply("Tingkat urgensi")
    u.press("Mendesak")
    await u.reply("Dampak")
    u.press("Besar")
    await u.reply("Tangkapan layar")
    u.press("✅ Selesai unggah")
    await u.reply("Nama kontak")
    u.press("Pakai nama: Budi Santoso")
    await u.reply("Email")
    u.say("budi@contoh.co.id")
    await u.reply("Nomor telepon")
    mark = u.api.mark()
    u.say("0812-3456-7890")
    await u.with_button("✅ Kirim")
    summary = u.texts_since(mark)
    assert "Ringkasan laporan" in summary
    return summary


async def test_start_shows_welcome_with_lpse_name_and_menu(user_bot: UserChat):
    user_bot.say("/start")
    call = await user_bot.reply("Selamat datang, Budi")
    assert "LPSE Kabupaten Batang" in (call.text or "")
    assert call.message_id is not None
    assert user_bot.buttons(call.message_id) == [
        "📝 Lapor masalah",
        "📋 Tiket saya",
        "❓ Bantuan",
        "🔎 Cari jawaban (FAQ)",
    ]


async def test_the_whole_intake_creates_a_ticket_and_tells_the_number(user_bot: UserChat):
    u = user_bot
    u.say("/start")
    await u.reply("Selamat datang")
    u.press("📝 Lapor masalah")
    await walk_to_title(u)
    summary = await walk_title_to_summary(u)
    for expected in ("Permasalahan", "Penyedia", "SPSE (Aplikasi SPSE 4.5)", "12345678",
                     "ERR-500", "Gagal unggah", "Mendesak / Besar", "Tinggi", "Budi Santoso",
                     "budi@contoh.co.id", "081234567890"):  # fmt: skip
        assert expected in summary
    u.press("✅ Kirim")
    created = await u.reply("nomor tiket")
    assert "BTG-2026-00001" in (created.text or "")
    assert "Apa selanjutnya" in (created.text or "")
    card = await u.api.wait_for(
        lambda c: "BTG-2026-00001" in (c.text or ""), chat_id=STAFF_CHAT, timeout=5
    )
    assert card.ok
    ticket = await u.services.workflow.get("BTG-2026-00001")
    assert ticket.state is State.NEW
    assert ticket.priority == "tinggi"
    assert ticket.package_code == "12345678"
    assert ticket.contact.phone == "081234567890"
    assert ticket.user_chat_id == BUDI["id"]
    assert await DraftStore(u.services.db, u.clock).get(u.chat_id, REPORT) is None


async def test_html_and_markdown_in_every_free_text_field_arrive_intact(user_bot: UserChat):
    u = user_bot
    u.say("/lapor")
    await u.reply("Jenis laporan")
    u.press("Usulan")
    await u.reply("Peran Anda")
    u.press("Lainnya")
    await u.reply("Aplikasi/modul")
    u.press("Lainnya…")
    await u.reply("Tuliskan nama aplikasi")
    u.say(f"Aplikasi {NASTY}")
    await u.reply("Kode tender/paket")
    u.press("Lewati")
    await u.reply("Kode/pesan error")
    u.say(f"Error {NASTY}")
    await u.reply("Judul singkat")
    u.say(f"Judul {NASTY}")
    await u.reply("Deskripsi")
    u.say(f"Deskripsi {NASTY}")
    await u.reply("Bagian deskripsi diterima")
    u.press("Lanjut ➡️")
    await u.reply("Tingkat urgensi")
    u.press("Tidak Mendesak")
    await u.reply("Dampak")
    u.press("Kecil")
    await u.reply("Tangkapan layar")
    u.photo(caption=f"Keterangan {NASTY}")
    await u.reply("diterima")
    u.press("✅ Selesai unggah")
    await u.reply("Nama kontak")
    u.say(f"Nama {NASTY}")
    await u.reply("Email")
    u.say("budi@contoh.co.id")
    await u.reply("Nomor telepon")
    u.press("Lewati")
    summary = await u.reply("Ringkasan laporan")
    for field in ("Aplikasi", "Error", "Judul", "Deskripsi", "Keterangan", "Nama"):
        assert f"{field} {NASTY}" in (summary.text or "")
    u.press("✅ Kirim")
    await u.reply("nomor tiket")
    ticket = await u.services.workflow.get("BTG-2026-00001")
    assert ticket.application == f"Aplikasi {NASTY}"
    assert ticket.error_code == f"Error {NASTY}"
    assert ticket.title == f"Judul {NASTY}"
    assert ticket.description.startswith(f"Deskripsi {NASTY}")
    assert f"Keterangan {NASTY}" in ticket.description
    assert ticket.contact.name == f"Nama {NASTY}"
    assert ticket.priority == "rendah"
    assert len(ticket.attachments) == 1


async def test_a_4000_character_description_arrives_whole(user_bot: UserChat):
    description = ("Baris <uraian> & detail. " * 200)[:4000]
    assert len(description) == 4000
    await walk_to_title(user_bot)
    summary = await walk_title_to_summary(user_bot, description=description)
    user_bot.press("✅ Kirim")
    await user_bot.reply("nomor tiket")
    ticket = await user_bot.services.workflow.get("BTG-2026-00001")
    assert ticket.description == description.rstrip()  # trimmed, as Telegram clients do
    assert "Ringkasan laporan" in summary


async def test_a_description_in_several_messages_is_joined(user_bot: UserChat):
    await walk_to_title(user_bot)
    user_bot.say("Judul")
    await user_bot.reply("Deskripsi")
    user_bot.say("a" * 4000)
    await user_bot.reply("(4.000 karakter)")
    user_bot.say("b" * 3000)
    await user_bot.reply("(7.001 karakter)")
    user_bot.say("c" * 1500)
    too_long = await user_bot.reply("Terlalu panjang")
    assert "8.502 karakter, paling banyak 8.000" in (too_long.text or "")
    draft = await DraftStore(user_bot.services.db, user_bot.clock).get(user_bot.chat_id, REPORT)
    assert draft is not None
    assert draft["deskripsi"] == "a" * 4000 + "\n" + "b" * 3000


async def test_invalid_package_code_and_email_are_asked_again(user_bot: UserChat):
    u = user_bot
    u.say("/lapor")
    await u.reply("Jenis laporan")
    u.press("Permasalahan")
    await u.reply("Peran Anda")
    u.press("PPK")
    await u.reply("Aplikasi/modul")
    u.press("SiRUP")
    await u.reply("Kode tender/paket")
    u.say("abc<12>")
    refused = await u.reply("tidak valid")
    assert "abc&lt;12&gt;" in (refused.params.get("text") or "")
    u.say("99887766")
    await u.reply("Kode/pesan error")
    u.press("Lewati")
    await u.reply("Judul singkat")
    u.say("x" * 121)
    await u.reply("Terlalu panjang")
    await walk_title_to_summary_with_bad_email(u)


async def walk_title_to_summary_with_bad_email(u: UserChat) -> None:
    u.say("Akun terkunci")
    await u.reply("Deskripsi")
    u.say("Tidak bisa masuk.")
    await u.reply("Bagian deskripsi diterima")
    u.press("Lanjut ➡️")
    await u.reply("Tingkat urgensi")
    u.press("Mendesak")
    await u.reply("Dampak")
    u.press("Kecil")
    await u.reply("Tangkapan layar")
    u.press("✅ Selesai unggah")
    await u.reply("Nama kontak")
    u.say("Budi")
    await u.reply("Email")
    u.say("budi@@contoh")
    await u.reply("tidak valid")
    u.say("budi at contoh.co.id")
    await u.reply("tidak valid")
    u.say("budi@contoh.co.id")
    await u.reply("Nomor telepon")
    u.say("12")
    await u.reply("tidak valid")
    u.press("Lewati")
    summary = await u.reply("Ringkasan laporan")
    assert "99887766" in (summary.text or "")
    assert "SiRUP" in (summary.text or "")


async def test_cancel_works_at_several_steps(user_bot: UserChat):
    u = user_bot
    drafts = DraftStore(u.services.db, u.clock)
    u.say("/lapor")
    await u.reply("Jenis laporan")
    u.say("/batal")
    await u.reply("Laporan dibatalkan")
    assert await drafts.get(u.chat_id, REPORT) is None
    await walk_to_title(u)
    u.say("/batal")
    await u.reply("Laporan dibatalkan")
    await walk_to_title(u)
    await walk_title_to_summary(u)
    u.press("✖️ Batal")
    await u.reply("Laporan dibatalkan")
    assert await drafts.get(u.chat_id, REPORT) is None
    assert await u.services.workflow.store.for_user(u.chat_id) == []
    u.say("/batal")
    await u.reply("Tidak ada yang sedang diisi")


async def test_photos_and_documents_are_attached_and_oversized_ones_refused(user_bot: UserChat):
    u = user_bot
    await walk_to_title(u)
    u.say("Judul")
    await u.reply("Deskripsi")
    u.say("Uraian")
    await u.reply("Bagian deskripsi diterima")
    u.press("Lanjut ➡️")
    await u.reply("Tingkat urgensi")
    u.press("Mendesak")
    await u.reply("Dampak")
    u.press("Sedang")
    await u.reply("Tangkapan layar")
    u.say("ini teks, bukan berkas")
    await u.reply("tidak dapat dilampirkan")
    u.photo(b"\x89PNG satu")
    await u.reply("(1 lampiran)")
    u.photo(b"\x89PNG dua")
    await u.reply("(2 lampiran)")
    u.document(b"%PDF isi", file_name="berita <acara>.pdf")
    await u.reply("(3 lampiran)")
    u.document(b"0" * (20 * 1024 * 1024 + 1), file_name="video-besar.mp4")
    big = await u.reply("terlalu besar")
    assert "20 MB" in (big.text or "")
    u.press("✅ Selesai unggah")
    await u.reply("Nama kontak")
    u.say("Budi")
    await u.reply("Email")
    u.say("budi@contoh.co.id")
    await u.reply("Nomor telepon")
    u.press("Lewati")
    summary = await u.reply("Ringkasan laporan")
    assert "3 berkas" in (summary.text or "")
    assert "berita <acara>.pdf" in (summary.text or "")
    u.press("✅ Kirim")
    await u.reply("nomor tiket")
    ticket = await u.services.workflow.get("BTG-2026-00001")
    names = [a.file_name for a in ticket.attachments]
    assert len(names) == 3
    assert names[2] == "berita <acara>.pdf"
    assert all(a.telegram_file_id for a in ticket.attachments)
    assert [a.mime_type for a in ticket.attachments][:2] == ["image/jpeg", "image/jpeg"]


async def test_edit_one_field_from_the_summary(user_bot: UserChat):
    u = user_bot
    await walk_to_title(u)
    await walk_title_to_summary(u)
    u.press("✏️ Ubah")
    await u.reply("Bagian mana")
    u.press("Email")
    await u.reply("Tuliskan alamat email")
    u.say("baru@contoh.co.id")
    summary = await u.reply("Ringkasan laporan")
    assert "baru@contoh.co.id" in (summary.text or "")
    u.press("✏️ Ubah")
    await u.reply("Bagian mana")
    u.press("Urgensi dan dampak")
    await u.reply("Tingkat urgensi")
    u.press("Tidak Mendesak")
    await u.reply("Dampak")
    u.press("Kecil")
    summary = await u.reply("Ringkasan laporan")
    assert "Rendah" in (summary.text or "")
    u.press("✅ Kirim")
    await u.reply("nomor tiket")
    ticket = await u.services.workflow.get("BTG-2026-00001")
    assert ticket.contact.email == "baru@contoh.co.id"
    assert ticket.priority == "rendah"


async def test_commands_mid_report_answer_and_keep_the_report(user_bot: UserChat):
    u = user_bot
    await walk_to_title(u)
    u.say("/tiket")
    await u.reply("belum punya tiket")
    where = await u.reply("Judul singkat")
    assert "langkah" in (where.text or "")
    u.say("/start")
    offer = await u.reply("sedang mengisi laporan")
    assert offer.message_id is not None
    assert u.buttons(offer.message_id) == ["▶️ Lanjutkan laporan", "✖️ Batalkan laporan"]
    u.press("▶️ Lanjutkan laporan")
    await u.reply("Tuliskan judul singkat")
    u.say("/apaini")
    await u.reply("Judul singkat")
    u.say("/start")
    await u.reply("sedang mengisi laporan")
    u.press("✖️ Batalkan laporan")
    await u.reply("Laporan dibatalkan")


async def test_a_button_of_an_earlier_step_says_where_the_report_stands(user_bot: UserChat):
    u = user_bot
    u.say("/lapor")
    first = await u.reply("Jenis laporan")
    u.press("Permasalahan")
    await u.reply("Peran Anda")
    assert first.message_id is not None
    u.api.callback(u.user, u.chat_id, first.message_id, "u:l:jenis:1", check=False)
    stale = await u.reply("sudah tidak berlaku")
    assert "Peran Anda" in (stale.text or "")
    await u.reply("Sebagai apa")
    u.say("bukan tombol")
    await u.reply("pilih dengan tombol")


async def test_a_restart_in_the_middle_continues_at_the_same_step(
    bot_api: BotApiServer, tmp_path: Path
):
    clock = FakeClock()
    data = tmp_path / "data"
    async with running_bot(bot_api, data, clock) as app:
        u = UserChat(bot_api, app, clock)
        await walk_to_title(u)
        u.say("Judul sebelum restart")
        await u.reply("Deskripsi")
        await bot_api.wait_idle()
    async with running_bot(bot_api, data, clock) as app:
        u = UserChat(bot_api, app, clock)
        u.say("Deskripsi sesudah restart")
        await u.reply("Bagian deskripsi diterima")
        u.press("Lanjut ➡️")
        await u.reply("Tingkat urgensi")
        u.press("Mendesak")
        await u.reply("Dampak")
        u.press("Besar")
        await u.reply("Tangkapan layar")
        u.document(b"%PDF", file_name="a.pdf")
        await u.reply("(1 lampiran)")
        await bot_api.wait_idle()
    async with running_bot(bot_api, data, clock) as app:
        u = UserChat(bot_api, app, clock)
        u.press("✅ Selesai unggah")
        await u.reply("Nama kontak")
        u.say("Budi")
        await u.reply("Email")
        u.say("budi@contoh.co.id")
        await u.reply("Nomor telepon")
        u.press("Lewati")
        await u.reply("Ringkasan laporan")
        u.press("✅ Kirim")
        await u.reply("nomor tiket")
        ticket = await u.services.workflow.get("BTG-2026-00001")
        assert ticket.title == "Judul sebelum restart"
        assert ticket.description == "Deskripsi sesudah restart"
        assert ticket.package_code == "12345678"
        assert [a.file_name for a in ticket.attachments] == ["a.pdf"]


async def test_a_lost_conversation_state_resumes_from_the_draft(
    bot_api: BotApiServer, tmp_path: Path
):
    """A crash before PTB wrote the state: the draft alone brings the user back."""
    clock = FakeClock()
    data = tmp_path / "data"
    async with running_bot(bot_api, data, clock) as app:
        u = UserChat(bot_api, app, clock)
        await walk_to_title(u)
        await bot_api.wait_idle()
    async with running_bot(bot_api, data, clock) as app:
        u = UserChat(bot_api, app, clock)
        async with u.services.db.transaction() as conn:
            await conn.execute("DELETE FROM conversation_states")
    async with running_bot(bot_api, data, clock) as app:
        u = UserChat(bot_api, app, clock)
        u.say("Judul yang tertahan")
        await u.reply("sedang mengisi laporan")
        u.press("▶️ Lanjutkan laporan")
        await u.reply("Tuliskan judul singkat")
        u.say("Judul sesudah pulih")
        await u.reply("Deskripsi")
        draft = await DraftStore(u.services.db, clock).get(u.chat_id, REPORT)
        assert draft is not None
        assert draft["judul"] == "Judul sesudah pulih"
        assert draft["step"] == "deskripsi"


async def test_pressing_kirim_twice_creates_one_ticket(user_bot: UserChat):
    u = user_bot
    await walk_to_title(u)
    await walk_title_to_summary(u)
    summary_id = u.newest_with("✅ Kirim")
    u.press("✅ Kirim")
    await u.reply("nomor tiket")
    u.api.callback(u.user, u.chat_id, summary_id, "u:l:ringkasan:kirim", check=False)
    await u.reply("sudah dikirim atau sudah tidak aktif")
    assert len(await u.services.workflow.store.for_user(u.chat_id)) == 1
