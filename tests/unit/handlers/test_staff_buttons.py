"""Pieces of the staff buttons that need no Telegram: the draft, its buttons, answers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.callbacks import MAX_BYTES
from bot.domain.sop import State
from bot.handlers import staff_buttons
from bot.handlers.cards import Cards
from bot.handlers.staff_buttons import (
    DRAFT_ROOM,
    draft_buttons,
    draft_html,
    plain,
    priority_buttons,
)
from tests.support.telegram_app_fixtures import pure_services, sample_ticket


def test_answers_are_plain_text_within_200_characters():
    assert plain("Tiket <b>X</b> &amp; Y") == "Tiket X & Y"
    assert len(plain("x" * 500)) == 200


def test_draft_and_priority_buttons_fit_and_name_the_ticket(tmp_path: Path):
    services = pure_services(tmp_path)
    cards = Cards(services, bot=None)  # type: ignore[arg-type]
    rows = [*draft_buttons(cards, "BTG-2026-00042"), *priority_buttons(services, "BTG-2026-00042")]
    datas = [data for row in rows for _, data in row]
    assert "t:kirim:BTG-2026-00042" in datas
    assert "t:batal:BTG-2026-00042" in datas
    assert "t:prio:BTG-2026-00042:tinggi" in datas
    assert all(len(d.encode()) <= MAX_BYTES for d in datas)


async def test_the_draft_shows_the_email_escaped_in_pre(tmp_path: Path):
    services = pure_services(tmp_path)
    ticket = sample_ticket(state=State.CANNOT_HANDLE, title="<b>Gagal</b> & error")
    html = await draft_html(services, ticket)
    assert "<pre>" in html
    assert "&lt;b&gt;Gagal&lt;/b&gt; &amp; error" in html
    assert "Prioritas:</b> Menengah" in html


async def test_a_very_long_draft_is_cut_and_an_unavailable_one_explained(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    services = pure_services(tmp_path)

    async def long_preview(services: Any, ticket: Any) -> str:
        return "Subjek: x\n\n" + "baris\n" * 2000

    import bot.mail.compose

    monkeypatch.setattr(bot.mail.compose, "escalation_preview", long_preview)
    html = await draft_html(services, sample_ticket())
    assert len(html) < DRAFT_ROOM + 1000
    assert "…</pre>" in html

    async def broken(services: Any, ticket: Any) -> str:
        raise RuntimeError("template missing")

    monkeypatch.setattr(bot.mail.compose, "escalation_preview", broken)
    html = await draft_html(services, sample_ticket())
    assert "Draf email belum dapat ditampilkan" in html
    assert staff_buttons.DRAFT_ROOM == DRAFT_ROOM
