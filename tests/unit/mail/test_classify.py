"""classify: LKPP's reply read as a step of the SOP, by tag or by Indonesian keywords."""

from __future__ import annotations

import re

import pytest

from bot.domain.sop import LkppReplyClass as C
from bot.mail.classify import RULES, classify, find_tag, strip_tag

SUBJECT = "Re: [LPSE-BTG #BTG-2026-00042] Akun penyedia terkunci"


@pytest.mark.parametrize(
    ("first_line", "expected"),
    [
        ("#DATA", C.DATA_REQUEST),
        ("#data mohon kirimkan NPWP", C.DATA_REQUEST),
        ("#KEWENANGAN_LPSE", C.GUIDE),
        ("#kewenangan_lpse", C.GUIDE),
        ("#KEWENANGAN LPSE", C.GUIDE),
        ("#PROGRES", C.PROGRESS),
        ("#Progress", C.PROGRESS),
        ("#SELESAI.", C.SOLVED),
        ("**#SELESAI**", C.SOLVED),
        ("  # SELESAI", C.SOLVED),
    ],
)
def test_tag_on_first_line_wins(first_line: str, expected: C) -> None:
    # The body's keywords point elsewhere: the explicit tag still decides.
    text = f"\n\n{first_line}\nMasih dalam proses, mohon dilengkapi screenshot, sudah selesai."
    result = classify(text, SUBJECT)
    assert result.cls is expected
    assert result.by_tag is True
    assert result.matched == [expected.tag]


def test_tag_in_subject() -> None:
    result = classify("Terima kasih.", f"#SELESAI {SUBJECT}")
    assert (result.cls, result.by_tag) == (C.SOLVED, True)
    assert classify("Terima kasih.", f"{SUBJECT} #data").cls is C.DATA_REQUEST


def test_body_tag_beats_subject_tag() -> None:
    result = classify("#SELESAI\nSudah normal.", f"Re: #DATA {SUBJECT}")
    assert result.cls is C.SOLVED


@pytest.mark.parametrize(
    "text",
    [
        "Kami sudah menerima #DATA Anda.",  # not at the start of the first line
        "Terima kasih.\n#SELESAI",  # not the first line
        "#DATABASE sedang dipindahkan",  # another word
        "#SELESAIKAN segera",
    ],
)
def test_tag_elsewhere_does_not_count(text: str) -> None:
    assert find_tag(text, SUBJECT) is None
    assert classify(text, SUBJECT).by_tag is False


def test_ticket_number_in_subject_is_not_a_tag() -> None:
    assert find_tag("", "[LPSE-BTG #BTG-2026-00042]") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mohon dilengkapi data NPWP penyedia.", C.DATA_REQUEST),
        ("Kami memerlukan data tambahan berupa log Apendo.", C.DATA_REQUEST),
        ("Mohon dikirimkan tangkapan layar pesan error.", C.DATA_REQUEST),
        ("Silakan lampirkan screenshot halaman paket.", C.DATA_REQUEST),
        ("Mohon informasi kode paket dan nama satker.", C.DATA_REQUEST),
        ("Akun sudah selesai kami buka.", C.SOLVED),
        ("Permasalahan telah diperbaiki, silakan dicoba kembali.", C.SOLVED),
        ("Email notifikasi sdh normal kembali.", C.SOLVED),
        ("Upload dokumen penawaran sudah dapat dilakukan dan berhasil.", C.SOLVED),
        ("Bug tersebut telah kami perbaiki pada versi 4.5.2.", C.SOLVED),
        ("Permasalahan ini merupakan kewenangan LPSE.", C.GUIDE),
        ("Hal tersebut dapat ditangani oleh LPSE melalui admin agency.", C.GUIDE),
        ("Reset dapat dilakukan oleh admin LPSE, silahkan LPSE mengikuti panduan.", C.GUIDE),
        ("Laporan sedang kami proses.", C.PROGRESS),
        ("Permasalahan sedang ditangani oleh tim teknis.", C.PROGRESS),
        ("Masih dalam proses, sudah diteruskan ke tim pengembang.", C.PROGRESS),
        ("Kendala ini dalam penanganan dan sedang dikoordinasikan.", C.PROGRESS),
    ],
)
def test_keywords(text: str, expected: C) -> None:
    result = classify(text, SUBJECT)
    assert result.cls is expected, result
    assert result.by_tag is False
    assert result.matched


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Permasalahan belum selesai.", C.PROGRESS),
        ("Penyedia belum dapat login, sedang kami periksa.", C.PROGRESS),
        ("Upload tidak berhasil.", C.UNKNOWN),
        ("Permasalahan tersebut tidak dapat ditangani oleh LPSE.", C.UNKNOWN),
        ("Bukan kewenangan LPSE, sedang kami koordinasikan dengan tim SiRUP.", C.PROGRESS),
        ("Akun blm selesai dibuka, masih dalam proses.", C.PROGRESS),
        ("Data belum lengkap. Mohon dilengkapi NPWP.", C.DATA_REQUEST),
    ],
)
def test_negations(text: str, expected: C) -> None:
    result = classify(text, SUBJECT)
    assert result.cls is expected, result
    assert "selesai" not in result.matched or expected is C.SOLVED


