"""Direct answers in the staff group split at 4,096 characters; /laporan captions are cut."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.notify import LIMIT
from bot.outbox.limits import CAPTION_LIMIT
from bot.text import telegram_length
from tests.support.telegram_app_fixtures import (  # noqa: F401 - fixtures
    STAFF_USER,
    StaffBot,
    bot_api_fixture,
    staff_bot_fixture,
)


async def test_a_long_answer_to_a_staff_command_arrives_in_valid_parts(staff_bot: StaffBot):
    words = " ".join(f"zq{i:04d}x" for i in range(510))  # nothing in the knowledge base
    assert len("/cari " + words) <= 4096  # as long as Telegram lets staff type
    mark = staff_bot.api.mark()
    staff_bot.command(f"/cari {words}")
    first = await staff_bot.api.wait_for("sendMessage", chat_id=staff_bot.staff_chat, since=mark)
    second = await staff_bot.api.wait_for("sendMessage", chat_id=staff_bot.staff_chat, since=mark)
    assert first.ok and second.ok  # Telegram took both parts
    for part in (first, second):
        raw = str(part.params["text"])
        assert telegram_length(raw) <= LIMIT
        assert raw.count("<i>") == raw.count("</i>")  # each part is valid HTML on its own
    shown = (first.text or "") + (second.text or "")
    assert "zq0000x" in shown and "zq0509x" in shown  # nothing lost at the split
    assert re.search(r"^<i>", str(second.params["text"]))  # the quote goes on, still italic


@pytest.mark.parametrize("size", [2000])
async def test_laporan_captions_are_cut_to_telegrams_limit(
    staff_bot: StaffBot, tmp_path: Path, size: int
) -> None:
    texts = staff_bot.services.texts
    original = texts.plain_msg

    def long_caption(key: str, **kwargs: object) -> str:
        text = original(key, **kwargs)
        return (
            text + " kata" * (size // 5) if key.startswith("tenggat_laporan.keterangan") else text
        )

    texts.plain_msg = long_caption  # type: ignore[method-assign] # an LPSE's long template
    mark = staff_bot.api.mark()
    staff_bot.command("/laporan 2026-11")
    photo = await staff_bot.api.wait_for("sendPhoto", chat_id=staff_bot.staff_chat, since=mark,
                                         timeout=30)  # fmt: skip
    document = await staff_bot.api.wait_for("sendDocument", chat_id=staff_bot.staff_chat,
                                            since=mark, timeout=30)  # fmt: skip
    for sent in (photo, document):
        assert sent.ok
        caption = str(sent.params["caption"])
        assert len(caption) <= CAPTION_LIMIT and caption.endswith("…")
