"""Staff see LKPP's mail in the group and act on it through the local Bot API server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from telegram.constants import ParseMode
from telegram.ext import Application, Defaults

from bot.domain.sop import Action, State
from bot.mail import compose
from bot.mail.staff_view import StaffView
from bot.registration import add_mail_buttons, add_mail_reply_handler
from bot.services import Services, open_services
from bot.storage.mail import DISCARDED, MATCHED, MailStore
from tests.support.botapi import BotApiServer
from tests.support.clock import FakeClock
from tests.support.mail_bridge_fixtures import ingest_one, lkpp_reply, outbox_row
from tests.support.outbox_fixtures import running_outbox
from tests.support.settings import ADMIN_ID, STAFF_CHAT_ID, make_settings
from tests.support.telegram_app_fixtures import STAFF_USER, bot_api  # noqa: F401 - fixture
from tests.support.tickets import escalated

App = Application[Any, Any, Any, Any, Any, Any]


@pytest.fixture
async def running(
    bot_api: BotApiServer,  # noqa: F811
    tmp_path: Path,
    clock: FakeClock,
) -> AsyncIterator[tuple[Services, StaffView, App]]:
    settings = make_settings(tmp_path / "data", telegram_bot_token=bot_api.token)
    services = await open_services(settings, clock)
    app = (
        Application.builder().token(bot_api.token).base_url(bot_api.base_url)
        .base_file_url(bot_api.base_file_url).defaults(Defaults(parse_mode=ParseMode.HTML))
        .build()
    )  # fmt: skip
    view = StaffView(services, app.bot)
    view.install()
    add_mail_reply_handler(app, view)
    add_mail_buttons(app, view)
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0.0, timeout=1)
    outbox = running_outbox(services, app.bot)
    await outbox.__aenter__()
    try:
        yield services, view, app
    finally:
        await app.updater.stop()
        await app.stop()
        await outbox.__aexit__(None, None, None)  # after the handlers, before the bot closes
        await app.shutdown()
        await services.db.close()


async def _ingest(services: Services, raw: bytes) -> int:
    result = await ingest_one(services, raw)
    return result.reply_id or result.inbox_id


async def test_reply_is_posted_confirmed_and_forwarded_to_the_user(
    running: tuple[Services, StaffView, App],
    bot_api: BotApiServer,  # noqa: F811
) -> None:
    services, view, _ = running
    number = await escalated(services)
    body = "Mohon dilampirkan screenshot halaman unggah dan kode paket yang bermasalah."
    reply_id = await _ingest(services, lkpp_reply(services, number, body))
    assert await view.flush() == 1
    notice = await bot_api.wait_for("sendMessage", chat_id=STAFF_CHAT_ID)
    assert number in (notice.text or "") and "screenshot" in (notice.text or "")
    assert "Minta data" in [b["text"] for b in notice.buttons]
    document = await bot_api.wait_for("sendDocument", chat_id=STAFF_CHAT_ID)
    assert document.ok
    assert await view.flush() == 0  # posted once

    assert notice.message_id is not None
    bot_api.press_button(STAFF_USER, STAFF_CHAT_ID, notice.message_id, "Minta data")
    await bot_api.wait_for("answerCallbackQuery")
    await bot_api.wait_for("editMessageText", chat_id=STAFF_CHAT_ID)
    ticket = await services.workflow.get(number)
    assert ticket.state is State.LKPP_REQUESTED_DATA
    reply = await MailStore(services.db).reply(reply_id)
    assert reply is not None and reply.confirmed_class == "minta_data"
    assert reply.confirmed_by_name == "Sari"

    bot_api.press_button(STAFF_USER, STAFF_CHAT_ID, notice.message_id, "Teruskan ke pengguna")
    await bot_api.wait_for("answerCallbackQuery")
    await bot_api.wait_for("editMessageText", chat_id=STAFF_CHAT_ID)
    ticket = await services.workflow.get(number)
    assert ticket.state is State.AWAITING_USER_DATA
    assert ticket.id is not None
    passed = await services.workflow.store.last_event(ticket.id, [Action.PASS_REQUEST_TO_USER])
    assert passed is not None and "screenshot" in passed.details["text"]
    sent_files = [a for a in ticket.attachments if a.source == "lkpp" and a.telegram_file_id]
    assert [a.file_name for a in sent_files][-1] == "panduan.pdf"


async def test_quarantined_mail_is_attached_by_number_or_discarded(
    running: tuple[Services, StaffView, App],
    bot_api: BotApiServer,  # noqa: F811
) -> None:
    services, view, _ = running
    number = await escalated(services)
    raw = lkpp_reply(services, number, "#SELESAI Akun sudah dibuka.", sender="staf@gmail.com",
                      with_file=False)  # fmt: skip
    inbox_id = await _ingest(services, raw)
    await view.flush()
    notice = await bot_api.wait_for("sendMessage", chat_id=STAFF_CHAT_ID)
    assert "dikarantina" in (notice.text or "") and "LKPP_ALLOWED_SENDERS" in (notice.text or "")
    assert notice.message_id is not None
    bot_api.press_button(STAFF_USER, STAFF_CHAT_ID, notice.message_id, "Lampirkan ke tiket")
    prompt = await bot_api.wait_for("sendMessage", chat_id=STAFF_CHAT_ID)
    assert "nomor tiket" in (prompt.text or "")
    assert prompt.message_id is not None
    bot_api.group_message(STAFF_CHAT_ID, STAFF_USER, "bukan nomor", reply_to=prompt.message_id)
    retry = await bot_api.wait_for("sendMessage", chat_id=STAFF_CHAT_ID)
    assert "bukan nomor tiket" in (retry.text or "")
    bot_api.group_message(STAFF_CHAT_ID, STAFF_USER, number.lower(), reply_to=prompt.message_id)
    done = await bot_api.wait_for(lambda c: "dilampirkan" in (c.text or ""),
                                  chat_id=STAFF_CHAT_ID)  # fmt: skip
    assert number in (done.text or "")
    row = await MailStore(services.db).inbox(inbox_id)
    assert row is not None and row.state == MATCHED
    ticket = await services.workflow.get(number)
    assert ticket.state is State.LKPP_SOLVED  # the #SELESAI tag applied once attached

    spam = lkpp_reply(services, number, "Promo!", sender="promo@spam.example", with_file=False)
    spam_id = await _ingest(services, spam)
    await view.flush()
    notice = await bot_api.wait_for(lambda c: "dikarantina" in (c.text or ""),
                                    chat_id=STAFF_CHAT_ID)  # fmt: skip
    assert notice.message_id is not None
    bot_api.press_button(STAFF_USER, STAFF_CHAT_ID, notice.message_id, "Buang")
    await bot_api.wait_for(lambda c: "dibuang" in (c.text or ""), chat_id=STAFF_CHAT_ID)
    spam_row = await MailStore(services.db).inbox(spam_id)
    assert spam_row is not None and spam_row.state == DISCARDED


async def test_bounce_and_outbox_alerts_reach_the_group(
    running: tuple[Services, StaffView, App],
    bot_api: BotApiServer,  # noqa: F811
) -> None:
    services, view, _ = running
    number = await escalated(services)
    original = EmailMessage()
    original["From"] = services.settings.mail_from
    original["To"] = "helpdesk@lkpp.go.id"
    original["Subject"] = f"[LPSE-BTG #{number}] Eskalasi"
    original["Message-ID"] = compose.new_message_id(services.settings, number, "eskalasi")
    original.set_content("Isi eskalasi")
    bounce = EmailMessage()
    bounce["From"] = "MAILER-DAEMON@mx.batangkab.go.id"
    bounce["To"] = services.settings.mail_from
    bounce["Subject"] = "Undelivered Mail Returned to Sender"
    bounce["Message-ID"] = "<bounce-1@mx.batangkab.go.id>"
    bounce.set_content("The mail system could not deliver your message.")
    bounce.add_attachment(original)
    await _ingest(services, bounce.as_bytes())
    await view.flush()
    alert = await bot_api.wait_for("sendMessage", chat_id=STAFF_CHAT_ID)
    assert "gagal terkirim" in (alert.text or "") and number in (alert.text or "")

    ticket = await services.workflow.get(number)
    assert ticket.id is not None
    assert await MailStore(services.db).outbox_for_ticket(ticket.id) == []
    queued = outbox_row(ticket_id=ticket.id, attempts=3, last_error="SMTPConnectError: refused")
    await view.outbox_overdue(queued, number, services.clock() + timedelta(minutes=42))
    waiting = await bot_api.wait_for("sendMessage", chat_id=STAFF_CHAT_ID)
    assert "tertahan" in (waiting.text or "") and "42 menit" in (waiting.text or "")
    await view.outbox_rejected(replace(queued, last_error="550 User unknown"), number)
    refused = await bot_api.wait_for("sendMessage", chat_id=STAFF_CHAT_ID)
    assert "ditolak" in (refused.text or "") and "550 User unknown" in (refused.text or "")


async def test_telegram_outage_delays_a_notice_and_a_refusal_ends_it(
    running: tuple[Services, StaffView, App],
    bot_api: BotApiServer,  # noqa: F811
) -> None:
    services, view, _ = running
    number = await escalated(services)
    await _ingest(services, lkpp_reply(services, number, "Sedang kami proses.", with_file=False))
    bot_api.fail_next("sendMessage", 502, "Bad Gateway")
    assert await view.flush() == 1  # queued at once: the reader never waits for Telegram
    assert await view.flush() == 0
    first = await bot_api.wait_for("sendMessage", chat_id=STAFF_CHAT_ID, timeout=10)
    assert "Sedang kami proses" in (first.text or "")  # the outbox retried after the 502

    await _ingest(services, lkpp_reply(services, number, "Masih dalam proses.", with_file=False))
    mark = bot_api.mark()
    bot_api.fail_next("sendMessage", 400, "Bad Request: can't parse entities")
    assert await view.flush() == 1
    alert = await bot_api.wait_for("sendMessage", chat_id=ADMIN_ID, since=mark, timeout=10)
    assert "tidak dapat dikirim" in (alert.text or "")  # refused: given up, admins told
    assert await view.flush() == 0


async def test_staff_see_the_class_as_a_label_and_a_forgery_with_its_reason(
    running: tuple[Services, StaffView, App],
    bot_api: BotApiServer,  # noqa: F811
) -> None:
    services, view, _ = running
    number = await escalated(services)
    tagged = lkpp_reply(services, number, "#data: Mohon kirimkan NPWP penyedia.", with_file=False)
    await _ingest(services, tagged)
    await view.flush()
    notice = await bot_api.wait_for("sendMessage", chat_id=STAFF_CHAT_ID)
    text = notice.text or ""
    assert "Mohon kirimkan NPWP penyedia." in text and "#data" not in text.lower()
    assert "Kelas (tanda dari LKPP): Minta data tambahan" in text

    forged = lkpp_reply(services, number, "#SELESAI Sudah selesai.", with_file=False).replace(
        b"From: Helpdesk LKPP <helpdesk@lkpp.go.id>",
        b"From: Helpdesk LKPP <helpdesk@lkpp.go.id>, penipu@verify-account.top",
    )
    await _ingest(services, forged)
    await view.flush()
    warned = await bot_api.wait_for(lambda c: "dikarantina" in (c.text or ""),
                                    chat_id=STAFF_CHAT_ID)  # fmt: skip
    assert "From berisi lebih dari satu alamat" in (warned.text or "")
    assert (await services.workflow.get(number)).state is State.LKPP_REQUESTED_DATA
