"""What the user receives as the ticket moves, and their answers: staff replies, the step-8
data collection, solved → confirm / reopen / rate, free messages, and a user who blocked the
bot. Staff-side steps are applied through the workflow, as the staff handlers do."""

from __future__ import annotations

from bot.domain.sop import Action, Actor, State
from bot.domain.ticket import Attachment
from bot.storage.telegram import MessageMap
from tests.support.tickets import STAFF, escalated, reported
from tests.support.user_app_fixtures import (  # noqa: F401 - fixtures
    UserChat,
    bot_api_fixture,
    user_bot_fixture,
)

NASTY = "<b>tebal</b> & *bintang* _garis_ 😀"


async def taken(u: UserChat, **overrides: object) -> str:
    number = (await reported(u.services, **overrides)).ticket.number
    await u.services.workflow.apply(number, Action.TAKE, Actor.STAFF, STAFF)
    await u.reply("sedang ditangani")
    return number


async def test_report_and_take_are_told_to_the_user(user_bot: UserChat):
    number = (await reported(user_bot.services)).ticket.number
    created = await user_bot.reply("nomor tiket")
    assert number in (created.text or "")
    await user_bot.services.workflow.apply(number, Action.TAKE, Actor.STAFF, STAFF)
    await user_bot.reply(f"Tiket {number} sedang ditangani")


async def test_a_staff_reply_reaches_the_user_with_its_files(user_bot: UserChat):
    u = user_bot
    number = await taken(u)
    file_id, _ = u.api.add_file(b"%PDF panduan", "panduan.pdf")
    staff_file = Attachment(None, 0, "staf", "panduan.pdf", "application/pdf", 12, file_id)
    await u.services.workflow.apply(
        number, Action.REPLY_TO_USER, Actor.STAFF, STAFF,
        details={"text": f"Silakan coba {NASTY}"}, attachments=[staff_file],
    )  # fmt: skip
    reply = await u.reply("Balasan petugas")
    assert f"Silakan coba {NASTY}" in (reply.text or "")
    document = await u.api.wait_for("sendDocument", chat_id=u.chat_id)
    assert document.params.get("document") == file_id


async def test_a_free_message_about_the_only_open_ticket_is_recorded(user_bot: UserChat):
    u = user_bot
    number = await taken(u)
    u.say(f"Masih error {NASTY}")
    await u.reply("sudah diteruskan ke petugas")
    ticket = await u.services.workflow.get(number)
    assert ticket.id is not None
    event = await u.services.workflow.store.last_event(ticket.id)
    assert event is not None and event.action is Action.USER_MESSAGE
    assert event.details["text"] == f"Masih error {NASTY}"


async def test_with_several_open_tickets_the_user_picks_one(user_bot: UserChat):
    u = user_bot
    first = await taken(u, title="Pertama")
    second = await taken(u, title="Kedua")
    u.photo(caption="lihat ini")
    await u.reply("tentang tiket yang mana")
    u.press(f"{first} – Pertama")
    await u.reply(f"tiket {first} sudah diteruskan")
    ticket = await u.services.workflow.get(first)
    assert ticket.id is not None
    event = await u.services.workflow.store.last_event(ticket.id)
    assert event is not None and event.details["text"] == "lihat ini"
    assert len(ticket.attachments) == 1
    other = await u.services.workflow.get(second)
    assert other.attachments == []


async def test_a_reply_to_a_tickets_message_goes_to_that_ticket(user_bot: UserChat):
    u = user_bot
    await taken(u, title="Pertama")
    second = await taken(u, title="Kedua")
    await u.services.workflow.apply(
        second, Action.REPLY_TO_USER, Actor.STAFF, STAFF, details={"text": "Nomor paketnya?"}
    )
    asked = await u.reply("Nomor paketnya?")
    assert asked.message_id is not None
    u.say("12345678", reply_to=asked.message_id)
    await u.reply(f"tiket {second} sudah diteruskan")


async def test_without_open_tickets_a_free_message_points_to_lapor(user_bot: UserChat):
    user_bot.say("halo")
    await user_bot.reply("/lapor")


