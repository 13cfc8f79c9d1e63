"""parse_message: any bytes in, a ParsedMail out, problems named instead of exceptions."""

from __future__ import annotations

import json
import os
import random
import time
from datetime import UTC, datetime, timedelta, timezone
from email import policy
from email.message import EmailMessage

import pytest

from bot.mail import header_cache, parsing
from bot.mail.parsing import (
    MAX_REPLY_CHARS,
    MAX_TEXT_CHARS,
    ParsedMail,
    Problem,
    decode_bytes,
    html_to_text,
    parse_message,
    unflow,
)

LIMIT = 1_000_000


def build(
    body: str | bytes = "Isi.",
    *,
    headers: list[str] | None = None,
    content_type: str = "text/plain; charset=utf-8",
    cte: str | None = None,
) -> bytes:
    lines = (
        headers
        if headers is not None
        else [
            'From: "Helpdesk LKPP" <Helpdesk@LKPP.go.id>',
            "To: LPSE Batang <lpse@batangkab.go.id>, arsip@batangkab.go.id",
            "Subject: Re: [LPSE-BTG #BTG-2026-00042] Akun",
            "Date: Mon, 05 Jan 2026 10:15:32 +0700",
            "Message-ID: <abc@lkpp.go.id>",
        ]
    )
    lines = [*lines, "MIME-Version: 1.0", f"Content-Type: {content_type}"]
    if cte:
        lines.append(f"Content-Transfer-Encoding: {cte}")
    data = body.encode() if isinstance(body, str) else body
    return "\r\n".join(lines).encode() + b"\r\n\r\n" + data


def parse(raw: bytes, max_bytes: int = LIMIT) -> ParsedMail:
    return parse_message(raw, max_bytes=max_bytes)


def test_headers() -> None:
    mail = parse(build())
    assert mail.message_id == "<abc@lkpp.go.id>"
    assert mail.from_addr == "helpdesk@lkpp.go.id"
    assert mail.from_name == "Helpdesk LKPP"
    assert mail.to == ["lpse@batangkab.go.id", "arsip@batangkab.go.id"]
    assert mail.subject == "Re: [LPSE-BTG #BTG-2026-00042] Akun"
    assert mail.date == datetime(2026, 1, 5, 3, 15, 32, tzinfo=UTC)
    assert mail.date is not None and mail.date.utcoffset() == timedelta(hours=7)
    assert mail.problems == []
    assert mail.header("message-id") == "<abc@lkpp.go.id>"
    assert mail.header("X-Nothing") is None


def test_threading_headers_are_normalised() -> None:
    raw = build(
        headers=[
            "From: a@lkpp.go.id",
            "Message-ID:   abc@lkpp.go.id  ",
            "In-Reply-To: Helpdesk's message <one@x> (comment)",
            "References: <r1@x>\r\n\t<r2@y>  <r3@z>",
        ]
    )
    mail = parse(raw)
    assert mail.message_id == "<abc@lkpp.go.id>"
    assert mail.in_reply_to == "<one@x>"
    assert mail.references == ["<r1@x>", "<r2@y>", "<r3@z>"]


def test_missing_message_id_is_synthesised_stably() -> None:
    raw = build(headers=["From: a@lkpp.go.id", "Subject: x"])
    first, second = parse(raw), parse(raw)
    assert first.message_id == second.message_id
    assert first.message_id.startswith("<sha256.") and first.message_id.endswith(".invalid>")
    assert first.message_id_synthesised is True
    assert "no_message_id" in first.problems
    assert parse(raw + b"x").message_id != first.message_id


def test_rfc2047_subject_and_name() -> None:
    raw = build(
        headers=[
            "From: =?UTF-8?B?QnVkaSBTYW50b3NvIOKAkyBMS1BQ?= <budi@lkpp.go.id>",
            "Subject: =?iso-8859-1?Q?Re:_Jadwal_=E9valuasi?= =?UTF-8?B?4oCT?= selesai",
            "Message-ID: <m@x>",
        ]
    )
    mail = parse(raw)
    assert mail.from_name == "Budi Santoso – LKPP"
    assert mail.subject == "Re: Jadwal évaluasi– selesai"


