"""strip_quotes: only what LKPP newly wrote survives; quoted history and signatures go."""

from __future__ import annotations

import time

import pytest

from bot.mail.quotes import strip_quotes

ESCALATION = "Mohon informasi dan bantuan penanganannya.\nKode paket: 10234567"


def test_plain_text_is_unchanged() -> None:
    text = "Akun sudah kami buka.\n\nSilakan dicoba kembali."
    assert strip_quotes(text) == text


def test_crlf_and_blank_runs_are_tidied() -> None:
    assert strip_quotes("Satu  \r\n\r\n\r\n\r\nDua\r\n\r\n") == "Satu\n\nDua"


def test_empty_and_only_quote() -> None:
    assert strip_quotes("") == ""
    assert strip_quotes("> semua kutipan\n> saja") == ""


@pytest.mark.parametrize(
    "attribution",
    [
        "On Mon, Jan 5, 2026 at 9:05 AM LPSE Batang <lpse@batangkab.go.id> wrote:",
        "On Mon, Jan 5, 2026 at 9:05 AM LPSE Batang <lpse@batangkab.go.id>\nwrote:",
        "On Thursday, January 8, 2026 at 10:00:00 AM GMT+7, LPSE\nKabupaten Batang\n"
        "<lpse@batangkab.go.id> wrote:",
        "Pada tanggal Sen, 5 Jan 2026 pukul 09.12 LPSE Batang <lpse@batangkab.go.id> menulis:",
        "Pada tanggal Sen, 5 Jan 2026 pukul 09.12 LPSE Batang <\nlpse@batangkab.go.id> menulis:",
        "Pada 05/01/26 13.40, LPSE Kabupaten Batang menulis:",
        "On 5 Jan 2026, at 15:00, LPSE Kabupaten Batang <lpse@batangkab.go.id> wrote:",
    ],
)
def test_top_posted_reply_with_attribution(attribution: str) -> None:
    quoted = "\n".join(f"> {line}" for line in ESCALATION.splitlines())
    text = f"Akun sudah kami buka.\n\n{attribution}\n\n{quoted}\n"
    assert strip_quotes(text) == "Akun sudah kami buka."


def test_attribution_without_quote_marks_cuts_everything_below() -> None:
    text = f"Sudah selesai.\n\nOn Mon, 5 Jan 2026, LPSE wrote:\n{ESCALATION}"
    assert strip_quotes(text) == "Sudah selesai."


def test_inline_reply_keeps_every_answer() -> None:
    text = (
        "On 05/01/2026 09.05, LPSE Kabupaten Batang wrote:\n"
        "> Nomor tiket: BTG-2026-00043\n"
        "\n"
        "Nomor tiket sudah kami catat.\n"
        "\n"
        "> Permasalahan: gagal upload dokumen penawaran\n"
        "> Kode paket: 10234567\n"
        "\n"
        "Mohon dilengkapi ukuran file.\n"
        "\n"
        "> Terima kasih.\n"
        "\n"
        "Salam,\nHelpdesk LKPP\n"
    )
    assert strip_quotes(text) == (  # the signature after "Salam," goes too
        "Nomor tiket sudah kami catat.\n\nMohon dilengkapi ukuran file.\n\nSalam,"
    )


def test_bottom_posted_reply() -> None:
    assert strip_quotes("> pertanyaan\n> lanjutan\n\nJawaban di bawah.") == "Jawaban di bawah."


@pytest.mark.parametrize(
    "separator",
    [
        "-----Original Message-----",
        "----- Original Message -----",
        "-----Pesan Asli-----",
        "----- Pesan Asli -----",
        "________________________________",
    ],
)
def test_separators_cut(separator: str) -> None:
    text = f"Sedang kami proses.\n\n{separator}\nFrom: LPSE\n\n{ESCALATION}"
    assert strip_quotes(text) == "Sedang kami proses."


@pytest.mark.parametrize(
    "block",
    [
        "From: LPSE <lpse@batangkab.go.id>\nSent: Monday, January 5, 2026 9:12 AM\n"
        "To: Helpdesk LKPP\nSubject: [LPSE-BTG #BTG-2026-00042] Akun",
        "Dari: LPSE <lpse@batangkab.go.id>\nDikirim: Senin, 05 Januari 2026 09.12\n"
        "Kepada: Helpdesk LKPP\nPerihal: [LPSE-BTG #BTG-2026-00042] Akun",
        "Dari: LPSE <lpse@batangkab.go.id>\nTanggal: Senin, 5 Januari 2026 14.20\n"
        "Kepada: Helpdesk LKPP\nSubjek: [LPSE-BTG #BTG-2026-00042] Akun",
        "**From:** LPSE <lpse@batangkab.go.id>  \n**Sent:** Monday  \n**To:** Helpdesk  \n"
        "**Subject:** Akun",
        "From: LPSE\nDate: Monday\nTo: Helpdesk\nCc: Kepala LPSE\nSubject: Akun",
    ],
)
def test_outlook_header_blocks_cut(block: str) -> None:
    text = f"Merupakan kewenangan LPSE.\n\nSalam,\nHelpdesk LKPP\n\n{block}\n\n{ESCALATION}"
    assert strip_quotes(text) == "Merupakan kewenangan LPSE.\n\nSalam,"


