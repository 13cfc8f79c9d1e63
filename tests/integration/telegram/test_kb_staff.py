"""The knowledge base in the staff group: Jadikan FAQ, LKPP's guide, /faq, /cari, the card."""

from __future__ import annotations

from bot.domain.kb_entries import Source, Status, starter_entries
from bot.domain.sop import Action, Actor
from bot.handlers import kb_staff
from bot.kb.base import knowledge_of
from bot.outbox.component import sender_of
from tests.integration.telegram.test_staff_buttons import answer, new_card, press
from tests.support.telegram_app_fixtures import (  # noqa: F401 - fixtures
    StaffBot,
    bot_api_fixture,
    staff_bot_fixture,
)
from tests.support.tickets import STAFF, escalated

STAFF_CHAT = -1001234567890
SOLUTION = "Peramban diganti ke Chrome terbaru dan file dikompres, unggah berhasil."


async def solved_card(bot: StaffBot) -> tuple[str, int]:
    number, card = await new_card(bot)
    wf = bot.services.workflow
    await wf.apply(number, Action.TAKE, Actor.STAFF, STAFF)
    await wf.apply(number, Action.SOLVE_LOCALLY, Actor.STAFF, STAFF, {"text": SOLUTION})
    await bot.api.wait_for(
        lambda c: c.message_id == card and "Jadikan FAQ" in str(c.params.get("reply_markup")),
        chat_id=STAFF_CHAT,
    )
    return number, card


async def test_jadikan_faq_drafts_from_the_ticket_edits_by_reply_and_confirms(staff_bot: StaffBot):
    bot = staff_bot
    number, card = await solved_card(bot)
    press(bot, card, "📚 Jadikan FAQ")
    proposal = await bot.staff_message("Usulan entri FAQ")
    await answer(bot)
    assert proposal.message_id is not None
    assert SOLUTION in (proposal.text or "")
    assert f"tiket {number}" in (proposal.text or "")
    kb = knowledge_of(bot.services)
    [draft] = await kb.entries((Status.DRAFT,))
    assert (draft.source, draft.ticket_number, draft.answer) == (
        Source.LOCAL_SOLUTION,
        number,
        SOLUTION,
    )
    assert await kb.search("upload penawaran gagal") == []  # a draft is not offered yet

    bot.command(
        "jawaban: 1. Pakai Chrome terbaru.\n2. Kompres file sebelum dienkripsi.\n"
        "kata_kunci: gagal upload, unggah penawaran",
        reply_to=proposal.message_id,
    )
    await bot.staff_message(f"FAQ #{draft.id} diubah: jawaban, kata_kunci")
    redrawn = await bot.api.wait_for(
        lambda c: c.method == "editMessageText" and c.message_id == proposal.message_id,
        chat_id=STAFF_CHAT,
    )
    assert "Kompres file" in (redrawn.text or "")

    press(bot, proposal.message_id, "✅ Simpan & aktifkan")
    toast = await answer(bot)
    assert "disimpan dan aktif" in toast.params["text"]
    saved = await kb.get(draft.id or 0)
    assert saved is not None and saved.status is Status.ACTIVE
    assert saved.confirmed_by == "Sari" and saved.confirmed_at is not None
    assert saved.keywords == ["gagal upload", "unggah penawaran"]
    [hit] = await kb.search("gak bisa upload penawaran")
    assert hit.id == draft.id
    [ticket] = await kb.search_tickets("unggah penawaran gagal")
    assert ticket.ref == number


async def test_a_bad_edit_is_refused_with_the_field(staff_bot: StaffBot):
    bot = staff_bot
    _, card = await solved_card(bot)
    press(bot, card, "📚 Jadikan FAQ")
    proposal = await bot.staff_message("Usulan entri FAQ")
    bot.command("jawaban: pendek", reply_to=proposal.message_id)
    refused = await bot.staff_message("Perubahan tidak disimpan")
    assert "kolom jawaban: terlalu pendek" in (refused.text or "")
    bot.command("hanya obrolan biasa", reply_to=proposal.message_id)
    await bot.staff_message("Tidak ada kolom yang dikenali")


async def test_an_lkpp_guide_is_proposed_as_an_entry_and_staff_confirm_it(staff_bot: StaffBot):
    bot = staff_bot
    number = await escalated(bot.services)
    guide = "Ini kewenangan LPSE: reset kata sandi lewat menu Admin Agency, lalu kirim ulang."
    await bot.services.workflow.apply(
        number, Action.LKPP_GUIDE, Actor.LKPP, details={"text": guide}
    )
    proposal = await bot.staff_message("Usulan entri FAQ")
    assert "panduan LKPP" in (proposal.text or "") and guide in (proposal.text or "")
    assert proposal.message_id is not None
    press(bot, proposal.message_id, "✅ Simpan & aktifkan")
    assert "disimpan dan aktif" in (await answer(bot)).params["text"]
    [entry] = await knowledge_of(bot.services).entries((Status.ACTIVE,))
    assert (entry.source, entry.ticket_number) == (Source.LKPP_GUIDE, number)


