"""The pure parts of the /lapor conversation: step order and answer validation."""

from __future__ import annotations

import pytest

from bot.conversations.report_draft import ReportDraft
from bot.conversations.report_steps import ORDER, STEPS, data, next_step, validate


def test_the_steps_run_in_order_to_the_summary():
    draft = ReportDraft(step="jenis", aplikasi="SiRUP")
    step, seen = "jenis", ["jenis"]
    while step != "ringkasan":
        step = next_step(draft, step)
        seen.append(step)
    assert seen == list(ORDER)


def test_lainnya_asks_for_the_application_by_name():
    assert next_step(ReportDraft(step="aplikasi"), "aplikasi") == "aplikasi_lain"
    assert (
        next_step(ReportDraft(step="aplikasi_lain", aplikasi="X"), "aplikasi_lain") == "kode_paket"
    )


def test_an_edit_returns_to_the_summary_but_urgency_still_asks_impact():
    assert next_step(ReportDraft(step="email", ubah=True), "email") == "ringkasan"
    draft = ReportDraft(step="urgensi", ubah=True)
    assert next_step(draft, "urgensi") == "dampak"
    assert next_step(draft, "dampak") == "ringkasan"
    assert "ubah" not in draft.to_stored()


@pytest.mark.parametrize(
    ("step", "text", "expected"),
    [
        ("email", " budi@contoh.co.id ", ("budi@contoh.co.id", None)),
        ("email", "budi@", (None, "tidak_valid_email")),
        ("kode_paket", "1234 5678", ("12345678", None)),
        ("kode_paket", "12ab", (None, "tidak_valid_kode_paket")),
        ("telepon", "+62 812-3456-7890", ("+6281234567890", None)),
        ("telepon", "123", (None, "tidak_valid_telepon")),
        ("judul", "x" * 120, ("x" * 120, None)),
        ("judul", "x" * 121, (None, "terlalu_panjang")),
        ("judul", "   ", (None, "kosong")),
        ("judul", "\u200b\u200d", (None, "kosong")),  # zero-width only: nothing visible
        ("judul", " \u202eab\u200b ", (None, "judul_terlalu_pendek")),
        ("judul", "a", (None, "judul_terlalu_pendek")),
        ("judul", "Cafe\u0301 error\u200b", ("Café error", None)),  # NFC, no zero-width
        ("judul", "\u202egagal\u202c unggah", ("gagal unggah", None)),  # no bidi override
        ("kode_error", "ERR\x00-500\x1b", ("ERR-500", None)),  # control characters
        ("nama", "<b>Budi</b> & *Ani*", ("<b>Budi</b> & *Ani*", None)),
    ],
)
def test_answers_are_validated(step, text, expected):
    assert validate(step, text) == expected


def test_callback_data_fits_telegram_limit_for_every_step():
    for step in (*STEPS, "sesi"):
        assert len(data(step, "lewati").encode()) <= 64