def test_single_dari_line_in_body_is_not_a_header_block() -> None:
    text = "Mohon dikirimkan data berikut:\nDari: PT Maju Jaya\nNPWP: 01.234.567.8-901.000"
    assert strip_quotes(text) == text


def test_html2text_rule_above_header_block_is_cut() -> None:
    text = "Mohon dikirimkan screenshot.\n\n* * *\n\nFrom: LPSE\nSent: Monday\nTo: Helpdesk\n"
    assert strip_quotes(text) == "Mohon dikirimkan screenshot."


def test_rule_in_body_is_kept() -> None:
    text = "Langkah 1\n\n* * *\n\nLangkah 2"
    assert strip_quotes(text) == text


@pytest.mark.parametrize("delimiter", ["-- ", "--"])
def test_signature_delimiter(delimiter: str) -> None:
    text = f"Sudah selesai.\n{delimiter}\nHelpdesk LKPP\nTelp. 144"
    assert strip_quotes(text) == "Sudah selesai."


def test_double_dash_inside_a_line_is_not_a_signature() -> None:
    text = "Versi lama -- tidak didukung lagi.\nSilakan perbarui."
    assert strip_quotes(text) == text


@pytest.mark.parametrize(
    "mobile",
    [
        "Sent from my iPhone",
        "Sent from my Galaxy",
        "Sent from Outlook for Android",
        "Get Outlook for iOS",
        "Dikirim dari iPhone saya",
        "Dikirim dari Yahoo Mail di Android",
        "Terkirim dari ponsel cerdas Samsung Galaxy saya.",
    ],
)
def test_mobile_signatures(mobile: str) -> None:
    text = f"Mohon informasi versi Apendo.\n\n{mobile}\n\n> kutipan"
    assert strip_quotes(text) == "Mohon informasi versi Apendo."


def test_long_sentence_starting_like_a_signature_is_kept() -> None:
    text = (
        "Dikirim dari alamat email resmi instansi, dokumen penawaran harus dilengkapi "
        "dengan surat kuasa direktur dan salinan akta pendirian perusahaan."
    )
    assert strip_quotes(text) == text


@pytest.mark.parametrize(
    "marker",
    [
        "---------- Forwarded message ---------",
        "-------- Forwarded Message --------",
        "-------- Pesan Terusan --------",
        "---------- Pesan terusan ---------",
        "Begin forwarded message:",
    ],
)
def test_forward_marker_below_text_is_a_quote(marker: str) -> None:
    text = (
        f"Sudah kami teruskan ke tim.\n\n{marker}\nFrom: Tim\nDate: x\nSubject: y\nTo: z\n\nIsi."
    )
    assert strip_quotes(text) == "Sudah kami teruskan ke tim."


def test_forward_marker_at_top_is_the_body() -> None:
    text = (
        "-------- Forwarded Message --------\n"
        "Subject: \tRE: Reset password\n"
        "Date: \tTue, 6 Jan 2026 11:00\n"
        "From: \tTim Teknis <teknis@lkpp.go.id>\n"
        "To: \tHelpdesk LKPP <helpdesk@lkpp.go.id>\n"
        "\n"
        "Permasalahan telah selesai."
    )
    assert strip_quotes(text) == text


def test_forwarded_body_still_loses_its_own_quote() -> None:
    text = (
        "---------- Pesan terusan ---------\nDari: Tim\nDate: x\nSubject: y\nTo: z\n\n"
        "Sudah selesai.\n\nOn Mon, LPSE wrote:\n> pertanyaan lama"
    )
    result = strip_quotes(text)
    assert result.endswith("Sudah selesai.")
    assert "pertanyaan lama" not in result


def test_line_starting_with_pada_is_not_an_attribution() -> None:
    text = "Pada paket tersebut jadwal dapat diubah.\nPada menu Ubah Jadwal pilih tahap evaluasi."
    assert strip_quotes(text) == text


def test_ten_thousand_lines_are_fast() -> None:
    text = "\n".join(f"baris log {i} ERROR Pada modul On x" for i in range(10_000))
    text += "\n\nOn Mon, LPSE wrote:\n> kutipan"
    start = time.perf_counter()
    result = strip_quotes(text)
    assert time.perf_counter() - start < 0.5
    assert result.count("\n") == 9_999
    assert "kutipan" not in result