async def test_step_7_request_is_collected_until_kirim_data(user_bot: UserChat):
    u = user_bot
    number = await escalated(u.services)
    wf = u.services.workflow
    await wf.apply(number, Action.LKPP_REQUEST_DATA, Actor.LKPP, details={"text": "asli"})
    await wf.apply(
        number, Action.PASS_REQUEST_TO_USER, Actor.STAFF, STAFF,
        details={"text": f"Mohon kirim BA evaluasi {NASTY}"},
    )  # fmt: skip
    request = await u.reply("Permintaan data tambahan")
    assert f"Mohon kirim BA evaluasi {NASTY}" in (request.text or "")
    await u.with_button("📤 Kirim data")
    u.press("📤 Kirim data")
    assert "Belum ada data" in await u.answer_text()
    u.say(f"Ini datanya {NASTY}")
    await u.reply("1 pesan, 0 lampiran")
    u.photo(b"\x89PNG layar")
    await u.reply("1 pesan, 1 lampiran")
    u.document(b"%PDF ba", file_name="ba.pdf", caption="BA terlampir")
    await u.reply("2 pesan, 2 lampiran")
    u.press("📤 Kirim data")
    assert await u.answer_text() == ""
    await u.reply("sudah diterima dan akan segera diteruskan")
    ticket = await wf.get(number)
    assert ticket.state is State.USER_DATA_RECEIVED
    assert ticket.id is not None
    event = await wf.store.last_event(ticket.id, [Action.USER_SENDS_DATA])
    assert event is not None
    assert event.details["text"] == f"Ini datanya {NASTY}\n\nBA terlampir"
    assert [a.file_name for a in ticket.attachments][-1] == "ba.pdf"
    message_id = u.newest_with("📤 Kirim data")
    u.api.callback(u.user, u.chat_id, message_id, f"u:data:{number}")
    assert "sudah dikirim" in await u.answer_text()
    assert (await wf.get(number)).state is State.USER_DATA_RECEIVED


async def test_solved_locally_then_confirmed_and_rated_once(user_bot: UserChat):
    u = user_bot
    number = await taken(u)
    await u.services.workflow.apply(
        number, Action.SOLVE_LOCALLY, Actor.STAFF, STAFF, details={"text": f"Reset {NASTY}"}
    )
    solved = await u.reply("dinyatakan selesai")
    assert f"Reset {NASTY}" in (solved.text or "")
    solved_id = u.newest_with("✅ Masalah selesai")
    u.press("✅ Masalah selesai")
    await u.answer_text()
    await u.reply("ditutup")
    assert (await u.services.workflow.get(number)).state is State.CLOSED
    u.api.callback(u.user, u.chat_id, solved_id, f"u:ok:{number}", check=False)
    assert "sudah dicatat" in await u.answer_text()
    rating_id = u.newest_with("5 ⭐")
    u.press("5 ⭐")
    await u.answer_text()
    await u.reply("5 dari 5")
    u.api.callback(u.user, u.chat_id, rating_id, f"u:nilai:{number}:1", check=False)
    assert "sudah dicatat" in await u.answer_text()
    assert (await u.services.workflow.get(number)).rating == 5


async def test_not_solved_asks_a_reason_and_reopens(user_bot: UserChat):
    u = user_bot
    number = await escalated(u.services)
    wf = u.services.workflow
    await wf.apply(number, Action.LKPP_SOLVED, Actor.LKPP, details={"text": "Sudah diperbaiki"})
    await wf.apply(number, Action.PASS_SOLUTION_TO_USER, Actor.STAFF, STAFF)
    solved = await u.reply("oleh Helpdesk LKPP")
    assert "Sudah diperbaiki" in (solved.text or "")
    u.press("❌ Belum selesai")
    await u.reply("Tuliskan apa yang masih belum beres")
    u.say(f"Masih gagal {NASTY}")
    await u.reply("dibuka kembali")
    ticket = await wf.get(number)
    assert ticket.state is State.IN_PROGRESS
    assert ticket.id is not None
    event = await wf.store.last_event(ticket.id, [Action.USER_REOPENS])
    assert event is not None and event.details["reason"] == f"Masih gagal {NASTY}"


