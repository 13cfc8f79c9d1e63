"""Every message of the .eml corpus against every fact stated in ``expected.json``.

The corpus (``tests/fixtures/eml``) imitates the LPSE mailbox: LKPP's replies from real clients,
auto-replies, bounces and hostile mail. Each test checks one fact of one file, so a failure names
both the client quirk and the module that mishandles it.
"""

from __future__ import annotations

import email
import json
import time
from email import policy
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from bot.domain.sop import LkppReplyClass
from bot.mail.autoreply import NoiseKind, bounced_message_id, detect_noise
from bot.mail.classify import classify
from bot.mail.inbox import message_key
from bot.mail.parsing import MAX_REPLY_CHARS, ParsedMail, parse_message
from bot.mail.threading import find_subject_tag, ticket_from_references, verify_message_id

CORPUS = Path(__file__).resolve().parents[2] / "fixtures" / "eml"
EXPECTED: dict[str, dict[str, Any]] = json.loads(
    (CORPUS / "expected.json").read_text(encoding="utf-8")
)
SECRET = b"test-secret"
MAX_BYTES = 5 * 1024 * 1024
ALLOWED_DOMAIN = "lkpp.go.id"
FILES = sorted(EXPECTED)
#: Auto-replies and bounces are never classified, so they have no expected class.
CLASSIFIED = [name for name in FILES if EXPECTED[name]["class"] is not None]


@cache
def parsed(name: str) -> ParsedMail:
    return parse_message((CORPUS / name).read_bytes(), max_bytes=MAX_BYTES)


def test_corpus_is_complete() -> None:
    on_disk = sorted(path.name for path in CORPUS.glob("*.eml"))
    assert on_disk == FILES
    assert len(FILES) >= 45


def test_every_email_has_its_own_message_id() -> None:
    """As in a real mailbox: the store de-duplicates by Message-ID (and by the same key the
    IMAP reader computes), so two different emails sharing one would hide each other. Only a
    deliberate second delivery, declared with ``duplicate_of``, repeats its original's id."""
    owners: dict[str, str] = {}
    for name in FILES:
        key = message_key((CORPUS / name).read_bytes())
        original = EXPECTED[name].get("duplicate_of")
        if original is None:
            assert key not in owners, (name, owners.get(key))
            owners[key] = name
        else:
            assert owners.get(key) == original, (name, key)
            assert (CORPUS / name).read_bytes() != (CORPUS / original).read_bytes()
    assert len(owners) == len(FILES) - sum("duplicate_of" in EXPECTED[n] for n in FILES)


@pytest.mark.parametrize("name", FILES)
def test_noise(name: str) -> None:
    facts = EXPECTED[name]
    noise = detect_noise(parsed(name))
    if facts["noise"] is None:
        assert noise is None, noise
    else:
        assert noise is not None
        assert noise.kind is NoiseKind[facts["noise"]]
        if "noise_strong" in facts:
            assert noise.strong is facts["noise_strong"], noise


@pytest.mark.parametrize("name", CLASSIFIED)
def test_class_and_tag(name: str) -> None:
    facts = EXPECTED[name]
    mail = parsed(name)
    result = classify(mail.reply_text, mail.subject)
    assert result.cls is LkppReplyClass[facts["class"]], (result, mail.reply_text[:500])
    assert result.by_tag is facts["by_tag"]


@pytest.mark.parametrize("name", FILES)
def test_ticket_from_references(name: str) -> None:
    mail = parsed(name)
    found = ticket_from_references(mail.in_reply_to, mail.references, SECRET)
    assert found == EXPECTED[name]["ticket_ref"]


@pytest.mark.parametrize("name", FILES)
def test_subject_tag(name: str) -> None:
    assert find_subject_tag(parsed(name).subject) == EXPECTED[name]["subject_tag"]


@pytest.mark.parametrize("name", FILES)
def test_reply_text(name: str) -> None:
    facts = EXPECTED[name]
    reply = parsed(name).reply_text
    assert facts["reply_contains"] in reply
    if facts["reply_not_contains"] is not None:
        assert facts["reply_not_contains"] not in reply
    if "also_contains" in facts:
        assert facts["also_contains"] in reply
    for cut in facts.get("signature_cut", []):
        assert cut not in reply, cut
    assert len(reply) <= facts.get("max_reply_chars", MAX_REPLY_CHARS)


@pytest.mark.parametrize("name", FILES)
def test_attachments(name: str) -> None:
    facts = EXPECTED[name]
    attachments = parsed(name).attachments
    assert len(attachments) == facts["attachments"]
    if "attachment_names" in facts:
        assert [a.filename for a in attachments] == facts["attachment_names"]
    if "attachment_types" in facts:
        assert [a.mime_type for a in attachments] == facts["attachment_types"]
    if "attachment_inline" in facts:
        assert [a.is_inline for a in attachments] == facts["attachment_inline"]
    for attachment in attachments:
        assert attachment.size == len(attachment.payload) > 0
        assert "/" not in attachment.filename and "\\" not in attachment.filename


@pytest.mark.parametrize("name", FILES)
def test_problems(name: str) -> None:
    assert sorted(parsed(name).problems) == sorted(EXPECTED[name]["problems"])


@pytest.mark.parametrize("name", FILES)
def test_other_facts(name: str) -> None:
    facts = EXPECTED[name]
    mail = parsed(name)
    assert mail.message_id.startswith("<") and mail.message_id.endswith(">")
    assert mail.message_id_synthesised is facts.get("message_id_synthesised", False)
    if "from_addr" in facts:
        assert mail.from_addr == facts["from_addr"]
    if "from_name" in facts:
        assert mail.from_name == facts["from_name"]
    if "subject" in facts:
        assert mail.subject == facts["subject"]
    if "text_contains" in facts:
        assert facts["text_contains"] in mail.text
    if "references_count" in facts:
        assert len(mail.references) == facts["references_count"]
    if "sender_allowed" in facts:
        domain = mail.from_addr.rpartition("@")[2]
        assert (domain == ALLOWED_DOMAIN) is facts["sender_allowed"]
    if "bounced_message_id" in facts:
        assert mail.bounced_message_id == facts["bounced_message_id"]
        assert verify_message_id(mail.bounced_message_id, SECRET) == facts["bounced_ticket"]
        # The same answer from the raw stdlib message, as the bridge may hold either.
        raw_msg = email.message_from_bytes((CORPUS / name).read_bytes(), policy=policy.default)
        assert bounced_message_id(raw_msg) == facts["bounced_message_id"]
        assert detect_noise(raw_msg) is not None


def test_whole_corpus_parses_quickly() -> None:
    start = time.perf_counter()
    for name in FILES:
        parse_message((CORPUS / name).read_bytes(), max_bytes=MAX_BYTES)
    assert time.perf_counter() - start < 3.0
