"""The entry file: validation with index and field, all or nothing, round trip, starter set."""

from __future__ import annotations

import pytest

from bot.domain.kb_entries import EntryFileError, dump_entries, parse_entries, starter_entries

GOOD = """
[[entri]]
judul = "Lupa kata sandi akun SPSE"
gejala = "Tidak bisa masuk, lupa password atau user id"
jawaban = "Langkah-langkah: klik Lupa Password, buka email, buat sandi baru."
kata_kunci = ["lupa password", "reset sandi"]
aplikasi = "SPSE"
"""


def test_a_valid_file_gives_its_entries():
    [entry] = parse_entries(GOOD)
    assert entry.title == "Lupa kata sandi akun SPSE"
    assert entry.keywords == ["lupa password", "reset sandi"]
    assert entry.application == "SPSE"


def test_every_bad_entry_is_named_with_its_index_and_field():
    bad = (
        GOOD
        + """
[[entri]]
judul = "Tanpa jawaban"
gejala = "Gejala ada"

[[entri]]
judul = "Kolom salah ketik"
gejala = "Gejala ada"
jawban = "salah ketik nama kolom"
jawaban = "Jawaban yang cukup panjang."
kata_kunci = "bukan daftar"
"""
    )
    with pytest.raises(EntryFileError) as caught:
        parse_entries(bad)
    problems = {(p.index, p.field) for p in caught.value.problems}
    assert problems == {(2, "jawaban"), (3, "jawban"), (3, "kata_kunci")}
    assert "tidak ada entri yang diimpor" in str(caught.value)
    assert "entri ke-2, kolom jawaban: wajib diisi" in str(caught.value)


def test_not_toml_or_no_entries_is_one_clear_error():
    with pytest.raises(EntryFileError, match="bukan TOML"):
        parse_entries("[[entri]\n")
    with pytest.raises(EntryFileError, match=r"\[\[entri\]\]"):
        parse_entries("[lain]\na = 1\n")


def test_two_entries_with_one_title_are_refused():
    with pytest.raises(EntryFileError, match="sama dengan entri ke-1"):
        parse_entries(GOOD + GOOD.replace('SPSE"\n', 'SPSE"\n', 1))


def test_export_reads_back_the_same_entries():
    entries = starter_entries()
    again = parse_entries(dump_entries(entries))
    assert [(e.title, e.answer, e.keywords, e.application) for e in again] == [
        (e.title, e.answer, e.keywords, e.application) for e in entries
    ]


def test_the_starter_set_ships_inside_the_package():
    entries = starter_entries()
    assert len(entries) >= 25
    assert len({e.title for e in entries}) == len(entries)
    assert {"SPSE", "SIKaP", "SiRUP", "e-Katalog"} <= {e.application for e in entries}
