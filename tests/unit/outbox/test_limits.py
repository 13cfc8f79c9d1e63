"""Telegram's size limits: long text is split into valid parts, captions are cut."""

from __future__ import annotations

import pytest

from bot.outbox.limits import CAPTION_LIMIT, LIMIT, cut_caption, split_html


def test_short_text_and_captions_pass_unchanged() -> None:
    assert split_html("<b>halo</b>") == ["<b>halo</b>"]
    assert cut_caption("📎 BTG-2026-00001 · foto.jpg") == "📎 BTG-2026-00001 · foto.jpg"


def test_long_html_is_split_into_valid_parts_within_the_limit() -> None:
    html = "<b>Riwayat</b>\n" + "\n".join(f"<i>baris {i}</i> &amp; teks" for i in range(600))
    parts = split_html(html)
    assert len(parts) > 1
    assert all(len(p) <= LIMIT for p in parts)
    assert all(p.count("<i>") == p.count("</i>") for p in parts)


@pytest.mark.parametrize("size", [CAPTION_LIMIT + 1, 5000])
def test_a_long_caption_is_cut_with_an_ellipsis_and_tags_closed(size: int) -> None:
    caption = "<b>" + ("kata &amp; " * size)[:size] + "</b>"
    cut = cut_caption(caption)
    assert len(cut) <= CAPTION_LIMIT
    assert cut.endswith("…</b>")
    assert "&am…" not in cut and not cut.rstrip("…</b>").endswith("&")


def test_a_caption_that_is_nothing_but_markup_becomes_plain_text() -> None:
    caption = '<a href="https://contoh.go.id/' + "x" * 2000 + '">tautan</a>'
    cut = cut_caption(caption)
    assert len(cut) <= CAPTION_LIMIT
