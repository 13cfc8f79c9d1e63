"""/lapor after a crash between writing the draft and the conversation state: the draft wins."""

from __future__ import annotations

from bot.storage.drafts import REPORT, DraftStore
from tests.integration.telegram.test_user_report import walk_to_title
from tests.support.user_app_fixtures import (  # noqa: F401 - fixtures
    UserChat,
    bot_api_fixture,
    user_bot_fixture,
)


async def _draft_moves_on_without_the_state(u: UserChat, **answers: object) -> None:
    """The draft is written at the next step while PTB's state stays at the title."""
    drafts = DraftStore(u.services.db, u.clock)
    draft = await drafts.get(u.chat_id, REPORT)
    assert draft is not None and draft["step"] == "judul"
    await drafts.put(u.chat_id, REPORT, {**draft, **answers})


async def test_a_text_goes_to_the_drafts_step_not_the_lagging_state(user_bot: UserChat):
    u = user_bot
    await walk_to_title(u)
    await _draft_moves_on_without_the_state(u, judul="Gagal unggah", step="deskripsi")
    u.say("Muncul error 500 saat unggah.")
    await u.reply("Bagian deskripsi diterima")
    draft = await DraftStore(u.services.db, u.clock).get(u.chat_id, REPORT)
    assert draft is not None and draft["judul"] == "Gagal unggah"
    assert draft["deskripsi"] == "Muncul error 500 saat unggah." and draft["step"] == "deskripsi"


async def test_a_button_of_the_drafts_step_is_taken_in_a_lagging_state(user_bot: UserChat):
    u = user_bot
    question = await walk_to_title(u)
    await _draft_moves_on_without_the_state(
        u, judul="Gagal unggah", deskripsi="Muncul error.", saran=[], step="urgensi"
    )
    # The urgency question went out before the crash; its first button is pressed now.
    u.api.callback(u.user, u.chat_id, question.message_id, "u:l:urgensi:0", check=False)
    await u.reply("Dampak")
    draft = await DraftStore(u.services.db, u.clock).get(u.chat_id, REPORT)
    assert draft is not None and draft["urgensi"] == u.services.priorities.urgencies[0]
    assert draft["step"] == "dampak"
    assert "tidak berlaku" not in u.texts_since(0)  # not taken for a stale button
