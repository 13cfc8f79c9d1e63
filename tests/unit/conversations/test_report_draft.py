"""The typed /lapor draft reads and writes the stored form drafts have always had."""

from __future__ import annotations

from bot.conversations.report_draft import ReportDraft
from bot.domain.ticket import Attachment

#: A draft as the bot stored it before the draft was typed: a skipped package code (null), an
#: application typed after "Lainnya", searched suggestions, a file with its caption, the flags.
STORED = {
    "step": "ringkasan",
    "lampiran": [
        {
            "file_name": "foto_AQAD.jpg",
            "mime_type": "image/jpeg",
            "size": 1234,
            "telegram_file_id": "FILE1",
            "source": "pengguna",
        }
    ],
    "jenis": "Permasalahan",
    "peran": "Pokja Pemilihan",
    "aplikasi": "Aplikasi daerah",
    "kode_paket": None,
    "kode_error": "ERR-500",
    "judul": "Gagal unggah dokumen",
    "deskripsi": "Saat unggah\nmuncul error",
    "saran": [3, 7],
    "keterangan_lampiran": ["layar error"],
    "urgensi": "Tinggi",
    "dampak": "Sedang",
    "nama": "Budi",
    "email": "budi@contoh.co.id",
    "edit_diberitahu": True,
}


def test_a_stored_draft_loads_with_every_answer():
    draft = ReportDraft.from_stored(STORED)
    assert draft.step == "ringkasan" and draft.judul == "Gagal unggah dokumen"
    assert draft.kode_paket is None and draft.telepon is None
    assert draft.saran == [3, 7] and draft.keterangan_lampiran == ["layar error"]
    assert draft.lampiran == [
        Attachment(None, 0, "pengguna", "foto_AQAD.jpg", "image/jpeg", 1234, "FILE1")
    ]
    assert draft.edit_diberitahu and not draft.ubah


def test_it_is_stored_again_as_it_was_read():
    again = ReportDraft.from_stored(STORED).to_stored()
    # A skipped field is left out instead of stored as null: both read back as None.
    assert again == {k: v for k, v in STORED.items() if v is not None}
    assert ReportDraft.from_stored(again) == ReportDraft.from_stored(STORED)


def test_a_fresh_draft_is_stored_as_before():
    assert ReportDraft(step="jenis").to_stored() == {"step": "jenis", "lampiran": []}


def test_suggestions_not_searched_yet_differ_from_none_found():
    assert ReportDraft.from_stored({"step": "saran"}).saran is None
    assert ReportDraft.from_stored({"step": "saran", "saran": []}).saran == []
    assert ReportDraft(step="saran", saran=[]).to_stored()["saran"] == []