def test_raw_utf8_subject_is_decoded() -> None:
    raw = build(headers=["From: a@lkpp.go.id", "Message-ID: <m@x>"]).replace(
        b"MIME-Version", "Subject: Sudah diperbaiki – café\r\nMIME-Version".encode(), 1
    )
    assert parse(raw).subject == "Sudah diperbaiki – café"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Mon, 05 Jan 2026 10:15:32 -0000", datetime(2026, 1, 5, 10, 15, 32, tzinfo=UTC)),
        (
            "5 Jan 2026 10:15 +0800",
            datetime(2026, 1, 5, 10, 15, tzinfo=timezone(timedelta(hours=8))),
        ),
        ("kemarin sore", None),
        ("", None),
    ],
)
def test_dates(value: str, expected: datetime | None) -> None:
    mail = parse(build(headers=["From: a@b.id", "Message-ID: <m@x>", f"Date: {value}"]))
    assert mail.date == expected
    assert mail.date is None or mail.date.tzinfo is not None


def test_html_only_becomes_readable_text() -> None:
    html = (
        "<html><head><style>p{color:red}</style><script>alert(1)</script></head><body>"
        "<p>Akun <b>sudah</b> dibuka.</p><p>Panduan: <a href='https://lpse.lkpp.go.id/p'>di "
        "sini</a></p><img src='cid:logo'><table><tr><td>Kode</td><td>123</td></tr></table>"
        "</body></html>"
    )
    mail = parse(build(html, content_type="text/html; charset=utf-8"))
    assert mail.text_from_html is True
    assert "Akun sudah dibuka." in mail.text
    assert "https://lpse.lkpp.go.id/p" in mail.text
    assert "<p>" not in mail.text and "color:red" not in mail.text and "alert" not in mail.text
    assert "**" not in mail.text


def test_multipart_alternative_prefers_plain() -> None:
    msg = EmailMessage()
    msg["From"] = "a@lkpp.go.id"
    msg["Message-ID"] = "<m@x>"
    msg.set_content("Versi teks.")
    msg.add_alternative("<p>Versi HTML.</p>", subtype="html")
    mail = parse(msg.as_bytes())
    assert mail.text.strip() == "Versi teks."
    assert mail.text_from_html is False
    assert mail.attachments == []


@pytest.mark.parametrize("cte", ["base64", "quoted-printable"])
def test_transfer_encodings(cte: str) -> None:
    msg = EmailMessage()
    msg["From"] = "a@lkpp.go.id"
    msg["Message-ID"] = "<m@x>"
    msg.set_content("Permasalahan “selesai” – terima kasih.\n", cte=cte)
    assert parse(msg.as_bytes()).text.strip() == "Permasalahan “selesai” – terima kasih."


def test_wrong_charset_falls_back_to_cp1252() -> None:
    body = "Laporan “error” – mohon menunggu.".encode("cp1252")
    mail = parse(build(body, cte="8bit"))
    assert mail.text == "Laporan “error” – mohon menunggu."
    assert "charset_fallback" in mail.problems


def test_unknown_charset_falls_back() -> None:
    mail = parse(build("Sudah selesai.", content_type="text/plain; charset=x-klingon"))
    assert mail.text == "Sudah selesai."
    assert "charset_fallback" in mail.problems


def test_latin1_label_reads_cp1252_quotes() -> None:
    body = "André – “ok”".encode("cp1252")
    mail = parse(build(body, content_type="text/plain; charset=iso-8859-1", cte="8bit"))
    assert mail.text == "André – “ok”"
    assert mail.problems == []