def test_many_quote_markers_are_fast() -> None:
    text = "Jawaban.\n" + "\n".join(">" * (i % 7 + 1) + " kutipan" for i in range(20_000))
    start = time.perf_counter()
    assert strip_quotes(text) == "Jawaban."
    assert time.perf_counter() - start < 0.5


# --- signatures and disclaimers without a "-- " line -----------------------------------------
OUTLOOK_SIGNATURE = (
    "Salam,\n"
    "\n"
    "Rina Kusuma\n"
    "Helpdesk LKPP - Direktorat Layanan Pengadaan Secara Elektronik\n"
    "Lembaga Kebijakan Pengadaan Barang/Jasa Pemerintah\n"
    "Gedung LKPP, Jl. Epicentrum Tengah Lot 11B, Kuningan, Jakarta Selatan 12940\n"
    "Telp. (021) 2991 2450 ext. 1234 | WA 0811-1234-5678\n"
    "helpdesk@lkpp.go.id | https://lkpp.go.id\n"
)
DISCLAIMERS = [
    "DISCLAIMER\nEmail ini dan lampirannya hanya untuk penerima dan bersifat rahasia.",
    "**Perhatian:** Pesan ini bersifat rahasia.",
    "Email ini dan lampirannya bersifat rahasia dan hanya ditujukan kepada penerima yang\n"
    "disebutkan di atas. Jika Anda bukan penerima yang dituju, mohon hapus email ini.",
    "DISCLAIMER: Email ini beserta lampirannya ditujukan hanya untuk penerima dan bersifat\n"
    "rahasia.",
    "This e-mail and any attachments are confidential and may be privileged. If you are not\n"
    "the intended recipient, please notify the sender and delete it.",
    "The information in this message is intended only for the addressee and may contain\n"
    "confidential information.",
]


@pytest.mark.parametrize("disclaimer", DISCLAIMERS)
def test_outlook_signature_and_disclaimer_above_the_quote_are_cut(disclaimer: str) -> None:
    text = (
        "Permasalahan sedang kami tangani bersama tim pengembang.\n"
        "Mohon ditunggu informasi selanjutnya.\n\n"
        f"{OUTLOOK_SIGNATURE}\n{disclaimer}\n\n"
        "From: LPSE <lpse@batangkab.go.id>\nSent: Monday\nTo: Helpdesk LKPP\nSubject: Akun\n\n"
        f"{ESCALATION}"
    )
    assert strip_quotes(text) == (
        "Permasalahan sedang kami tangani bersama tim pengembang.\n"
        "Mohon ditunggu informasi selanjutnya.\n\nSalam,"
    )


@pytest.mark.parametrize("disclaimer", DISCLAIMERS)
def test_a_disclaimer_alone_at_the_end_is_cut(disclaimer: str) -> None:
    assert strip_quotes(f"Sudah kami perbaiki.\n\n{disclaimer}") == "Sudah kami perbaiki."


@pytest.mark.parametrize(
    "closing", ["Hormat kami,", "Terima kasih.", "Best regards,", "Regards", "Salam hormat,"]
)
def test_signature_block_after_any_closing_is_cut(closing: str) -> None:
    text = f"Akun sudah aktif.\n\n{closing}\nBudi Hartono\nHelpdesk LKPP\nTelp. 021-29912450"
    assert strip_quotes(text) == f"Akun sudah aktif.\n\n{closing}"


def test_the_replys_own_last_lines_stay() -> None:
    # Closing last: nothing to cut.
    assert strip_quotes("Sudah normal.\n\nTerima kasih.") == "Sudah normal.\n\nTerima kasih."
    # Text after the closing that reads as sentences is the reply's, not a signature.
    text = (
        "Akun sudah aktif.\n\nTerima kasih,\nRina\n\n"
        "NB: apabila masih gagal, mohon kirimkan tangkapan layar pesan galat yang muncul."
    )
    assert strip_quotes(text) == text
    # A line that only mentions confidentiality words is not a disclaimer.
    text = "Data pengguna bersifat rahasia, mohon dikirim lewat email ini saja."
    assert strip_quotes(text) == text
    # Steps after a closing are the reply's own, and so is all that follows opening thanks.
    text = "Sudah kami cek.\n\nTerima kasih.\nLangkahnya:\n1. Login admin\n2. Buka menu Pegawai"
    assert strip_quotes(text) == text
    text = "Terima kasih.\nAkun sudah aktif\nSilakan login"
    assert strip_quotes(text) == text
    # "Terima kasih atas ..." is a sentence, not a closing.
    text = "Terima kasih atas laporannya.\nBuka menu Paket\nKlik Ubah Jadwal"
    assert strip_quotes(text) == text


def test_a_disclaimer_as_the_whole_body_is_kept() -> None:
    """Nothing above it: it is all the sender wrote (a forward, an automatic notice)."""
    assert strip_quotes(DISCLAIMERS[-1]) == DISCLAIMERS[-1]
