"""safe_filename: attachment names from strangers become safe to store and show."""

from __future__ import annotations

import unicodedata

import pytest

from bot.mail.filenames import MAX_FILENAME, safe_filename


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Panduan SPSE.pdf", "Panduan SPSE.pdf"),
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\system32\\drivers\\etc\\hosts", "hosts"),
        ("C:\\Users\\helpdesk\\Desktop\\laporan.xlsx", "laporan.xlsx"),
        ("/absolute/path/bukti.png", "bukti.png"),
        ("passwd\x07\x1b[31m", "passwd[31m"),
        ("berkas\x00.pdf", "berkas.pdf"),
        ("baris\r\nbaru.txt", "baris baru.txt"),
        (".htaccess", "htaccess"),
        ("...rahasia.txt", "rahasia.txt"),
        ("trailing.dots...", "trailing.dots"),
        ('a<b>c:d"e|f?g*h.pdf', "a_b_c_d_e_f_g_h.pdf"),
        ("CON", "_CON"),
        ("con.txt", "_con.txt"),
        ("LPT1.pdf", "_LPT1.pdf"),
        ("console.txt", "console.txt"),
        ("  spasi   ganda  .pdf ", "spasi ganda .pdf"),
    ],
)
def test_cleans(name: str, expected: str) -> None:
    assert safe_filename(name, "lampiran") == expected


def test_bidi_override_cannot_fake_an_extension() -> None:
    # "invoice\u202Efdp.exe" displays as "invoiceexe.pdf" in a right-to-left aware viewer.
    assert safe_filename("invoice\u202efdp.exe", "x") == "invoicefdp.exe"


def test_nfc_normalises_decomposed_names() -> None:
    decomposed = unicodedata.normalize("NFD", "Laporan Pengadaan Café.pdf")
    result = safe_filename(decomposed, "x")
    assert result == unicodedata.normalize("NFC", "Laporan Pengadaan Café.pdf")
    assert len(result) == len("Laporan Pengadaan Café.pdf")


@pytest.mark.parametrize("name", [None, "", "   ", "..", "/", "\\\\", "\x00\x01", "../.."])
def test_fallback_when_nothing_usable(name: str | None) -> None:
    assert safe_filename(name, "lampiran-1.pdf") == "lampiran-1.pdf"


def test_fallback_is_cleaned_too_and_never_empty() -> None:
    assert safe_filename(None, "../x/lampiran.pdf") == "lampiran.pdf"
    assert safe_filename(None, "") == "lampiran"


def test_long_name_is_capped_keeping_the_extension() -> None:
    result = safe_filename("a" * 300 + ".pdf", "x")
    assert len(result) == MAX_FILENAME
    assert result.endswith(".pdf")
    assert result.startswith("aaaa")


def test_long_name_without_extension_is_capped() -> None:
    assert len(safe_filename("b" * 500, "x")) == MAX_FILENAME


def test_long_multibyte_name_is_capped_in_characters() -> None:
    result = safe_filename("dokumen-" + "é" * 200 + ".docx", "x")
    assert len(result) == MAX_FILENAME
    assert result.endswith(".docx")


def test_output_never_contains_separators_or_controls() -> None:
    hostile = "..\\/..//\x1b]0;title\x07/\u202e\t\n../evil.sh"
    result = safe_filename(hostile, "x")
    assert "/" not in result and "\\" not in result
    assert all(ord(ch) >= 32 for ch in result)
    assert result == "evil.sh"
