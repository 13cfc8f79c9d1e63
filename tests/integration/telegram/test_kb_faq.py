"""``/faq`` and the menu's "Cari jawaban" for users without a report."""

from __future__ import annotations

from bot.domain.kb_entries import starter_entries
from bot.kb.base import knowledge_of
from tests.integration.telegram.test_user_report import walk_to_title
from tests.support.user_app_fixtures import (  # noqa: F401 - fixtures
    UserChat,
    bot_api_fixture,
    running_bot,
    user_bot_fixture,
)

ENTRY = "📖 Lupa kata sandi akun penyedia SPSE"


async def test_faq_with_text_lists_entries_and_one_answers_the_problem(user_bot: UserChat):
    u = user_bot
    await knowledge_of(u.services).import_entries(starter_entries())
    u.say("/faq lupa pasword spse")
    results = await u.reply("Jawaban untuk")
    assert results.message_id is not None
    labels = u.buttons(results.message_id)
    assert labels[0] == ENTRY and labels[-1] == "📝 Buat laporan"
    u.press(ENTRY)
    shown = await u.reply("Lupa Password")
    assert shown.message_id is not None
    u.press("✅ Ini menyelesaikan masalah saya", shown.message_id)
    await u.reply("Senang masalah Anda terjawab")
    rows = await u.services.db.fetchall("SELECT channel, outcome FROM kb_uses ORDER BY id")
    assert [(r[0], r[1]) for r in rows] == [("faq", "dibaca"), ("faq", "terjawab")]
    assert await u.services.db.fetchval("SELECT count(*) FROM tickets") == 0


async def test_the_menu_button_asks_then_searches_the_next_text(user_bot: UserChat):
    u = user_bot
    await knowledge_of(u.services).import_entries(starter_entries())
    u.say("/start")
    await u.reply("Selamat datang")
    u.press("🔎 Cari jawaban (FAQ)")
    await u.reply("Tuliskan masalah Anda")
    u.say("data sikap ga muncul pas kirim kualifikasi")
    results = await u.reply("Jawaban untuk")
    assert results.message_id is not None
    assert u.buttons(results.message_id)[0].startswith("📖 Data SIKaP tidak muncul")
    u.say("halo")  # the question was answered: this text is an ordinary message again
    call = await u.reply()
    assert "Jawaban untuk" not in (call.text or "")


async def test_nothing_found_points_to_lapor(user_bot: UserChat):
    u = user_bot
    u.say("/faq printer kantor rusak")
    await u.reply("Belum ada jawaban yang cocok")


async def test_lapor_after_the_question_keeps_the_report_text_for_the_report(user_bot: UserChat):
    u = user_bot
    u.say("/faq")
    await u.reply("Tuliskan masalah Anda")
    u.clock.advance(seconds=1)
    await walk_to_title(u)  # types the package code: an answer to the report, not a search
    assert "Jawaban untuk" not in u.texts_since(0)