async def test_a_blocked_user_is_recorded_and_staff_see_a_note(user_bot: UserChat):
    u = user_bot
    number = await taken(u)
    u.api.block_chat(u.chat_id)
    await u.services.workflow.apply(
        number, Action.REPLY_TO_USER, Actor.STAFF, STAFF, details={"text": "Halo?"}
    )
    refused = await u.api.wait_for("sendMessage", chat_id=u.chat_id, ok=False)
    assert refused.status == 403
    messages = MessageMap(u.services.db)
    ticket = await u.services.workflow.get(number)
    assert ticket.id is not None
    for _ in range(100):
        note = await u.services.workflow.store.last_event(ticket.id, [Action.NOTE])
        if note is not None:
            break
        await u.api.wait_idle()
    assert note is not None and note.actor is Actor.SYSTEM
    assert "memblokir bot" in note.details["text"]
    assert await messages.is_blocked(u.chat_id)
    u.api.unblock_chat(u.chat_id)
    u.say("maaf, saya sempat memblokir")
    await u.reply("sudah diteruskan ke petugas")
    assert not await messages.is_blocked(u.chat_id)


async def test_cancel_while_collecting_empties_the_answer_but_keeps_the_request(
    user_bot: UserChat,
):
    u = user_bot
    number = await escalated(u.services)
    wf = u.services.workflow
    await wf.apply(number, Action.LKPP_REQUEST_DATA, Actor.LKPP, details={"text": "asli"})
    await wf.apply(
        number, Action.PASS_REQUEST_TO_USER, Actor.STAFF, STAFF, details={"text": "Kirim BA"}
    )
    await u.with_button("📤 Kirim data")
    u.say("salah kirim")
    await u.reply("1 pesan, 0 lampiran")
    u.say("/batal")
    await u.reply("dihapus")
    u.say("yang benar")
    await u.reply("1 pesan, 0 lampiran")
    u.press("📤 Kirim data")
    await u.reply("sudah diterima")
    ticket = await wf.get(number)
    assert ticket.id is not None
    event = await wf.store.last_event(ticket.id, [Action.USER_SENDS_DATA])
    assert event is not None and event.details["text"] == "yang benar"


async def test_an_unknown_command_points_to_the_known_ones(user_bot: UserChat):
    user_bot.say("/entahapa")
    answer = await user_bot.reply("tidak dikenal")
    assert "/lapor" in (answer.text or "")


async def test_staff_photos_and_lkpp_files_reach_the_user(user_bot: UserChat, tmp_path):
    u = user_bot
    number = await escalated(u.services)
    photo_id, _ = u.api.add_file(b"\x89PNG layar", "layar.jpg", kind="photo")
    stored = tmp_path / "lkpp-panduan.pdf"
    stored.write_bytes(b"%PDF dari LKPP")
    lkpp_file = Attachment(None, 0, "lkpp", "panduan LKPP.pdf", "application/pdf", 14)
    lkpp_file.storage_path = str(stored)
    wf = u.services.workflow
    await wf.apply(
        number, Action.LKPP_REQUEST_DATA, Actor.LKPP, details={"text": "x"},
        attachments=[lkpp_file],
    )  # fmt: skip
    staff_photo = Attachment(None, 0, "staf", "layar.jpg", "image/jpeg", 10, photo_id)
    await wf.apply(number, Action.PASS_REQUEST_TO_USER, Actor.STAFF, STAFF, details={"text": "y"})
    await u.reply("Permintaan data tambahan")
    uploaded = await u.api.wait_for("sendDocument", chat_id=u.chat_id)
    assert uploaded.files
    await wf.apply(
        number, Action.REPLY_TO_USER, Actor.STAFF, STAFF, details={"text": "lihat foto"},
        attachments=[staff_photo],
    )  # fmt: skip
    photo = await u.api.wait_for("sendPhoto", chat_id=u.chat_id)
    assert photo.params.get("photo") == photo_id
