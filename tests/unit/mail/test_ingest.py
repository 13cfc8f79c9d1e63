"""Where each corpus email goes, decided without a database (:func:`bot.mail.ingest.decide`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.config import Settings
from bot.mail.ingest import (
    MAYBE_AUTOMATIC,
    NOT_ALLOWED,
    OTHER_LPSE,
    OVERSIZE,
    UNMATCHED,
    decide,
)
from bot.mail.parsing import ParsedMail, parse_message
from bot.mail.sender_auth import (
    AUTH_FAILED,
    DISPLAY_NAME_ADDRESS,
    DMARC_FAILED,
    FOREIGN_SENDER,
    MULTIPLE_FROM,
    NO_AUTH_RESULT,
    aligned,
    authentication_problem,
    header_problem,
)
from bot.storage.mail import MATCHED, NOISE, QUARANTINED
from tests.support.settings import make_settings

CORPUS = Path(__file__).resolve().parents[2] / "fixtures" / "eml"
EXPECTED: dict[str, dict] = json.loads((CORPUS / "expected.json").read_text())
SECRET = b"test-secret"  # what the corpus was signed with


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_settings(tmp_path_factory.mktemp("data"))


def _parse(name: str, max_bytes: int = 10**7) -> ParsedMail:
    return parse_message((CORPUS / name).read_bytes(), max_bytes=max_bytes)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_verdicts(name: str, settings: Settings) -> None:
    facts = EXPECTED[name]
    verdict = decide(_parse(name), settings, SECRET)
    if facts["noise"] and facts.get("noise_strong", True):
        assert verdict.state == NOISE
        assert verdict.bounce == (facts["noise"] == "BOUNCE")
    elif facts.get("header_reason"):
        assert (verdict.state, verdict.reason) == (QUARANTINED, facts["header_reason"])
    elif facts.get("sender_allowed") is False:
        assert (verdict.state, verdict.reason) == (QUARANTINED, NOT_ALLOWED)
    elif not (facts["ticket_ref"] or facts["subject_tag"]):
        assert verdict.state == QUARANTINED
    else:
        assert verdict.state == MATCHED
        assert verdict.number == (facts["ticket_ref"] or facts["subject_tag"])
        assert verdict.matched_by == ("message_id" if facts["ticket_ref"] else "subjek")
        assert verdict.reason == (MAYBE_AUTOMATIC if facts["noise"] else None)


def test_signed_id_wins_over_the_subject_tag(settings: Settings) -> None:
    verdict = decide(_parse("01_gmail_id_solved_untagged.eml"), settings, SECRET)
    assert verdict.matched_by == "message_id"


def test_with_another_secret_only_the_subject_tag_is_left(settings: Settings) -> None:
    verdict = decide(_parse("01_gmail_id_solved_untagged.eml"), settings, b"another-secret")
    assert (verdict.state, verdict.matched_by) == (MATCHED, "subjek")


def test_forged_reference_without_tag_is_quarantined(settings: Settings) -> None:
    verdict = decide(_parse("50_forged_reference_bad_hmac.eml"), settings, SECRET)
    assert (verdict.state, verdict.reason) == (QUARANTINED, UNMATCHED)


def test_oversize_is_quarantined(settings: Settings) -> None:
    verdict = decide(_parse("52_long_10000_lines.eml", max_bytes=4096), settings, SECRET)
    assert (verdict.state, verdict.reason) == (QUARANTINED, OVERSIZE)


def test_tag_of_another_lpse_is_quarantined(tmp_path: Path) -> None:
    other = make_settings(tmp_path, lpse_code="PKL")
    verdict = decide(_parse("35_subject_tag_only_selesai.eml"), other, SECRET)
    assert (verdict.state, verdict.reason) == (QUARANTINED, OTHER_LPSE)


# --- sender authentication by the LPSE's receiving server ---------------------------------
AUTH_CASES = sorted(name for name, facts in EXPECTED.items() if "auth_reason" in facts)


@pytest.fixture(scope="module")
def trusting(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings that trust the corpus's receiving server, ``mx.batangkab.go.id``."""
    return make_settings(
        tmp_path_factory.mktemp("trusting"), mail_trusted_authserv_id=" MX.Batangkab.go.id "
    )


def test_the_corpus_covers_every_authentication_outcome() -> None:
    reasons = {EXPECTED[name]["auth_reason"] for name in AUTH_CASES}
    assert reasons == {None, DMARC_FAILED, NO_AUTH_RESULT, AUTH_FAILED}


@pytest.mark.parametrize("name", AUTH_CASES)
def test_authentication_results_of_the_trusted_server_decide(
    name: str, trusting: Settings, settings: Settings
) -> None:
    expected = EXPECTED[name]["auth_reason"]
    verdict = decide(_parse(name), trusting, SECRET)
    if expected is None:
        assert (verdict.state, verdict.reason) == (MATCHED, None)
    else:
        assert (verdict.state, verdict.reason) == (QUARANTINED, expected)
        assert verdict.number == EXPECTED[name]["ticket_ref"]  # staff see which ticket
    # Without MAIL_TRUSTED_AUTHSERV_ID the same email is an ordinary LKPP reply.
    assert decide(_parse(name), settings, SECRET).state == MATCHED


def test_with_authentication_on_an_ordinary_reply_without_results_is_quarantined(
    trusting: Settings,
) -> None:
    verdict = decide(_parse("01_gmail_id_solved_untagged.eml"), trusting, SECRET)
    assert (verdict.state, verdict.reason) == (QUARANTINED, NO_AUTH_RESULT)


