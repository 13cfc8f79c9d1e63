"""/lapor text: fields normalised before validation (invisible or 1-letter titles fail), and a
summary too long for one message with its buttons in a message of their own."""

from __future__ import annotations

from bot.storage.drafts import REPORT, DraftStore
from tests.integration.telegram.test_user_report import walk_title_to_summary, walk_to_title
from tests.support.botapi import ApiCall
from tests.support.user_app_fixtures import (  # noqa: F401 - fixtures
    UserChat,
    bot_api_fixture,
    user_bot_fixture,
)


async def test_a_title_needs_five_visible_characters_and_the_prompt_says_so(user_bot: UserChat):
    u = user_bot
    prompt = await walk_to_title(u)
    assert "paling sedikit 5 huruf atau angka" in (prompt.text or "")
    u.say("\u200b\u200d")
    await u.reply("tidak boleh kosong")
    u.say("A")
    short = await u.reply("Judul terlalu pendek")
    assert "1 huruf atau angka" in (short.text or "")
    u.say("\u200bab\u200d\u202e")
    await u.reply("Judul terlalu pendek: 2")
    u.say("Gagal\u200b unggah\u202e Cafe\u0301")
    await u.reply("Deskripsi")
    draft = await DraftStore(u.services.db, u.clock).get(u.chat_id, REPORT)
    assert draft is not None and draft["judul"] == "Gagal unggah Café"


async def test_an_invisible_description_part_is_refused(user_bot: UserChat):
    u = user_bot
    await walk_to_title(u)
    u.say("Gagal unggah")
    await u.reply("Deskripsi")
    u.say("\u2060\u200b")
    await u.reply("tidak boleh kosong")
    u.say("Error\u00ad 500 \u200b")
    await u.reply("Bagian deskripsi diterima (9 karakter)")


async def test_a_long_summary_gets_its_buttons_in_a_message_of_their_own(user_bot: UserChat):
    u = user_bot
    await walk_to_title(u)
    description = "Langkah yang saya lakukan & hasilnya <detail>. " * 150  # ~7,000 characters
    await walk_title_to_summary(u, description=description.strip()[:7900])
    buttons_message = kirim_message(u)
    assert "sudah lengkap" in (buttons_message.text or "")
    assert len(buttons_message.text or "") < 300
    body = [c for c in u.api.sent(u.chat_id) if c.seq < buttons_message.seq][-3:]
    assert all(not c.buttons for c in body)
    u.press("✅ Kirim")
    await u.reply("nomor tiket")


def kirim_message(u: UserChat) -> ApiCall:
    """The one message carrying the summary's Kirim button."""
    calls = [c for c in u.api.sent(u.chat_id) if "✅ Kirim" in [b["text"] for b in c.buttons]]
    assert len(calls) == 1
    return calls[0]


async def test_a_short_summary_keeps_its_buttons_under_it(user_bot: UserChat):
    u = user_bot
    await walk_to_title(u)
    await walk_title_to_summary(u)
    message = kirim_message(u)
    assert "Ringkasan laporan" in (message.text or "")
