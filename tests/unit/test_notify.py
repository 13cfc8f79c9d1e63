"""Splitting long HTML for Telegram without breaking tags or entities."""

from __future__ import annotations

import re

from bot.notify import split_html
from bot.text import telegram_length


def balanced(html: str) -> bool:
    stack = []
    for closing, name in re.findall(r"<(/?)([a-z]+)[^>]*>", html):
        if closing:
            if not stack or stack.pop() != name:
                return False
        else:
            stack.append(name)
    return not stack


def test_short_text_is_one_part():
    assert split_html("<b>halo</b>") == ["<b>halo</b>"]


def test_long_text_splits_under_the_limit_and_keeps_everything():
    lines = [f"<b>Baris {i}</b> isi &amp; &lt;teks&gt; " + "x" * 80 for i in range(200)]
    html = "\n".join(lines)
    parts = split_html(html)
    assert len(parts) > 1
    assert all(len(p) <= 4096 for p in parts)
    assert all(balanced(p) for p in parts)
    assert "\n".join(parts) == html


def test_a_tag_open_across_a_split_is_closed_and_reopened():
    html = "<blockquote>" + "\n".join("kalimat panjang " * 5 for _ in range(200)) + "</blockquote>"
    parts = split_html(html)
    assert len(parts) > 1
    assert all(p.startswith("<blockquote>") and p.endswith("</blockquote>") for p in parts)
    assert all(len(p) <= 4096 for p in parts)


def test_one_enormous_word_is_cut_outside_entities():
    html = "&amp;" * 2000
    parts = split_html(html)
    assert all(len(p) <= 4096 for p in parts)
    assert all(re.fullmatch(r"(&amp;)+", p) for p in parts)
    assert "".join(parts) == html


def test_parts_fit_as_telegram_counts_utf16_and_emoji_count_twice():
    html = "<blockquote>" + "😀 & <detail>. ".replace("<detail>", "&lt;detail&gt;") * 900
    parts = split_html(html + "</blockquote>")
    assert len(parts) > 1
    assert all(telegram_length(part) <= 4096 for part in parts)
    assert all(
        part.startswith("<blockquote>") and part.endswith("</blockquote>") for part in parts
    )
