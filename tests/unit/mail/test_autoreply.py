"""detect_noise / bounced_message_id: mail no human wrote never reaches a ticket."""

from __future__ import annotations

import email
from email import policy
from email.message import EmailMessage

import pytest

from bot.mail.autoreply import Noise, NoiseKind, bounced_message_id, detect_noise
from bot.mail.parsing import parse_message

OUR_ID = "<lpse.BTG-2026-00042.esk.n1.abcdefghijklmnop@batangkab.go.id>"


def message(headers: dict[str, str], body: str = "Isi pesan.") -> bytes:
    lines = [
        "From: Helpdesk LKPP <helpdesk@lkpp.go.id>",
        "To: lpse@batangkab.go.id",
        "Message-ID: <x1@lkpp.go.id>",
    ]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if not any(name.lower() == "subject" for name in headers):
        lines.append("Subject: Re: [LPSE-BTG #BTG-2026-00042] Akun")
    return ("\r\n".join(lines) + "\r\n\r\n" + body).encode()


def both(raw: bytes) -> list[Noise | None]:
    """The verdict from a stdlib Message (both policies) and from ParsedMail must agree."""
    return [
        detect_noise(email.message_from_bytes(raw, policy=policy.default)),
        detect_noise(email.message_from_bytes(raw, policy=policy.compat32)),
        detect_noise(parse_message(raw, max_bytes=1_000_000)),
    ]


def test_human_reply_is_not_noise() -> None:
    assert both(message({"Auto-Submitted": "no", "X-Auto-Response-Suppress": "All"})) == [
        None,
        None,
        None,
    ]


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({"Auto-Submitted": "auto-replied"}, "auto-submitted: auto-replied"),
        ({"Auto-Submitted": "Auto-Generated; owner-email=x"}, "auto-submitted: auto-generated"),
        ({"Precedence": "bulk"}, "precedence: bulk"),
        ({"Precedence": "Junk"}, "precedence: junk"),
        ({"Precedence": "list"}, "precedence: list"),
        ({"X-Autoreply": "yes"}, "x-autoreply"),
        ({"X-Autorespond": "Out of office"}, "x-autorespond"),
        ({"Return-Path": "<>"}, "null return-path"),
    ],
)
def test_strong_auto_reply_signals(headers: dict[str, str], reason: str) -> None:
    for verdict in both(message(headers)):
        assert verdict == Noise(NoiseKind.AUTO_REPLY, reason, strong=True)


@pytest.mark.parametrize(
    "subject",
    [
        "Automatic reply: [LPSE-BTG #BTG-2026-00042] Akun",
        "Balasan otomatis: [LPSE-BTG #BTG-2026-00042] Akun",
        "Balasan Otomatis: Akun",
        "Out of Office: Akun",
        "Auto-Reply: Akun",
        "[LPSE-BTG #BTG-2026-00042] Out of Office",
    ],
)
def test_subject_is_a_weak_auto_reply_signal(subject: str) -> None:
    for verdict in both(message({"Subject": subject})):
        assert verdict is not None
        assert verdict.kind is NoiseKind.AUTO_REPLY
        assert verdict.strong is False


def test_human_reply_quoting_out_of_office_is_not_noise() -> None:
    assert both(message({"Subject": "Re: Out of Office kemarin"})) == [None, None, None]


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({"X-Failed-Recipients": "helpdesk@lkpp.go.id"}, "x-failed-recipients"),
        ({"From": "MAILER-DAEMON@mx.batangkab.go.id"}, "from mailer-daemon"),
        ({"From": "Mail Delivery System <postmaster@lkpp.go.id>"}, "from postmaster"),
        (
            {"Return-Path": "<>", "Subject": "Undelivered Mail Returned to Sender"},
            "null return-path and bounce subject",
        ),
    ],
)
def test_strong_bounce_signals(headers: dict[str, str], reason: str) -> None:
    raw = message(headers)
    if "From" in headers:
        raw = raw.replace(b"From: Helpdesk LKPP <helpdesk@lkpp.go.id>\r\n", b"", 1)
    for verdict in both(raw):
        assert verdict == Noise(NoiseKind.BOUNCE, reason, strong=True)