def test_utf8_mislabelled_latin1_is_read_as_utf8() -> None:
    body = "Café – selesai".encode()
    mail = parse(build(body, content_type="text/plain; charset=iso-8859-1", cte="8bit"))
    assert mail.text == "Café – selesai"
    assert "charset_fallback" in mail.problems


@pytest.mark.parametrize(
    ("data", "declared", "expected", "fell_back"),
    [
        (b"plain", None, "plain", False),
        ("ü".encode(), None, "ü", False),
        ("ü".encode(), "utf-8", "ü", False),
        (b"\xfc", None, "ü", True),
        (b"\xfc", "utf-8", "ü", True),
        (b"\x81\xfc", "utf-8", "\x81ü", True),  # cp1252 has no 0x81: Latin-1 takes it
        (b"\xfc", "us-ascii", "ü", True),
        (b"\xfc", "bogus", "ü", True),
        (b"ok", "bogus", "ok", True),
        ("日本".encode("shift_jis"), "shift_jis", "日本", False),
    ],
)
def test_decode_bytes(data: bytes, declared: str | None, expected: str, fell_back: bool) -> None:
    assert decode_bytes(data, declared) == (expected, fell_back)


def test_format_flowed_is_unwrapped() -> None:
    body = "Mohon dilengkapi ukuran file \r\ndan format dokumen.\r\n> kutipan \r\n> lanjut\r\n"
    mail = parse(build(body, content_type="text/plain; charset=utf-8; format=flowed"))
    assert "Mohon dilengkapi ukuran file dan format dokumen." in mail.text
    assert "> kutipan lanjut" in mail.text
    assert mail.reply_text == "Mohon dilengkapi ukuran file dan format dokumen."


def test_unflow_keeps_signature_delimiter_and_delsp() -> None:
    assert unflow("a \n-- \nsig") == "a -- \nsig"
    assert unflow("sam bung \nan", delsp=True) == "sam bungan"
    assert unflow("tetap\nbaris") == "tetap\nbaris"


def test_html_to_text_keeps_lines() -> None:
    text = html_to_text("<div>baris satu</div><div>baris dua yang " + "panjang " * 30 + "</div>")
    lines = [line for line in text.splitlines() if line]
    assert lines[0] == "baris satu"
    assert lines[1].startswith("baris dua") and len(lines) == 2


def test_reply_text_strips_quotes() -> None:
    body = "Sudah selesai.\r\n\r\nOn Mon, LPSE wrote:\r\n> Mohon informasi\r\n"
    mail = parse(build(body))
    assert mail.reply_text == "Sudah selesai."
    assert "Mohon informasi" in mail.text


def test_attachments() -> None:
    msg = EmailMessage()
    msg["From"] = "a@lkpp.go.id"
    msg["Message-ID"] = "<m@x>"
    msg.set_content("Terlampir.")
    msg.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf", filename="Panduan.pdf")
    msg.add_attachment(
        b"\x89PNG", maintype="image", subtype="png", filename="../../bukti layar.png"
    )
    msg.add_attachment(b"xx", maintype="application", subtype="octet-stream")
    mail = parse(msg.as_bytes())
    assert [(a.filename, a.mime_type, a.size, a.is_inline) for a in mail.attachments] == [
        ("Panduan.pdf", "application/pdf", 8, False),
        ("bukti layar.png", "image/png", 4, False),
        ("lampiran-3.bin", "application/octet-stream", 2, False),
    ]
    assert mail.attachments[0].payload == b"%PDF-1.4"
    assert "filename_sanitised" in mail.problems


def test_rfc2231_filename() -> None:
    raw = (
        b"From: a@lkpp.go.id\r\nMessage-ID: <m@x>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nTerlampir.\r\n"
        b"--b\r\nContent-Type: application/pdf\r\n"
        b"Content-Disposition: attachment;\r\n filename*0*=utf-8''Panduan%20%E2%80%93%20;\r\n"
        b" filename*1*=Akun.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERg==\r\n--b--\r\n"
    )
    mail = parse(raw)
    assert [a.filename for a in mail.attachments] == ["Panduan – Akun.pdf"]
    assert mail.problems == []