def test_negated_match_is_not_reported() -> None:
    result = classify("Belum selesai.", SUBJECT)
    assert "selesai" not in result.matched
    assert "belum selesai" in result.matched


def test_conditional_offer_counts_half() -> None:
    text = "Kendala telah diperbaiki. Apabila masih terdapat kendala, mohon kirimkan screenshot."
    result = classify(text, SUBJECT)
    assert result.cls is C.SOLVED
    assert result.scores[C.DATA_REQUEST] == pytest.approx(2.0)


def test_wrapped_lines_still_match() -> None:
    assert classify("Laporan sedang\nkami proses.", SUBJECT).cls is C.PROGRESS


def test_paragraph_break_ends_a_clause_for_negation() -> None:
    assert classify("Belum\n\nSelesai dan sudah normal.", SUBJECT).cls is C.SOLVED


def test_no_match_is_unknown() -> None:
    result = classify("Baik, terima kasih.", SUBJECT)
    assert result == classify("Baik, terima kasih.", SUBJECT)
    assert (result.cls, result.by_tag, result.matched) == (C.UNKNOWN, False, [])


def test_tie_is_unknown() -> None:
    # "panduan" (guide, 2) against "berhasil" (solved, 2).
    result = classify("Panduan berhasil.", SUBJECT)
    assert result.cls is C.UNKNOWN
    assert result.scores[C.GUIDE] == result.scores[C.SOLVED]


def test_repeated_keyword_counts_once() -> None:
    result = classify("berhasil berhasil berhasil berhasil. Sedang kami proses.", SUBJECT)
    assert result.cls is C.PROGRESS


def test_empty_text() -> None:
    assert classify("", "").cls is C.UNKNOWN


def test_rules_are_data_and_compile() -> None:
    classes = {cls for cls, _, _ in RULES}
    assert classes == {C.DATA_REQUEST, C.SOLVED, C.GUIDE, C.PROGRESS}
    for cls, pattern, weight in RULES:
        assert isinstance(cls, C) and weight > 0
        re.compile(pattern)
        assert pattern == pattern.lower(), "patterns match lowercased text"


@pytest.mark.parametrize(
    ("text", "clean"),
    [
        ("#SELESAI Permasalahan sudah kami perbaiki.", "Permasalahan sudah kami perbaiki."),
        ("#selesai: Sudah normal.\nSilakan coba.", "Sudah normal.\nSilakan coba."),
        ("#DATA\n\nMohon kirimkan tangkapan layar.", "Mohon kirimkan tangkapan layar."),
        ("**#DATA**: Mohon kirimkan NPWP.", "Mohon kirimkan NPWP."),
        ("#Kewenangan_LPSE - silakan lewat admin agency.", "silakan lewat admin agency."),
        ("#KEWENANGAN LPSE\nPanduan terlampir.", "Panduan terlampir."),
        ("\n  #Progres:\nSedang ditangani.", "Sedang ditangani."),
        ("#PROGRESS — sedang ditangani.", "sedang ditangani."),
        ("#SELESAI", ""),
        ("Halo, #SELESAI ya.", "Halo, #SELESAI ya."),  # not at the start: LKPP's own words
        ("#DATABASE sedang dipulihkan.", "#DATABASE sedang dipulihkan."),
        ("Sudah normal.", "Sudah normal."),
    ],
)
def test_strip_tag_removes_only_the_leading_tag(text: str, clean: str) -> None:
    assert strip_tag(text) == clean
    if clean != text.strip():
        assert find_tag(text) is not None  # what is stripped is exactly what is honoured
