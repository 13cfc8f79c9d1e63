"""Telegram's size limits: the one place that splits long text and cuts long captions.

Telegram refuses a message over 4,096 characters and a caption over 1,024 (counted after
entity parsing, so counting the HTML source is a safe upper bound). Every message the bot sends,
queued or direct, goes through :func:`split_html` or :func:`cut_caption`: longer HTML is split
on line boundaries, and a tag left open at a split is closed at the end of one part and opened
again at the start of the next, so each part is valid HTML.
"""

from __future__ import annotations

import re

from markupsafe import Markup

from bot.text import telegram_length

LIMIT = 4096
"""Characters of one text message."""
CAPTION_LIMIT = 1024
"""Characters of a photo's or document's caption."""
_TAG = re.compile(r"<(/?)([a-zA-Z-]+)([^>]*)>")
_ELLIPSIS = " …"


def _open_tags(html: str) -> list[tuple[str, str]]:
    stack: list[tuple[str, str]] = []
    for closing, name, attrs in _TAG.findall(html):
        if closing:
            for index in range(len(stack) - 1, -1, -1):
                if stack[index][0] == name:
                    del stack[index:]
                    break
        else:
            stack.append((name, attrs))
    return stack


def _pieces(line: str, limit: int) -> list[str]:
    """Cut one over-long line at spaces (never inside a tag or an entity)."""
    out, current = [], ""
    for word in re.split(r"(?<=\s)", line):
        while len(word) > limit:  # one enormous word: cut outside tags/entities as best we can
            cut = limit
            while cut > 0 and (
                word.rfind("<", 0, cut) > word.rfind(">", 0, cut)
                or word.rfind("&", 0, cut) > word.rfind(";", 0, cut)
            ):
                cut -= 1
            cut = cut or limit
            out.append(current + word[:cut]) if current else out.append(word[:cut])
            current, word = "", word[cut:]
        if len(current) + len(word) > limit:
            out.append(current)
            current = ""
        current += word
    if current:
        out.append(current)
    return out


def split_html(html: str, limit: int = LIMIT) -> list[str]:
    """Split ``html`` into valid HTML parts of at most ``limit`` characters as Telegram counts.

    Telegram counts UTF-16 code units (an emoji is two): parts are cut by code points, and cut
    again with a proportionally smaller budget while one is still too long for Telegram.
    """
    if 2 * len(html) <= limit:  # fits whatever it holds: no UTF-16 count needed
        return [html]
    budget = limit
    while True:
        parts = _split(html, budget)
        longest = max(telegram_length(part) for part in parts)
        if longest <= limit or budget <= 400:
            return parts
        budget = max(400, budget * limit // longest - 1)


def _split(html: str, limit: int) -> list[str]:
    """Split ``html`` into valid HTML parts of at most ``limit`` code points."""
    if len(html) <= limit:
        return [html]
    budget = limit - 200  # room for tags closed and reopened at the edges
    lines: list[str] = []
    for line in html.split("\n"):
        lines.extend(_pieces(line, budget) if len(line) > budget else [line])
    parts: list[str] = []
    current = ""
    for line in lines:
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > budget and current:
            parts.append(current)
            current = line
        else:
            current = candidate
    if current:
        parts.append(current)
    fixed, reopen = [], ""
    for part in parts:
        text = reopen + part
        stack = _open_tags(text)
        closing = "".join(f"</{name}>" for name, _ in reversed(stack))
        reopen = "".join(f"<{name}{attrs}>" for name, attrs in stack)
        fixed.append(text + closing)
    return fixed


def cut_caption(html: str, limit: int = CAPTION_LIMIT) -> str:
    """``html`` cut to ``limit`` characters, still valid HTML, with an ellipsis when cut.

    A caption cannot be split (it belongs to one file), so it is shortened: the cut never falls
    inside a tag or an entity, and tags left open are closed.
    """
    if len(html) <= limit:
        return html
    room = limit - len(_ELLIPSIS)
    while True:
        cut = room
        while cut > 0 and (
            html.rfind("<", 0, cut) > html.rfind(">", 0, cut)
            or html.rfind("&", 0, cut) > html.rfind(";", 0, cut)
        ):
            cut -= 1
        head = html[:cut].rstrip()
        closing = "".join(f"</{name}>" for name, _ in reversed(_open_tags(head)))
        text = head + _ELLIPSIS + closing
        if len(text) <= limit:
            return text
        room -= len(text) - limit
        if room <= 0:  # nothing but markup fits: drop the markup
            plain = str(Markup(html).striptags())
            return str(Markup.escape(plain[: limit // 2])) + _ELLIPSIS