def test_oversize_is_headers_only() -> None:
    raw = build("x" * 5000)
    mail = parse(raw, max_bytes=1000)
    assert mail.problems == ["oversize"]
    assert mail.text == "" and mail.attachments == []
    assert mail.subject == "Re: [LPSE-BTG #BTG-2026-00042] Akun"
    assert mail.from_addr == "helpdesk@lkpp.go.id"
    assert mail.size == len(raw)


def test_huge_body_is_truncated_quickly() -> None:
    body = "\r\n".join(f"baris {i} " + "x" * 50 for i in range(10_000))
    start = time.perf_counter()
    mail = parse(build(body))
    assert time.perf_counter() - start < 1.0
    assert len(mail.text) <= MAX_TEXT_CHARS
    assert len(mail.reply_text) == MAX_REPLY_CHARS
    assert "body_truncated" in mail.problems


def test_huge_html_is_bounded() -> None:
    html = "<p>" + "kata " * 300_000 + "</p>"
    start = time.perf_counter()
    mail = parse(build(html, content_type="text/html"), max_bytes=10_000_000)
    assert time.perf_counter() - start < 5.0
    assert len(mail.text) <= MAX_TEXT_CHARS
    assert "body_truncated" in mail.problems


def test_missing_boundary_is_salvaged() -> None:
    body = (
        "--XYZ\r\nContent-Type: text/plain\r\n\r\nSudah normal.\r\n"
        "--XYZ\r\nContent-Type: text/html\r\n\r\n<p>Sudah normal.</p>\r\n--XYZ--\r\n"
    )
    mail = parse(build(body, content_type="multipart/alternative"))
    assert mail.text.strip() == "Sudah normal."
    assert "malformed_mime" in mail.problems


def test_missing_boundary_without_parts_shows_raw_text() -> None:
    mail = parse(build("Hanya teks biasa.", content_type="multipart/mixed"))
    assert "Hanya teks biasa." in mail.text
    assert "malformed_mime" in mail.problems


def test_missing_close_boundary_keeps_body() -> None:
    body = "--b\r\nContent-Type: text/plain\r\n\r\nSudah selesai.\r\n"
    mail = parse(build(body, content_type='multipart/mixed; boundary="b"'))
    assert mail.text.strip() == "Sudah selesai."


def test_bad_base64_is_reported_not_raised() -> None:
    mail = parse(build("U3VkYWgg!!!c2VsZXNhaQ=", cte="base64"))
    assert "bad_transfer_encoding" in mail.problems


def test_malformed_address_header() -> None:
    raw = build(headers=['From: <<<@@@>>> ,,, "unclosed', "Message-ID: <m@x>", "To: ::::"])
    mail = parse(raw)
    assert isinstance(mail.from_addr, str)
    assert mail.to == []


def test_no_headers_at_all() -> None:
    mail = parse(b"\r\n\r\njust a body")
    assert "no_headers" in mail.problems
    assert "no_from" in mail.problems


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x00",
        b"\xff" * 100,
        b"Content-Type: multipart/mixed; boundary=\r\n\r\n--\r\n--\r\n",
        b"Content-Type: message/rfc822\r\n\r\nnot a message",
        b'Content-Type: text/plain; charset="\r\nContent-Transfer-Encoding: base64\r\n\r\n===',
        b"From: " + b"a" * 100_000 + b"\r\n\r\n",
        b"Subject: =?utf-8?q?broken\r\nFrom: =?x?b?!!!?=\r\n\r\n",
        b"\r\n".join(b"X-H%d: v" % i for i in range(5000)) + b"\r\n\r\nbody",
    ],
)
def test_hostile_inputs_never_raise(raw: bytes) -> None:
    mail = parse(raw)
    assert isinstance(mail, ParsedMail)
    assert mail.message_id.startswith("<")
    assert len(mail.headers) <= 300