def test_authentication_is_asked_only_of_mail_that_claims_to_be_lkpp(trusting: Settings) -> None:
    verdict = decide(_parse("49_spoofed_sender_valid_tag.eml"), trusting, SECRET)
    assert (verdict.state, verdict.reason) == (QUARANTINED, NOT_ALLOWED)


def _mail(from_addr: str, results: list[str]) -> ParsedMail:
    head = "".join(f"Authentication-Results: {value}\r\n" for value in results)
    raw = f"{head}From: {from_addr}\r\nSubject: x\r\n\r\nisi\r\n".encode()
    return parse_message(raw, max_bytes=10**6)


@pytest.mark.parametrize(
    ("from_addr", "results", "reason"),
    [
        # DMARC passed, but for another From domain than this email's.
        ("a@lkpp.go.id", ["mx.x; dmarc=pass header.from=other.example"], AUTH_FAILED),
        # d=go.id is a public suffix, never aligned with lkpp.go.id.
        ("a@lkpp.go.id", ["mx.x; dkim=pass header.d=go.id"], AUTH_FAILED),
        # A subdomain of LKPP signing for LKPP's address aligns (relaxed alignment).
        ("a@lkpp.go.id", ["mx.x; dkim=pass header.d=mail.lkpp.go.id"], None),
        ("a@lkpp.go.id", ["mx.x; dkim=fail header.d=lkpp.go.id; dmarc=reject"], DMARC_FAILED),
        # Only the topmost header with the trusted id counts.
        ("a@lkpp.go.id", ["mx.x; dmarc=pass", "mx.x; dmarc=fail"], None),
        ("a@lkpp.go.id", ["mx.x; dmarc=fail", "mx.x; dmarc=pass"], DMARC_FAILED),
        # A comment before the id is allowed by RFC 8601.
        ("a@lkpp.go.id", ["(mail server) mx.x; dmarc=pass header.from=lkpp.go.id"], None),
        ("a@lkpp.go.id", ["mx.x.evil; dmarc=pass", "mx.xx; dmarc=pass"], NO_AUTH_RESULT),
        ("a@lkpp.go.id", ["mx.x; dmarc=pass header.from=lkpp.go.id; ;;; garbage ="], AUTH_FAILED),
    ],
)
def test_authentication_rules(from_addr: str, results: list[str], reason: str | None) -> None:
    assert authentication_problem(_mail(from_addr, results), "mx.x", ["lkpp.go.id"]) == reason


def test_dkim_alignment_needs_a_configured_lkpp_domain() -> None:
    assert aligned("lkpp.go.id", "lkpp.go.id", [])
    assert aligned("lkpp.go.id", "helpdesk.lkpp.go.id", ["lkpp.go.id"])
    assert not aligned("lkpp.go.id", "helpdesk.lkpp.go.id", [])
    assert not aligned("go.id", "lkpp.go.id", ["lkpp.go.id"])
    assert not aligned("", "lkpp.go.id", ["lkpp.go.id"])


@pytest.mark.parametrize(
    ("from_header", "extra", "reason"),
    [
        ("a@lkpp.go.id, b@evil.example", "", MULTIPLE_FROM),
        ("a@lkpp.go.id", "From: b@evil.example\r\n", MULTIPLE_FROM),  # two From lines
        ("a@lkpp.go.id, a@lkpp.go.id", "", None),  # the same address twice is one author
        ("a@lkpp.go.id", "Sender: s@evil.example\r\n", FOREIGN_SENDER),
        ("a@lkpp.go.id", "Sender: s@mail.lkpp.go.id\r\n", None),
        ("a@helpdesk.lkpp.go.id", "Sender: s@lkpp.go.id\r\n", None),  # LKPP's own domain
        ("a@helpdesk.example", "Sender: s@example\r\n", FOREIGN_SENDER),
        ('"b@evil.example" <a@lkpp.go.id>', "", DISPLAY_NAME_ADDRESS),
        ('"A@LKPP.go.id" <a@lkpp.go.id>', "", None),
        ("Helpdesk LKPP <a@lkpp.go.id>", "", None),
    ],
)
def test_header_rules(from_header: str, extra: str, reason: str | None) -> None:
    raw = f"From: {from_header}\r\n{extra}Subject: x\r\n\r\nisi\r\n".encode()
    assert header_problem(parse_message(raw, max_bytes=10**6), ["lkpp.go.id"]) == reason


def test_every_quarantine_reason_has_indonesian_words_for_staff() -> None:
    from bot.domain.sop import LkppReplyFit
    from bot.mail import ingest, sender_auth
    from bot.text import Texts
    from tests.support.clock import WIB

    texts = Texts(WIB)
    names = ("NOT_ALLOWED", "UNMATCHED", "NO_TICKET", "OTHER_LPSE", "OVERSIZE", "UNREADABLE",
             "MAYBE_AUTOMATIC")  # fmt: skip
    reasons = {getattr(ingest, name) for name in names}
    reasons |= {fit.value for fit in LkppReplyFit if fit is not LkppReplyFit.ACCEPTED}
    reasons |= {getattr(sender_auth, name) for name in sender_auth.__all__ if name.isupper()}
    for reason in reasons:
        assert texts.has(f"surel_karantina.{reason}"), reason
    assert "DMARC gagal" in texts.plain_msg("surel_karantina.dmarc_gagal")
    assert "tidak ada hasil autentikasi dari server LPSE" in texts.plain_msg(
        "surel_karantina.autentikasi_tidak_ada"
    )
