"""Signed Message-IDs and subject tags: how LKPP's replies find their ticket."""

from __future__ import annotations

import re

import pytest

from bot.mail.threading import (
    HMAC_CHARS,
    find_subject_tag,
    make_message_id,
    make_nonce,
    parse_message_id,
    split_message_ids,
    strip_reply_prefixes,
    subject_tag,
    ticket_from_references,
    verify_message_id,
)

SECRET = b"test-secret"
DOMAIN = "batangkab.go.id"


def mid(ticket: str = "BTG-2026-00042", purpose: str = "esk", nonce: str = "a1b2c3d4") -> str:
    return make_message_id(ticket, purpose, SECRET, DOMAIN, nonce=nonce)


def test_shape() -> None:
    value = mid()
    pattern = rf"<lpse\.BTG-2026-00042\.esk\.a1b2c3d4\.[a-z2-7]{{{HMAC_CHARS}}}@batangkab\.go\.id>"
    assert re.fullmatch(pattern, value)


def test_deterministic_for_same_inputs_and_different_per_nonce() -> None:
    assert mid() == mid()
    assert mid(nonce="aaaa") != mid(nonce="bbbb")


def test_ticket_number_is_normalised() -> None:
    assert mid("btg-2026-42") == mid("BTG-2026-00042")


def test_verify_round_trip() -> None:
    assert verify_message_id(mid(), SECRET) == "BTG-2026-00042"
    parsed = parse_message_id(mid(purpose="data"), SECRET)
    assert parsed is not None
    assert (parsed.ticket_number, parsed.purpose, parsed.nonce, parsed.domain) == (
        "BTG-2026-00042",
        "data",
        "a1b2c3d4",
        DOMAIN,
    )


def test_verify_tolerates_missing_brackets_and_spaces() -> None:
    assert verify_message_id("  " + mid().strip("<>") + " ", SECRET) == "BTG-2026-00042"


@pytest.mark.parametrize(
    "tamper",
    [
        lambda m: m.replace("00042", "00043"),  # another ticket
        lambda m: m.replace(".esk.", ".dat."),  # another purpose
        lambda m: m.replace("a1b2c3d4", "a1b2c3d5"),  # another nonce
        lambda m: (
            m[: m.index("@") - 1]
            + ("a" if m[m.index("@") - 1] != "a" else "b")
            + m[m.index("@") :]
        ),
        lambda m: m.replace("lpse.", "lpsx."),
    ],
)
def test_tampered_ids_do_not_verify(tamper) -> None:  # type: ignore[no-untyped-def]
    assert verify_message_id(tamper(mid()), SECRET) is None


def test_wrong_secret_does_not_verify() -> None:
    assert verify_message_id(mid(), b"another-secret") is None


def test_domain_is_not_part_of_the_proof() -> None:
    # The mailbox domain may change (migration); the HMAC still identifies our own mail.
    other = mid().replace("@batangkab.go.id", "@mail.batangkab.go.id")
    assert verify_message_id(other, SECRET) == "BTG-2026-00042"


@pytest.mark.parametrize(
    "value",
    [None, "", "<>", "garbage", "<CAB+123@mail.gmail.com>", "<lpse.BTG-2026-00042@x>", "<" * 500],
)
def test_foreign_ids_do_not_verify(value: str | None) -> None:
    assert verify_message_id(value, SECRET) is None


@pytest.mark.parametrize(
    ("purpose", "nonce", "domain", "ticket"),
    [
        ("es.k", "n1", DOMAIN, "BTG-2026-00042"),
        ("esk", "n 1", DOMAIN, "BTG-2026-00042"),
        ("esk", "", DOMAIN, "BTG-2026-00042"),
        ("esk", "n1", "bad domain", "BTG-2026-00042"),
        ("esk", "n1", "", "BTG-2026-00042"),
        ("esk", "n1", DOMAIN, "not a ticket"),
    ],
)
def test_make_rejects_invalid_parts(purpose: str, nonce: str, domain: str, ticket: str) -> None:
    with pytest.raises(ValueError, match=r"invalid|not a ticket"):
        make_message_id(ticket, purpose, SECRET, domain, nonce=nonce)


