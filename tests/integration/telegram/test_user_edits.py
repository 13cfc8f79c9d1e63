"""An edited message is never a new answer: /lapor says so once; on a ticket staff see "diedit"."""

from __future__ import annotations

from bot.domain.sop import Action, Actor
from bot.storage.drafts import REPORT, DraftStore
from tests.integration.telegram.test_user_report import walk_description_to_summary, walk_to_title
from tests.support.tickets import STAFF, reported
from tests.support.user_app_fixtures import (  # noqa: F401 - fixtures
    UserChat,
    bot_api_fixture,
    user_bot_fixture,
)

STAFF_CHAT = -1001234567890
TOLD = "tidak mengubah laporan"


async def test_editing_an_answer_during_lapor_changes_nothing_and_is_explained_once(
    user_bot: UserChat,
):
    u = user_bot
    await walk_to_title(u)
    sent = u.api.user_message(u.user, "Gagal unggah dokumen")
    await u.reply("Deskripsi")
    mark = u.api.mark()
    u.api.edit_message(u.user, sent["message"]["message_id"], "Judul yang diubah")
    told = await u.reply(TOLD)
    assert "Ubah" in (told.text or "") and "Deskripsi" in (told.text or "")
    draft = await DraftStore(u.services.db, u.clock).get(u.chat_id, REPORT)
    assert draft is not None
    assert draft["judul"] == "Gagal unggah dokumen" and draft["step"] == "deskripsi"
    assert not draft.get("deskripsi")  # not taken as the description either
    # A second edit is not answered again, and the report goes on as before.
    u.api.edit_message(u.user, sent["message"]["message_id"], "Lagi diubah")
    summary = await walk_description_to_summary(u, "Muncul error 500.")
    assert "Gagal unggah dokumen" in summary and "diubah" not in summary
    draft = await DraftStore(u.services.db, u.clock).get(u.chat_id, REPORT)
    assert draft is not None and draft["deskripsi"] == "Muncul error 500."
    assert u.texts_since(mark).count(TOLD) == 1


async def test_editing_a_description_part_does_not_append_to_it(user_bot: UserChat):
    u = user_bot
    await walk_to_title(u)
    u.say("Judul uji")
    await u.reply("Deskripsi")
    sent = u.api.user_message(u.user, "deskripsi pertama")
    await u.reply("Bagian deskripsi diterima")
    u.api.edit_message(u.user, sent["message"]["message_id"], "deskripsi diganti")
    await u.reply(TOLD)
    draft = await DraftStore(u.services.db, u.clock).get(u.chat_id, REPORT)
    assert draft is not None and draft["deskripsi"] == "deskripsi pertama"


async def test_an_edited_message_on_an_open_ticket_reaches_staff_marked_diedit(
    user_bot: UserChat,
):
    u = user_bot
    number = (await reported(u.services)).ticket.number
    await u.services.workflow.apply(number, Action.TAKE, Actor.STAFF, STAFF)
    await u.reply("sedang ditangani")
    sent = u.api.user_message(u.user, "Masih error di halaman unggah")
    await u.reply("sudah diteruskan ke petugas")
    await u.api.wait_for(lambda c: "Masih error" in (c.text or ""), chat_id=STAFF_CHAT, timeout=5)
    u.api.edit_message(u.user, sent["message"]["message_id"], "Masih error di halaman login")
    await u.reply("Perubahan pesan Anda")
    notice = await u.api.wait_for(
        lambda c: "halaman login" in (c.text or ""), chat_id=STAFF_CHAT, timeout=5
    )
    assert "✏️ diedit" in (notice.text or "")
    ticket = await u.services.workflow.get(number)
    assert ticket.id is not None
    event = await u.services.workflow.store.last_event(ticket.id)
    assert event is not None and event.action is Action.USER_MESSAGE
    assert event.details == {"text": "Masih error di halaman login", "diedit": True}


async def test_an_edited_command_is_not_run_again(user_bot: UserChat):
    u = user_bot
    sent = u.api.user_message(u.user, "/tiket")
    await u.reply("belum punya tiket")
    mark = u.api.mark()
    u.api.edit_message(u.user, sent["message"]["message_id"], "/lapor")
    await u.reply("tidak diteruskan")
    assert "Jenis laporan" not in u.texts_since(mark)
