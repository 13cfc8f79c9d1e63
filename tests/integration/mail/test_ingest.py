"""Ingest of stored emails: every corpus email lands on its ticket, in noise or in quarantine."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.config import Settings
from bot.domain.errors import IllegalTransition
from bot.domain.sop import Action, Actor, LkppReplyClass, LkppReplyFit, State
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


#: How a ticket LKPP already answered goes back to waiting for LKPP: solved or handed back,
#: the user reopens it and staff escalate again (details satisfy every guard).
_BACK_TO_LKPP = {
    State.LKPP_SOLVED: [(Action.PASS_SOLUTION_TO_USER, Actor.STAFF)],
    State.LPSE_AUTHORITY: [(Action.SOLVE_LOCALLY, Actor.STAFF)],
    State.SOLVED: [(Action.USER_REOPENS, Actor.USER)],
    State.IN_PROGRESS: [
        (Action.CANNOT_HANDLE, Actor.STAFF),
        (Action.ESCALATE, Actor.STAFF),
        (Action.ESCALATION_DELIVERED, Actor.SYSTEM),
    ],
}


async def _waiting_for_lkpp(services: Services, number: str | None) -> None:
    """Put ``number`` back in a state that accepts LKPP's email (strict threading)."""
    if number is None:
        return
    wf = services.workflow
    ticket = await wf.get(number)
    while ticket.state in _BACK_TO_LKPP:
        for action, actor in _BACK_TO_LKPP[ticket.state]:
            await wf.apply(number, action, actor, STAFF, details={"text": "x", "reason": "x"})
        ticket = await wf.get(number)


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
    if facts.get("header_reason") or facts.get("ingest_reason"):
        return QUARANTINED, facts.get("header_reason") or facts["ingest_reason"]
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
        await _waiting_for_lkpp(services, facts["ticket_ref"] or facts["subject_tag"])
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
    # Users and staff read LKPP's words without the tag; the original keeps it.
    assert "#DATA" not in reply.reply_text and "tangkapan layar" in reply.reply_text
    assert "#DATA" in reply.full_text
    events = await services.workflow.store.events(ticket.id)
    assert "#DATA" not in events[-1].details["text"]


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


# --- strict threading: only a ticket waiting for LKPP accepts LKPP's email --------------------
_TAKEN = [(Action.TAKE, Actor.STAFF)]
_DELIVERED = [*_TAKEN, (Action.CANNOT_HANDLE, Actor.STAFF), (Action.ESCALATE, Actor.STAFF),
              (Action.ESCALATION_DELIVERED, Actor.SYSTEM)]  # fmt: skip
_LKPP_SOLVED = [*_DELIVERED, (Action.LKPP_SOLVED, Actor.LKPP)]
_REFUSING = {
    State.NEW: ([], "tiket_belum_dieskalasi"),
    State.IN_PROGRESS: (_TAKEN, "tiket_belum_dieskalasi"),
    State.CANNOT_HANDLE: ([*_TAKEN, (Action.CANNOT_HANDLE, Actor.STAFF)],
                          "tiket_belum_dieskalasi"),
    State.SOLVED: ([*_TAKEN, (Action.SOLVE_LOCALLY, Actor.STAFF)], "tiket_belum_dieskalasi"),
    State.LPSE_AUTHORITY: ([*_DELIVERED, (Action.LKPP_GUIDE, Actor.LKPP)],
                           "tiket_tidak_menunggu_lkpp"),
    State.LKPP_SOLVED: (_LKPP_SOLVED, "tiket_tidak_menunggu_lkpp"),
    State.CLOSED: ([*_LKPP_SOLVED, (Action.PASS_SOLUTION_TO_USER, Actor.STAFF),
                    (Action.USER_CONFIRMS, Actor.USER)], "tiket_sudah_berakhir"),
    State.CANCELLED: ([(Action.USER_CANCELS, Actor.USER)], "tiket_sudah_berakhir"),
}  # fmt: skip


@pytest.mark.parametrize("state", list(_REFUSING), ids=str)
async def test_a_tagged_reply_for_a_ticket_not_waiting_for_lkpp_goes_to_staff(
    settings: Settings, clock: FakeClock, state: State
) -> None:
    """``#SELESAI`` for BTG-2026-00001 in each state that must refuse it: quarantined with
    the reason, the ticket and its clocks untouched, no LKPP reply recorded."""
    walk, reason = _REFUSING[state]
    services = await open_services(settings, clock)
    try:
        number = (await reported(services)).ticket.number
        assert number == "BTG-2026-00001"
        for action, actor in walk:
            await services.workflow.apply(
                number, action, actor, STAFF, details={"text": "x", "reason": "x"}
            )
        before = await services.workflow.get(number)
        assert before.state is state and before.id is not None
        events = len(await services.workflow.store.events(before.id))
        raw = (CORPUS / "67_tagged_reply_for_ticket_never_escalated.eml").read_bytes()
        result = await Ingestor(services).ingest(await _store(services, raw))
        assert (result.state, result.reason, result.ticket_number) == (QUARANTINED, reason, number)
        after = await services.workflow.get(number)
        assert after.state is state
        assert len(await services.workflow.store.events(before.id)) == events
        store = MailStore(services.db)
        assert await store.replies_for_ticket(before.id) == []
        row = await store.inbox(result.inbox_id)
        assert row is not None and row.ticket_id == before.id  # staff see it under the ticket
    finally:
        await services.db.close()


async def test_staff_cannot_attach_a_reply_to_a_ticket_lkpp_already_answered(
    settings: Settings, clock: FakeClock
) -> None:
    services = await open_services(settings, clock)
    try:
        number = (await reported(services)).ticket.number
        for action, actor in _LKPP_SOLVED:
            await services.workflow.apply(number, action, actor, STAFF)
        raw = (CORPUS / "67_tagged_reply_for_ticket_never_escalated.eml").read_bytes()
        ingestor = Ingestor(services)
        result = await ingestor.ingest(await _store(services, raw))
        with pytest.raises(IllegalTransition):
            await ingestor.attach(result.inbox_id, number, STAFF)
        assert (await services.workflow.get(number)).state is State.LKPP_SOLVED
    finally:
        await services.db.close()


async def test_a_ticket_that_moves_on_while_the_reply_is_read_is_judged_again(
    settings: Settings, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Read as waiting for LKPP, solved before the reply's transaction: the domain refuses the
    step, and the reply goes to staff with the reason that holds now."""
    services = await open_services(settings, clock)
    try:
        number = (await reported(services)).ticket.number
        for action, actor in _LKPP_SOLVED:
            await services.workflow.apply(number, action, actor, STAFF)
        ingestor = Ingestor(services)
        real = ingestor._fit
        calls: list[str] = []

        async def stale_then_real(ticket_number: str):  # type: ignore[no-untyped-def]
            calls.append(ticket_number)
            found = await real(ticket_number)
            assert found is not None
            return (found[0], LkppReplyFit.ACCEPTED) if len(calls) == 1 else found

        monkeypatch.setattr(ingestor, "_fit", stale_then_real)
        raw = (CORPUS / "67_tagged_reply_for_ticket_never_escalated.eml").read_bytes()
        result = await ingestor.ingest(await _store(services, raw))
        assert (result.state, result.reason) == (QUARANTINED, "tiket_tidak_menunggu_lkpp")
        assert len(calls) == 2
        assert (await services.workflow.get(number)).state is State.LKPP_SOLVED
    finally:
        await services.db.close()


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
