"""Ingest of stored emails: every corpus email lands on its ticket, in noise or in quarantine."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.config import Settings
from bot.domain.sop import Action, Actor, LkppReplyClass, State
from bot.mail.inbox import message_key
from bot.mail.ingest import MAYBE_AUTOMATIC, NOT_ALLOWED, OVERSIZE, Ingestor
from bot.services import Services, open_services
from bot.storage.mail import MATCHED, NOISE, QUARANTINED, MailStore
from bot.workflow import By
from tests.support.clock import FakeClock
from tests.support.settings import make_settings
from tests.support.tickets import STAFF, escalated, reported

CORPUS = Path(__file__).resolve().parents[2] / "fixtures" / "eml"
EXPECTED: dict[str, dict] = json.loads((CORPUS / "expected.json").read_text())


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    # The corpus was signed with b"test-secret", shorter than a real MAIL_SECRET may be.
    base = make_settings(tmp_path / "data")
    return base.model_copy(update={"mail_secret": SecretStr("test-secret")})


@pytest.fixture
async def corpus_services(settings: Settings, clock: FakeClock) -> AsyncIterator[Services]:
    """Tickets BTG-2026-00001 … 00050; 00042 … 00050 escalated to LKPP."""
    services = await open_services(settings, clock)
    try:
        for seq in range(1, 51):
            number = (await reported(services)).ticket.number
            if seq >= 42:
                wf = services.workflow
                await wf.apply(number, Action.TAKE, Actor.STAFF, STAFF)
                await wf.apply(number, Action.CANNOT_HANDLE, Actor.STAFF, STAFF)
                await wf.apply(number, Action.ESCALATE, Actor.STAFF, STAFF)
                await wf.apply(number, Action.ESCALATION_DELIVERED, Actor.SYSTEM)
        yield services
    finally:
        await services.db.close()


async def _store(services: Services, raw: bytes) -> int:
    """Store ``raw`` under the key the IMAP reader uses; the id of its row."""
    store = MailStore(services.db)
    key = message_key(raw)
    await store.store_raw(key, raw, services.clock())
    row = await store.inbox_by_message_id(key)
    assert row is not None
    return row.id


def _expected_state(facts: dict) -> tuple[str, str | None]:
    if facts["noise"] and facts.get("noise_strong", True):
        return NOISE, None
    if facts.get("sender_allowed") is False:
        return QUARANTINED, NOT_ALLOWED
    number = facts["ticket_ref"] or facts["subject_tag"]
    if number is None:
        return QUARANTINED, None
    if facts["noise"]:
        return QUARANTINED, MAYBE_AUTOMATIC
    return MATCHED, number


async def test_every_corpus_email_lands_where_it_belongs(corpus_services: Services) -> None:
    services = corpus_services
    ingestor = Ingestor(services)
    store = MailStore(services.db)
    seen = 0
    for name in sorted(EXPECTED):
        facts = EXPECTED[name]
        raw = (CORPUS / name).read_bytes()
        key = message_key(raw)
        new = await store.store_raw(key, raw, services.clock())
        if facts.get("duplicate_of"):
            # A second delivery (other route, same Message-ID): kept once, not ingested again.
            assert not new, name
            row = await store.inbox_by_message_id(key)
            assert row is not None and row.raw == (CORPUS / facts["duplicate_of"]).read_bytes()
            assert await ingestor.ingest_pending() == [], name
            continue
        assert new, f"{name} shares its Message-ID with an earlier corpus email"
        row = await store.inbox_by_message_id(key)
        assert row is not None
        inbox_id = row.id
        result = await ingestor.ingest(inbox_id)
        state, detail = _expected_state(facts)
        assert result.state == state, (name, result)
        if state == MATCHED:
            assert result.ticket_number == detail, name
            assert result.cls is not None and result.cls.name == facts["class"], (name, result)
            assert result.by_tag == facts["by_tag"], name
            reply = await store.reply(result.reply_id or 0)
            assert reply is not None
            if facts["reply_contains"]:
                assert facts["reply_contains"] in reply.full_text, name
        elif state == QUARANTINED and detail:
            assert result.reason == detail, (name, result)
        if facts.get("bounced_ticket"):
            row = await store.inbox(inbox_id)
            assert row is not None and row.alert, name
            assert result.ticket_number == facts["bounced_ticket"]
        seen += 1
    assert seen >= 40
    assert sum((await store.count_inbox()).values()) == seen  # one row per distinct email


async def test_tagged_reply_applies_its_step_in_the_same_transaction(
    corpus_services: Services,
) -> None:
    services = corpus_services
    raw = (CORPUS / "03_gmail_id_tag_data.eml").read_bytes()
    result = await Ingestor(services).ingest(await _store(services, raw))
    assert result.cls is LkppReplyClass.DATA_REQUEST and result.by_tag
    ticket = await services.workflow.get("BTG-2026-00044")
    assert ticket.state is State.LKPP_REQUESTED_DATA
    assert ticket.id is not None
    actions = [e.action for e in await services.workflow.store.events(ticket.id)]
    assert actions[-2:] == [Action.LKPP_REPLY_RECEIVED, Action.LKPP_REQUEST_DATA]
    reply = await MailStore(services.db).reply(result.reply_id or 0)
    assert reply is not None and reply.confirmed_class == LkppReplyClass.DATA_REQUEST.value


async def test_second_fetch_is_a_no_op(corpus_services: Services) -> None:
    services = corpus_services
    store = MailStore(services.db)
    raw = (CORPUS / "01_gmail_id_solved_untagged.eml").read_bytes()
    assert await store.store_raw(message_key(raw), raw, services.clock())
    assert not await store.store_raw(message_key(raw), raw, services.clock())
    ingestor = Ingestor(services)
    first = await ingestor.ingest_pending()
    again = await ingestor.ingest_pending()
    assert [r.state for r in first] == [MATCHED]
    assert again == []
    ticket = await services.workflow.get("BTG-2026-00042")
    assert ticket.id is not None
    assert len(await store.replies_for_ticket(ticket.id)) == 1


async def test_oversize_and_hostile_input_is_quarantined_not_fatal(
    corpus_services: Services,
) -> None:
    services = corpus_services
    services.settings = services.settings.model_copy(update={"mail_max_message_bytes": 2048})
    ingestor = Ingestor(services)
    big = (CORPUS / "52_long_10000_lines.eml").read_bytes()
    result = await ingestor.ingest(await _store(services, big))
    assert result.state == QUARANTINED and result.reason == OVERSIZE
    garbage = await ingestor.ingest(await _store(services, b"\x00\xff" * 5000))
    assert garbage.state == QUARANTINED


async def test_staff_attach_a_quarantined_email(corpus_services: Services) -> None:
    services = corpus_services
    raw = (CORPUS / "50_forged_reference_bad_hmac.eml").read_bytes()
    ingestor = Ingestor(services)
    result = await ingestor.ingest(await _store(services, raw))
    assert result.state == QUARANTINED
    attached = await ingestor.attach(result.inbox_id, "BTG-2026-00042", By(9101, "Sari"))
    assert attached.state == MATCHED and attached.ticket_number == "BTG-2026-00042"
    reply = await MailStore(services.db).reply(attached.reply_id or 0)
    assert reply is not None and reply.matched_by == "staf"
    with pytest.raises(LookupError):
        await ingestor.attach(result.inbox_id, "BTG-2026-00042", By(9101, "Sari"))


async def test_ticketing_system_mail_from_lkpp_is_an_answer_not_noise(
    corpus_services: Services,
) -> None:
    services = corpus_services
    raw = (CORPUS / "01_gmail_id_solved_untagged.eml").read_bytes()
    raw = raw.replace(b"Message-ID:", b"Auto-Submitted: auto-generated\r\nMessage-ID:", 1)
    result = await Ingestor(services).ingest(await _store(services, raw))
    assert result.state == MATCHED and result.ticket_number == "BTG-2026-00042"


async def test_hostile_attachment_name_is_stored_safely(corpus_services: Services) -> None:
    services = corpus_services
    raw = (CORPUS / "26_attachment_path_traversal.eml").read_bytes()
    result = await Ingestor(services).ingest(await _store(services, raw))
    assert result.state == MATCHED
    files = await MailStore(services.db).files(result.reply_id or 0)
    assert files
    for file in files:
        assert "/" not in file.file_name and "\\" not in file.file_name
        assert file.storage_path is not None
        assert _stored_under(services.settings.data_dir / "surel", file.storage_path, file.content)


def _stored_under(root: Path, stored: str, content: bytes) -> bool:
    path = Path(stored).resolve()
    return root.resolve() in path.parents and path.read_bytes() == content


async def test_an_internal_error_quarantines_that_email_and_the_next_one_goes_on(
    corpus_services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = corpus_services
    ingestor = Ingestor(services)
    first = await _store(services, (CORPUS / "01_gmail_id_solved_untagged.eml").read_bytes())
    second = await _store(services, (CORPUS / "02_gmail_en_data_request.eml").read_bytes())
    calls = []
    original = ingestor._accept

    async def broken_once(*args: object, **kwargs: object) -> object:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("disk full")
        return await original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ingestor, "_accept", broken_once)
    results = await ingestor.ingest_pending()
    assert [(r.inbox_id, r.state) for r in results] == [(first, QUARANTINED), (second, MATCHED)]
    assert (results[0].reason or "").startswith("galat_internal")


async def test_a_tagged_lkpp_email_is_one_progress_measurement(settings: Settings) -> None:
    """The ingest applies the reply and then its tag: the clocks see one email, not two."""
    from datetime import timedelta

    from bot.deadlines.component import install
    from bot.domain.sop import Clock
    from bot.storage.deadlines import ClockState, DeadlineStore
    from tests.support.deadlines_fixtures import RecordingNotifier

    clock = FakeClock()
    services = await open_services(settings, clock)
    install(services, RecordingNotifier(clock))  # type: ignore[arg-type]
    try:
        for _ in range(43):
            await reported(services)
        number = await escalated(services)  # BTG-2026-00044, the ticket of the email
        wf = services.workflow
        ingestor = Ingestor(services)
        clock.advance(hours=3)
        raw = (CORPUS / "13_thunderbird_id_progres_tag.eml").read_bytes()
        result = await ingestor.ingest(await _store(services, raw))
        assert result.cls is LkppReplyClass.PROGRESS and result.by_tag
        ticket = await wf.get(number)
        assert ticket.id is not None
        rows = [
            r for r in await DeadlineStore(services.db).for_ticket(ticket.id)
            if r.clock is Clock.LKPP_PROGRESS
        ]  # fmt: skip
        # One window, opened by the email and still running: no 0-second figure.
        assert [(r.state, r.measured) for r in rows] == [(ClockState.RUNNING, None)]
        [status] = [
            r for r in await DeadlineStore(services.db).for_ticket(ticket.id)
            if r.clock is Clock.LKPP_STATUS
        ]  # fmt: skip
        assert (status.state, status.measured) == (ClockState.MET, timedelta(hours=3))
    finally:
        await services.db.close()