def test_make_nonce_is_fresh_and_usable() -> None:
    first, second = make_nonce(), make_nonce()
    assert first != second
    assert verify_message_id(mid(nonce=first), SECRET) == "BTG-2026-00042"


def test_split_message_ids() -> None:
    header = "<a@x>\r\n <b@y>\t<c@z> junk"
    assert split_message_ids(header) == ["<a@x>", "<b@y>", "<c@z>"]
    assert split_message_ids(["<a@x>", "b@y"]) == ["<a@x>", "<b@y>"]
    assert split_message_ids(None) == []
    assert split_message_ids("no ids here") == []


def test_ticket_from_in_reply_to() -> None:
    assert ticket_from_references(mid(), None, SECRET) == "BTG-2026-00042"


def test_ticket_from_references_prefers_newest_verified() -> None:
    older = mid("BTG-2026-00001")
    newer = mid("BTG-2026-00042", purpose="data")
    forged = f"<lpse.BTG-2026-00099.esk.n.{'a' * HMAC_CHARS}@{DOMAIN}>"
    refs = f"<CAF@mail.gmail.com> {older} <x@outlook.com> {newer} {forged}"
    assert ticket_from_references(None, refs, SECRET) == "BTG-2026-00042"
    assert ticket_from_references(None, [older, "<foreign@x>"], SECRET) == "BTG-2026-00001"


def test_in_reply_to_wins_over_references() -> None:
    assert (
        ticket_from_references(mid("BTG-2026-00007"), mid("BTG-2026-00042"), SECRET)
        == "BTG-2026-00007"
    )


def test_forged_in_reply_to_falls_back_to_references() -> None:
    forged = f"<lpse.BTG-2026-00007.esk.n1.{'a' * HMAC_CHARS}@{DOMAIN}>"
    assert ticket_from_references(forged, mid(), SECRET) == "BTG-2026-00042"
    assert ticket_from_references(forged, [forged], SECRET) is None


def test_subject_tag() -> None:
    assert subject_tag("btg", "BTG-2026-42") == "[LPSE-BTG #BTG-2026-00042]"
    with pytest.raises(ValueError, match="not a ticket"):
        subject_tag("BTG", "42")


@pytest.mark.parametrize(
    "subject",
    [
        "[LPSE-BTG #BTG-2026-00042] Akun terkunci",
        "Re: [LPSE-BTG #BTG-2026-00042] Akun terkunci",
        "RE: RE: [LPSE-BTG #BTG-2026-00042] Akun terkunci",
        "Balas: [LPSE-BTG #BTG-2026-00042] Akun terkunci",
        "Fwd: TR: [LPSE-BTG #BTG-2026-00042] Akun terkunci",
        "re: [lpse-btg #btg-2026-00042] akun terkunci",
        "Re:[ LPSE - BTG  #  BTG - 2026 - 00042 ]",
        "Akun terkunci [LPSE-BTG #BTG-2026-42]",
        "Automatic reply: [LPSE-BTG #BTG-2026-00042] Akun",
    ],
)
def test_find_subject_tag(subject: str) -> None:
    assert find_subject_tag(subject) == "BTG-2026-00042"


@pytest.mark.parametrize(
    "subject",
    [
        None,
        "",
        "Re: Akun terkunci",
        "BTG-2026-00042 tanpa tag",
        "[LPSE-BTG BTG-2026-00042]",
        "[#BTG-2026-00042]",
    ],
)
def test_find_subject_tag_absent(subject: str | None) -> None:
    assert find_subject_tag(subject) is None


def test_strip_reply_prefixes() -> None:
    assert strip_reply_prefixes("RE: Balas: Fwd: TR: Re[2]: Akun") == "Akun"
    assert strip_reply_prefixes("Reset akun") == "Reset akun"
    assert strip_reply_prefixes(None) == ""
