"""Staff decisions on LKPP's mail, called directly: no Telegram, a real migrated database."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest

from bot.domain.errors import DomainError, TicketNotFound
from bot.domain.sop import Action, LkppReplyClass, State
from bot.mail.replies import MailReplies, Outcome, can_forward
from bot.services import Services
from bot.storage.mail import DISCARDED, MATCHED, QUARANTINED, MailStore, ReplyRow
from bot.workflow import By
from tests.support.mail_bridge_fixtures import ingest_one, lkpp_reply
from tests.support.tickets import escalated

SARI, BUDI = By(9101, "Sari"), By(9102, "Budi")


async def _ingest(services: Services, raw: bytes) -> tuple[int, int | None]:
    result = await ingest_one(services, raw)
    return result.inbox_id, result.reply_id


async def _reply(services: Services, number: str, body: str) -> ReplyRow:
    _, reply_id = await _ingest(services, lkpp_reply(services, number, body))
    assert reply_id is not None
    reply = await MailStore(services.db).reply(reply_id)
    assert reply is not None and reply.confirmed_class is None  # untagged: staff decide
    return reply


async def test_confirm_applies_the_class_step_once_and_records_who(services: Services) -> None:
    number = await escalated(services)
    reply = await _reply(services, number, "Mohon dikirimkan tangkapan layar dan kode paket.")
    replies = MailReplies(services)
    first, second = await asyncio.gather(
        replies.confirm(reply, LkppReplyClass.DATA_REQUEST, SARI),
        replies.confirm(reply, LkppReplyClass.SOLVED, BUDI),
    )
    assert {first, second} == {Outcome.DONE, Outcome.ALREADY_HANDLED}
    winner = SARI if first is Outcome.DONE else BUDI
    stored = await MailStore(services.db).reply(reply.id)
    assert stored is not None and stored.confirmed_by_name == winner.name
    ticket = await services.workflow.get(number)
    expected = State.LKPP_REQUESTED_DATA if winner is SARI else State.LKPP_SOLVED
    assert ticket.state is expected
    assert await replies.confirm(reply, LkppReplyClass.GUIDE, SARI) is Outcome.ALREADY_HANDLED
    assert (await services.workflow.get(number)).state is expected


async def test_a_refused_step_leaves_the_reply_unconfirmed(services: Services) -> None:
    number = await escalated(services)
    solved = await _reply(services, number, "Akun sudah dibuka kembali.")
    later = await _reply(services, number, "Mohon tunggu, sedang kami periksa.")
    replies = MailReplies(services)
    assert await replies.confirm(solved, LkppReplyClass.SOLVED, SARI) is Outcome.DONE
    with pytest.raises(DomainError):
        await replies.confirm(later, LkppReplyClass.DATA_REQUEST, SARI)
    stored = await MailStore(services.db).reply(later.id)
    assert stored is not None and stored.confirmed_class is None  # rolled back with the step
    assert (await services.workflow.get(number)).state is State.LKPP_SOLVED


async def test_forward_passes_the_request_and_lkpp_files_to_the_user_once(
    services: Services,
) -> None:
    number = await escalated(services)
    reply = await _reply(services, number, "Mohon dilampirkan screenshot halaman unggah.")
    replies = MailReplies(services)
    assert not can_forward(reply)
    assert await replies.forward(reply, SARI) is Outcome.ALREADY_HANDLED  # not confirmed yet
    assert await replies.confirm(reply, LkppReplyClass.DATA_REQUEST, SARI) is Outcome.DONE
    confirmed = await MailStore(services.db).reply(reply.id)
    assert confirmed is not None and can_forward(confirmed)

    assert await replies.forward(confirmed, BUDI) is Outcome.DONE
    ticket = await services.workflow.get(number)
    assert ticket.state is State.AWAITING_USER_DATA and ticket.id is not None
    passed = await services.workflow.store.last_event(ticket.id, [Action.PASS_REQUEST_TO_USER])
    assert passed is not None and "screenshot" in passed.details["text"]
    assert (passed.actor_id, passed.actor_name) == (BUDI.id, BUDI.name)
    assert "panduan.pdf" in [a.file_name for a in ticket.attachments if a.source == "lkpp"]
    forwarded = await MailStore(services.db).reply(reply.id)
    assert forwarded is not None and forwarded.forwarded_at is not None
    assert not can_forward(forwarded)
    assert await replies.forward(forwarded, SARI) is Outcome.ALREADY_HANDLED


async def test_a_progress_reply_is_never_forwarded(services: Services) -> None:
    number = await escalated(services)
    reply = await _reply(services, number, "Sedang kami proses bersama tim pengembang.")
    replies = MailReplies(services)
    assert await replies.confirm(reply, LkppReplyClass.PROGRESS, SARI) is Outcome.DONE
    confirmed = await MailStore(services.db).reply(reply.id)
    assert confirmed is not None and not can_forward(confirmed)
    assert await replies.forward(confirmed, SARI) is Outcome.ALREADY_HANDLED


async def test_attach_makes_a_quarantined_email_the_tickets_reply(services: Services) -> None:
    number = await escalated(services)
    raw = lkpp_reply(services, number, "#SELESAI Akun sudah dibuka.", sender="staf@gmail.com",
                 with_file=False)  # fmt: skip
    inbox_id, _ = await _ingest(services, raw)
    store, replies = MailStore(services.db), MailReplies(services)
    row = await store.inbox(inbox_id)
    assert row is not None and row.state == QUARANTINED

    with pytest.raises(TicketNotFound):
        await replies.attach(inbox_id, "BTG-2026-99999", SARI)
    row = await store.inbox(inbox_id)
    assert row is not None and row.state == QUARANTINED  # nothing changed

    assert await replies.attach(inbox_id, number, SARI) is Outcome.DONE
    row = await store.inbox(inbox_id)
    assert row is not None and row.state == MATCHED
    assert (await services.workflow.get(number)).state is State.LKPP_SOLVED
    assert await replies.attach(inbox_id, number, SARI) is Outcome.ALREADY_HANDLED


async def test_discard_sets_a_quarantined_email_aside_once(services: Services) -> None:
    number = await escalated(services)
    spam = lkpp_reply(services, number, "Promo!", sender="promo@spam.example", with_file=False)
    spam_id, _ = await _ingest(services, spam)
    answer_id, _ = await _ingest(services, lkpp_reply(services, number, "Sedang kami proses."))
    store, replies = MailStore(services.db), MailReplies(services)
    assert await replies.discard(spam_id, SARI) is Outcome.DONE
    assert await replies.discard(spam_id, BUDI) is Outcome.ALREADY_HANDLED
    spam = await store.inbox(spam_id)
    assert spam is not None and spam.state == DISCARDED and spam.raw  # kept, set aside
    assert await replies.discard(answer_id, SARI) is Outcome.ALREADY_HANDLED  # not quarantined
    answer = await store.inbox(answer_id)
    assert answer is not None and answer.state == MATCHED


def test_the_use_cases_load_no_telegram() -> None:
    """The module stays usable (and testable) without the Telegram library loaded at all."""
    code = (
        "import sys, bot.mail.replies\n"
        "loaded = [m for m in sys.modules if m == 'telegram' or m.startswith('telegram.')]\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
