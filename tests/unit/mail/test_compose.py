"""The emails to LKPP: content, headers, threading, attachment cap."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest

from bot.mail import compose
from bot.mail.threading import find_subject_tag, verify_message_id
from bot.storage.mail import OutboxRow
from tests.support.mail_bridge_fixtures import AT, outbox_row, pure_services, ticket, user_file

SECRET = b"test-secret-test-secret"


def _row(**overrides: object) -> OutboxRow:
    return outbox_row(**overrides)


def test_escalation_carries_every_ticket_field_and_the_tag_paragraph(tmp_path: Path) -> None:
    services = pure_services(tmp_path)
    draft = compose.escalation_draft(services, ticket(), note="Sudah dicoba reset cache.")
    assert find_subject_tag(draft.subject) == "BTG-2026-00042"
    assert "Gagal unggah dokumen penawaran" in draft.subject
    for expected in ("BTG-2026-00042", "Permasalahan", "SPSE 4.5", "12345678", "ERR-500",
                     "Budi Santoso", "budi@contoh.co.id", "081234567890", "Penyedia",
                     "error 500", "Sudah dicoba reset cache.", "Sari (staf)",
                     "LPSE Kabupaten Batang", "#DATA", "#KEWENANGAN_LPSE", "#PROGRES",
                     "#SELESAI"):  # fmt: skip
        assert expected in draft.body, expected
    assert not draft.automatic


def test_attachments_past_the_cap_are_listed_not_attached(tmp_path: Path) -> None:
    services = pure_services(tmp_path, mail_attachments_max_bytes=1000)
    files = [user_file("a.pdf", 600, ident=1), user_file("b.pdf", 600, ident=2),
             user_file("c.pdf", 300, ident=3)]  # fmt: skip
    draft = compose.escalation_draft(services, ticket(attachments=files))
    assert [a.file_name for a in draft.attachments] == ["a.pdf", "c.pdf"]
    assert [a.file_name for a in draft.omitted] == ["b.pdf"]
    assert "melebihi batas" in draft.body
    assert "b.pdf" in draft.body.split("melebihi batas", 1)[1]


def test_unknown_size_counts_as_too_big() -> None:
    included, omitted = compose.split_by_size([user_file("x.pdf", None)], 10**9)  # type: ignore[arg-type]
    assert included == []
    assert [a.file_name for a in omitted] == ["x.pdf"]


def test_status_request_is_automatic_and_forward_has_user_text(tmp_path: Path) -> None:
    services = pure_services(tmp_path)
    status = compose.status_draft(services, ticket(escalated_at=AT))
    assert status.automatic
    assert "otomatis" in status.body
    assert find_subject_tag(status.subject) == "BTG-2026-00042"
    forward = compose.forward_draft(services, ticket(), "NPWP: 01.234.567.8-999.000", [])
    assert "NPWP: 01.234.567.8-999.000" in forward.body
    assert not forward.automatic


def test_message_id_is_signed_and_a_forgery_is_rejected(tmp_path: Path) -> None:
    services = pure_services(tmp_path, mail_secret=SECRET.decode())
    mid = compose.new_message_id(services.settings, "BTG-2026-00042", compose.ESCALATION)
    assert mid.endswith("@batangkab.go.id>")
    assert verify_message_id(mid, SECRET) == "BTG-2026-00042"
    forged = mid.replace("00042", "00043")
    assert verify_message_id(forged, SECRET) is None
    assert mid != compose.new_message_id(services.settings, "BTG-2026-00042", "eskalasi")


def test_thread_headers_answer_lkpp_latest_and_keep_the_root() -> None:
    assert compose.thread_headers([]) == (None, [])
    thread = [("<a>", "lpse"), ("<b>", "lkpp"), ("<c>", "lpse")]
    assert compose.thread_headers(thread) == ("<b>", ["<a>", "<b>", "<c>"])
    long = [(f"<{i}>", "lpse") for i in range(50)]
    in_reply_to, refs = compose.thread_headers(long)
    assert in_reply_to == "<49>"
    assert refs[0] == "<0>" and refs[-1] == "<49>" and len(refs) == compose.MAX_REFERENCES


def test_build_email_headers(tmp_path: Path) -> None:
    settings = pure_services(tmp_path).settings
    message = compose.build_email(
        settings,
        _row(in_reply_to="<b@lkpp.go.id>", references=["<a@x>", "<b@lkpp.go.id>"]),
        files=[("panduan.pdf", "application/pdf", b"%PDF-1.4")],
    )
    assert message["Message-ID"] == "<x@batangkab.go.id>"
    assert message["In-Reply-To"] == "<b@lkpp.go.id>"
    assert message["References"] == "<a@x> <b@lkpp.go.id>"
    # A staff-approved email is a person's: nothing marks it automatic.
    assert message["X-Auto-Response-Suppress"] is None
    assert message["Auto-Submitted"] is None
    assert message["To"] == "helpdesk@lkpp.go.id"
    assert "batangkab.go.id" in message["From"]
    parts = list(message.iter_attachments())
    assert [p.get_filename() for p in parts] == ["panduan.pdf"]
    assert parts[0].get_content() == b"%PDF-1.4"
    automatic = compose.build_email(settings, replace(_row(), automatic=True))
    assert automatic["Auto-Submitted"] == "auto-generated"
    assert automatic["X-Auto-Response-Suppress"] == "All"


def test_missing_file_is_noted_in_the_body(tmp_path: Path) -> None:
    settings = pure_services(tmp_path).settings
    message = compose.build_email(
        settings, _row(), missing=["a.pdf"], missing_note="hilang: a.pdf"
    )
    assert "hilang: a.pdf" in message.get_body().get_content()


def test_html_alternative_carries_the_same_text_escaped(tmp_path: Path) -> None:
    services = pure_services(tmp_path)
    row = _row(body="Judul: <script>alert(1)</script>\nBaris dua\n")
    message = compose.build_email(services.settings, row, texts=services.texts)
    assert message.get_body(("plain",)).get_content().startswith("Judul: <script>")
    html = message.get_body(("html",)).get_content()
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert "Baris dua" in html and "pre-wrap" in html


def test_line_break_in_title_does_not_break_the_subject(tmp_path: Path) -> None:
    services = pure_services(tmp_path)
    draft = compose.escalation_draft(services, ticket(title="Gagal\nunggah\r\nBcc: x@y.z"))
    assert "\n" not in draft.subject and "\r" not in draft.subject
    message = compose.build_email(services.settings, _row(subject=draft.subject))
    assert message["Bcc"] is None


def test_date_is_in_the_lpse_time_zone(tmp_path: Path) -> None:
    settings = pure_services(tmp_path, timezone="Asia/Makassar").settings
    row = replace(_row(), created_at=datetime(2026, 12, 1, 1, 12, 5, tzinfo=UTC))
    message = compose.build_email(settings, row)
    assert message["Date"] == "Tue, 01 Dec 2026 09:12:05 +0800"
    assert parsedate_to_datetime(message["Date"]) == row.created_at


@pytest.mark.parametrize(
    ("mail_from", "shown"),
    [
        ("lpse@batangkab.go.id", "LPSE Kabupaten Batang <lpse@batangkab.go.id>"),
        ("<lpse@batangkab.go.id>", "LPSE Kabupaten Batang <lpse@batangkab.go.id>"),
        (
            "Helpdesk LPSE Batang <lpse@batangkab.go.id>",
            "Helpdesk LPSE Batang <lpse@batangkab.go.id>",
        ),
    ],
)
def test_from_carries_the_lpse_name_even_for_a_bare_address(
    tmp_path: Path, mail_from: str, shown: str
) -> None:
    settings = pure_services(tmp_path, mail_from=mail_from).settings
    message = compose.build_email(settings, _row())
    assert message["From"] == shown
    assert message["From"].addresses[0].addr_spec == "lpse@batangkab.go.id"