def test_random_bytes_never_raise() -> None:
    rng = random.Random(2026)
    for _ in range(200):
        size = rng.randint(0, 2000)
        data = bytes(rng.getrandbits(8) for _ in range(size))
        assert isinstance(parse(data), ParsedMail)


def test_mutated_real_mail_never_raises() -> None:
    corpus = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "eml")
    rng = random.Random(7)
    for name in sorted(os.listdir(corpus))[:30]:
        if not name.endswith(".eml"):
            continue
        with open(os.path.join(corpus, name), "rb") as handle:
            original = bytearray(handle.read()[:20_000])
        for _ in range(5):
            mutated = bytearray(original)
            for _ in range(20):
                if mutated:
                    mutated[rng.randrange(len(mutated))] = rng.getrandbits(8)
            assert isinstance(parse(bytes(mutated)), ParsedMail)


def test_text_has_no_control_characters() -> None:
    mail = parse(build(b"Sudah\x00 selesai\x1b[31m.\x07", cte="8bit"))
    assert mail.text == "Sudah selesai[31m."


# --- header memo (bot.mail.header_cache.OncePolicy) ----------------------------------------


def _corpus() -> list[bytes]:
    corpus = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "eml")
    out = []
    for name in sorted(os.listdir(corpus)):
        if name.endswith(".eml"):
            with open(os.path.join(corpus, name), "rb") as handle:
                out.append(handle.read())
    return out


def test_remembered_headers_change_no_result(monkeypatch: pytest.MonkeyPatch) -> None:
    """Parsed with the shared header memo empty, then full, then by the stdlib unaided."""
    header_cache.SHARED_HEADERS.clear()
    cold = [parse(raw) for raw in _corpus()]
    warm = [parse(raw) for raw in _corpus()]
    assert warm == cold
    unaided = policy.EmailPolicy()  # what OncePolicy stands in for: no memo at all
    monkeypatch.setattr(
        parsing, "policy_for", lambda modern: unaided if modern else policy.compat32
    )
    assert [parse(raw) for raw in _corpus()] == cold


def test_shared_header_memo_stays_small() -> None:
    for index in range(3 * header_cache.SHARED_MAX_ENTRIES):
        raw = build(headers=[f"From: Orang {index} <orang{index}@contoh.example>",
                             "Subject: x", f"Message-ID: <{index}@contoh.example>"])  # fmt: skip
        assert parse(raw).from_addr == f"orang{index}@contoh.example"
    assert len(header_cache.SHARED_HEADERS) <= header_cache.SHARED_MAX_ENTRIES
    shared = header_cache.SHARED_HEADERS
    assert all(name.lower() in header_cache.SHARED_NAMES for name, _ in shared)
    long_to = "To: " + ", ".join(f"a{i}@contoh.example" for i in range(50))
    parse(build(headers=["From: a@contoh.example", long_to]))
    assert not any(len(value) > header_cache.SHARED_MAX_CHARS for _, value in shared)


# --- problem codes --------------------------------------------------------------------------


def test_problem_codes_are_stored_as_they_always_were() -> None:
    """``mail_inbox.problems`` holds these values; renaming one would orphan stored rows."""
    assert {problem.value for problem in Problem} == {
        "oversize", "malformed_mime", "malformed_header", "bad_transfer_encoding",
        "charset_fallback", "body_truncated", "filename_sanitised", "no_message_id",
        "no_from", "no_headers", "no_body", "unparseable",
    }  # fmt: skip
    mail = parse(b"\x00\x01 nothing readable")
    assert all(isinstance(problem, Problem) for problem in mail.problems)
    assert json.loads(json.dumps(mail.problems)) == [str(p) for p in mail.problems]
    assert json.dumps([Problem.CHARSET_FALLBACK]) == '["charset_fallback"]'
