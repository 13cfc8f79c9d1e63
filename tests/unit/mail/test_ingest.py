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