@pytest.mark.parametrize(
    "subject",
    ["Delivery Status Notification (Failure)", "Undeliverable: Akun", "Pesan tidak terkirim"],
)
def test_subject_is_a_weak_bounce_signal(subject: str) -> None:
    for verdict in both(message({"Subject": subject})):
        assert verdict is not None
        assert (verdict.kind, verdict.strong) == (NoiseKind.BOUNCE, False)


def test_reply_about_an_undelivered_notification_is_not_a_bounce() -> None:
    # A ticket about e-mail notifications: "tidak terkirim" is the user's problem, not a DSN.
    subject = "Re: [LPSE-BTG #BTG-2026-00049] Email notifikasi tidak terkirim ke penyedia"
    assert both(message({"Subject": subject})) == [None, None, None]


def dsn(original: str, *, kind: str = "message/rfc822") -> bytes:
    return (
        "From: MAILER-DAEMON@mx.batangkab.go.id (Mail Delivery System)\r\n"
        "To: lpse@batangkab.go.id\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        "Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain\r\n\r\nGagal.\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx\r\n\r\nFinal-Recipient: rfc822; helpdesk@lkpp.go.id\r\n"
        "Action: failed\r\nStatus: 5.1.1\r\n"
        f"--B\r\nContent-Type: {kind}\r\n\r\n{original}\r\n--B--\r\n"
    ).encode()


ORIGINAL = f"From: lpse@batangkab.go.id\r\nMessage-ID: {OUR_ID}\r\nSubject: x\r\n\r\nIsi\r\n"


@pytest.mark.parametrize("kind", ["message/rfc822", "text/rfc822-headers"])
def test_dsn_is_a_bounce_and_names_the_original(kind: str) -> None:
    raw = dsn(ORIGINAL, kind=kind)
    for verdict in both(raw):
        assert verdict == Noise(NoiseKind.BOUNCE, "multipart/report delivery-status")
    for msg in (
        email.message_from_bytes(raw, policy=policy.default),
        email.message_from_bytes(raw, policy=policy.compat32),
        parse_message(raw, max_bytes=1_000_000),
    ):
        assert bounced_message_id(msg) == OUR_ID


def test_bounce_with_original_pasted_as_text() -> None:
    raw = message(
        {"X-Failed-Recipients": "x@lkpp.go.id"},
        body=f"Pesan tidak terkirim.\r\n\r\n----- Original message -----\r\n{ORIGINAL}",
    )
    assert bounced_message_id(email.message_from_bytes(raw, policy=policy.default)) == OUR_ID
    assert parse_message(raw, max_bytes=1_000_000).bounced_message_id == OUR_ID


def test_original_without_message_id() -> None:
    raw = dsn("From: lpse@batangkab.go.id\r\nSubject: x\r\n\r\nIsi\r\n")
    assert bounced_message_id(email.message_from_bytes(raw, policy=policy.default)) is None


def test_non_bounce_has_no_bounced_id() -> None:
    assert bounced_message_id(email.message_from_bytes(message({}))) is None


def test_delivery_status_part_without_report_type() -> None:
    msg = EmailMessage()
    msg["From"] = "server@lkpp.go.id"
    msg["Subject"] = "Laporan"
    msg.set_content("Laporan pengiriman")
    msg.add_attachment(b"Reporting-MTA: dns; x\r\n", maintype="message", subtype="delivery-status")
    verdict = detect_noise(msg)
    assert verdict is not None and verdict.kind is NoiseKind.BOUNCE


def test_deeply_nested_message_does_not_recurse_forever() -> None:
    raw = b"From: a@b\r\nContent-Type: multipart/mixed; boundary=b0\r\n\r\n"
    for depth in range(1, 200):
        raw += (
            f"--b{depth - 1}\r\nContent-Type: multipart/mixed; boundary=b{depth}\r\n\r\n".encode()
        )
    msg = email.message_from_bytes(raw, policy=policy.default)
    assert detect_noise(msg) is None
    assert bounced_message_id(msg) is None
