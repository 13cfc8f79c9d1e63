"""No user text, however long or odd, makes the bot send something Telegram refuses.

Generated texts (control characters, RTL and bidi controls, emoji, 10,000 characters, HTML and
Markdown) go through every handler that takes free text: the whole /lapor report, a free
message on a ticket and its edit, /tiket in private, and the staff commands that take text.
Every Bot API request the bot makes is checked against Telegram's rules (length after entity
parsing, valid HTML for ``parse_mode=HTML``, callback answers, keyboards), and no update may end
in the error handler.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from telegram import Update

from bot.app import build_application
from bot.domain.sop import Action, Actor
from bot.domain.text_input import normalise
from bot.domain.ticket import MAX_DESCRIPTION
from bot.services import SERVICES_KEY, Services
from bot.storage.drafts import REPORT, DraftStore
from tests.support.clock import FakeClock
from tests.support.settings import ADMIN_ID, STAFF_CHAT_ID, make_settings
from tests.support.telegram_app_fixtures import RecordingRequest
from tests.support.telegram_limits import violations
from tests.support.tickets import STAFF, reported

PIECES = [
    "<b>", "</b>", "<i>x</i>", "<a href='javascript:x'>", "&", "&amp;", "&#0;", "<", ">",
    "*tebal*", "_miring_", "`kode`", "```blok```", "[tautan](http://x)", "~~coret~~", "||s||",
    "\u202e", "\u202d", "\u200f", "\u200e", "\u2067", "\u2069", "\u200b", "\u200d", "\ufeff",
    "\x00", "\x07", "\x1b", "\r", "\t", "\n", " ", "\u00ad", "\u2028",
    "😀", "👨‍👩‍👧", "🏳️‍🌈", "👍🏽", "عربي", "עברית", "中文", "é", "e\u0301", "1234567890",
    "BTG-2026-00001", "/ambil", "@lpse_bot", "#DATA", "budi@contoh.co.id",
]  # fmt: skip

texts = st.one_of(
    st.text(max_size=300),
    st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=12)), max_size=60).map("".join),
    # 10,000 characters: a few odd pieces repeated.
    st.lists(st.sampled_from(PIECES), min_size=1, max_size=6).map(
        lambda parts: ("".join(parts) * 10_000)[:10_000]
    ),
)


class Harness:
    """The real Application, its handlers fed with ``process_update``, every request recorded."""

    def __init__(self, tmp_path: Path) -> None:
        self.request = RecordingRequest()
        self.clock = FakeClock()
        self.settings = make_settings(tmp_path / "data")
        self.app = build_application(self.settings, self.clock, request=self.request)
        self.ids = itertools.count(1)
        self.users = itertools.count(880001)
        self.failures: list[logging.LogRecord] = []

    @property
    def services(self) -> Services:
        return self.app.bot_data[SERVICES_KEY]

    async def start(self) -> None:
        await self.app.initialize()
        assert self.app.post_init is not None
        await self.app.post_init(self.app)

    async def stop(self) -> None:
        await self.app.shutdown()
        assert self.app.post_shutdown is not None
        await self.app.post_shutdown(self.app)

    async def feed(self, kind: str, payload: dict[str, Any]) -> None:
        seen = len(self.request.calls)
        update = Update.de_json({"update_id": next(self.ids), kind: payload}, self.app.bot)
        await self.app.process_update(update)
        for method, params in self.request.calls[seen:]:
            problems = violations(method, params)
            assert not problems, (problems, {k: str(v)[:300] for k, v in params.items()})

    def _message(self, chat: dict[str, Any], user: dict[str, Any], text: str) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": next(self.ids), "date": 0, "chat": chat, "from": user, "text": text,
        }  # fmt: skip
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return message

    async def say(self, user: dict[str, Any], text: str) -> dict[str, Any]:
        chat = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
        message = self._message(chat, user, text)
        await self.feed("message", message)
        return message

    async def edit(self, message: dict[str, Any], text: str) -> None:
        await self.feed("edited_message", {**message, "text": text, "edit_date": 1})

    async def staff(self, text: str) -> None:
        chat = {"id": STAFF_CHAT_ID, "type": "supergroup", "title": "Staf"}
        user = {"id": ADMIN_ID, "is_bot": False, "first_name": "Sari"}
        await self.feed("message", self._message(chat, user, text))

    async def press(self, user: dict[str, Any], data: str) -> None:
        chat = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
        bot = {"id": 123456, "is_bot": True, "first_name": "Bot", "username": "b_bot"}
        query = {
            "id": str(next(self.ids)), "from": user, "chat_instance": "c", "data": data,
            "message": {"message_id": next(self.ids), "date": 0, "chat": chat, "from": bot,
                        "text": "pertanyaan"},
        }  # fmt: skip
        await self.feed("callback_query", query)

    async def step(self, user: dict[str, Any]) -> str | None:
        draft = await DraftStore(self.services.db, self.clock).get(user["id"], REPORT)
        return None if draft is None else draft["step"]

    async def answer(self, user: dict[str, Any], text: str, fallback: str | None) -> None:
        """Answer the current report step with ``text``; if refused, with ``fallback``."""
        step = await self.step(user)
        await self.say(user, text)
        if await self.step(user) == step:
            if fallback is None:
                await self.press(user, f"u:l:{step}:lewati")
            else:
                await self.say(user, fallback)

    async def report(self, text: str) -> None:
        """The whole /lapor with ``text`` in every free-text field."""
        user = {"id": next(self.users), "is_bot": False, "first_name": text[:64] or "Budi"}
        await self.say(user, "/lapor")
        for step, choice in (("jenis", 0), ("peran", 0), ("aplikasi", 4)):
            await self.press(user, f"u:l:{step}:{choice}")
        await self.answer(user, text, "Aplikasi X")
        await self.answer(user, text, None)  # kode paket
        await self.answer(user, text, None)  # kode error
        await self.answer(user, text, "Judul laporan uji")
        first = await self.say(user, text)  # description (refused when empty or too long)
        await self.edit(first, text[::-1])
        if await self.step(user) == "deskripsi":
            await self.say(user, "Deskripsi cadangan")
        await self.press(user, "u:l:deskripsi:lanjut")
        await self.press(user, "u:l:urgensi:0")
        await self.press(user, "u:l:dampak:0")
        await self.press(user, "u:l:lampiran:selesai")
        await self.answer(user, text, "Budi Santoso")
        await self.answer(user, text, "budi@contoh.co.id")
        await self.answer(user, text, None)  # telepon
        assert await self.step(user) == "ringkasan"
        await self.press(user, "u:l:ringkasan:kirim")
        assert await self.step(user) is None

    async def ticket_texts(self, text: str) -> None:
        """A free message on an open ticket, its edit, /tiket, and the staff commands."""
        user = {"id": next(self.users), "is_bot": False, "first_name": "Budi"}
        description = normalise(text)[:MAX_DESCRIPTION] or "Uraian"
        number = (
            await reported(self.services, user_chat_id=user["id"], description=description)
        ).ticket.number
        await self.services.workflow.apply(number, Action.TAKE, Actor.STAFF, STAFF)
        message = await self.say(user, text)
        await self.edit(message, text + " (koreksi)")
        await self.say(user, f"/tiket {text}")
        for command in (
            f"/tiket {text}", f"/ambil {text}", f"/catat {number} {text}",
            f"/balas {number} {text}", f"/prioritas {number} {text}", f"/libur tambah {text}",
            f"/libur tambah 2026-12-31 {text}", f"/laporan {text}", f"/eskalasi {text}",
            f"/selesai {number} {text}",
        ):  # fmt: skip
            await self.staff(command)


class _Failures(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.mark.parametrize("flow", ["report", "ticket_texts"])
def test_no_generated_text_makes_a_request_telegram_refuses(tmp_path: Path, flow: str) -> None:
    loop = asyncio.new_event_loop()
    harness = Harness(tmp_path)
    failures = _Failures()
    logging.getLogger("bot").addHandler(failures)
    loop.run_until_complete(harness.start())
    try:

        @settings(
            max_examples=60,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        )
        @given(text=texts)
        def check(text: str) -> None:
            loop.run_until_complete(getattr(harness, flow)(text))
            errors = [r for r in failures.records if r.name != "bot.mail.inbox"]
            assert not errors, [r.getMessage() for r in errors]

        check()
    finally:
        logging.getLogger("bot").removeHandler(failures)
        loop.run_until_complete(harness.stop())
        loop.close()
