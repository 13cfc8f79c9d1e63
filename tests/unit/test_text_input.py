"""Normalising typed text: NFC, no invisible or control characters, visible length."""

from __future__ import annotations

import pytest

from bot.domain.text_input import normalise, visible_length


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("\u200b\u200d", ""),
        ("\ufeffjudul\u2060", "judul"),
        ("e\u0301", "é"),
        ("\u202eabc\u202c", "abc"),
        ("\u2067عربي\u2069 teks", "عربي teks"),
        ("baris\r\nbaru\u2028lagi", "baris\nbaru\nlagi"),
        ("tab\tdan\x07bel", "tab\tdanbel"),
        ("😀 emoji 👍🏽", "😀 emoji 👍🏽"),
        ("\ud800lone surrogate", "lone surrogate"),
    ],
)
def test_normalise(raw: str, clean: str) -> None:
    assert normalise(raw) == clean


def test_visible_length_counts_what_a_reader_sees() -> None:
    assert visible_length("a b  c") == 3
    assert visible_length("e\u0301") == 1  # a combining accent is part of its letter
    assert visible_length(normalise("\u200b\u200d\u200b")) == 0