async def test_a_draft_can_be_thrown_away(staff_bot: StaffBot):
    bot = staff_bot
    _, card = await solved_card(bot)
    press(bot, card, "📚 Jadikan FAQ")
    proposal = await bot.staff_message("Usulan entri FAQ")
    await answer(bot)
    assert proposal.message_id is not None
    press(bot, proposal.message_id, "🗑 Buang draf")
    assert "dibuang" in (await answer(bot)).params["text"]
    assert await knowledge_of(bot.services).entries((Status.DRAFT, Status.ACTIVE)) == []


async def test_faq_lists_shows_and_retires_entries(staff_bot: StaffBot):
    bot = staff_bot
    kb = knowledge_of(bot.services)
    await kb.import_entries(starter_entries())
    bot.command("/faq")
    listing = await bot.staff_message("Entri FAQ aktif")
    assert "#1 Lupa kata sandi akun penyedia SPSE" in (listing.text or "")
    bot.command("/faq 1")
    shown = await bot.staff_message("FAQ #1")
    assert "Lupa Password" in (shown.text or "")
    bot.command("/faq pensiun 1")
    await bot.staff_message("FAQ #1 dipensiunkan")
    assert all(h.id != 1 for h in await kb.search("lupa password penyedia"))
    bot.command("/faq aktifkan 1")
    await bot.staff_message("FAQ #1 aktif lagi")
    assert (await kb.search("lupa password penyedia"))[0].id == 1
    bot.command("/faq 999")
    await bot.staff_message("FAQ #999 tidak ada")


async def test_cari_searches_entries_and_solved_tickets(staff_bot: StaffBot):
    bot = staff_bot
    await knowledge_of(bot.services).import_entries(starter_entries())
    number, _ = await solved_card(bot)
    bot.command("/cari upload penawaran gagal")
    found = await bot.staff_message("Hasil pencarian")
    assert "Gagal mengunggah dokumen penawaran" in (found.text or "")
    assert number in (found.text or "")
    bot.command("/cari")
    await bot.staff_message("Pakai: /cari")


async def test_the_card_shows_similar_entries(staff_bot: StaffBot):
    bot = staff_bot
    await knowledge_of(bot.services).import_entries(starter_entries())
    _, card = await new_card(bot)
    shown = bot.api.message(STAFF_CHAT, card)
    assert shown is not None
    assert "Mirip (FAQ / tiket selesai)" in shown["text"]
    assert "Gagal mengunggah dokumen penawaran" in shown["text"]


async def test_a_reopened_ticket_is_no_longer_an_example(staff_bot: StaffBot):
    bot = staff_bot
    number, _ = await solved_card(bot)
    kb = knowledge_of(bot.services)
    assert [h.ref for h in await kb.search_tickets("unggah penawaran gagal")] == [number]
    await bot.services.workflow.apply(
        number, Action.USER_REOPENS, Actor.USER, details={"reason": "masih gagal"}
    )
    assert await kb.search_tickets("unggah penawaran gagal") == []


async def test_a_guide_drafted_without_its_proposal_is_proposed_at_start(
    staff_bot: StaffBot,
):
    bot = staff_bot
    number = await escalated(bot.services)
    guide = "Kewenangan LPSE: aktifkan ulang akun penyedia setelah verifikasi dokumen."
    await bot.services.workflow.apply(
        number, Action.LKPP_GUIDE, Actor.LKPP, details={"text": guide}
    )
    await bot.staff_message("Usulan entri FAQ")
    await sender_of(bot.services).drain(10)  # its message is recorded once the send is marked
    # As if the draft had been stored by a version that did not queue its proposal with it.
    async with bot.services.db.transaction() as conn:
        await conn.execute("DELETE FROM kb_staff_messages")
        await conn.execute("DELETE FROM telegram_outbox WHERE kind = ?", (kb_staff.ENTRY_KIND,))
    await kb_staff.start(bot.app, bot.services)
    again = await bot.staff_message("Usulan entri FAQ")
    assert guide in (again.text or "")
    await kb_staff.start(bot.app, bot.services)  # shown now: not proposed a third time
    await bot.api.wait_idle()
    proposals = [c for c in bot.api.sent(STAFF_CHAT) if "Usulan entri FAQ" in (c.text or "")]
    assert len(proposals) == 2
