"""An email's body part as plain text: decoded, HTML converted, ``format=flowed`` unwrapped.

html2text does the HTML; written by hand, because the stdlib has no equivalent, is RFC 3676
``format=flowed`` unwrapping.
"""

from __future__ import annotations

import re
from email.message import Message

import html2text

from bot.mail.charsets import decode_bytes
from bot.mail.mime_walk import part_bytes
from bot.mail.problems import Problem, Problems, safe

#: Longest body text kept (before quote stripping), so a 10 MB text part costs little.
MAX_TEXT_CHARS = 200_000

_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def part_text(part: Message, problems: Problems) -> tuple[str, bool]:
    """The text of a body part and whether it came from HTML; control characters removed."""
    data = part_bytes(part)
    if len(data) > MAX_TEXT_CHARS * 4:
        data = data[: MAX_TEXT_CHARS * 4]
        problems.add(Problem.BODY_TRUNCATED)
    charset = safe(lambda: part.get_content_charset(), None)
    text, fell_back = decode_bytes(data, charset)
    if fell_back:
        problems.add(Problem.CHARSET_FALLBACK)
    text = _CONTROLS.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    if part.get_content_type() == "text/html":
        return html_to_text(text), True
    if str(part.get_param("format") or "").lower() == "flowed":
        delsp = str(part.get_param("delsp") or "").lower() == "yes"
        text = unflow(text, delsp=delsp)
    return text, False


def html_to_text(html: str) -> str:
    """Readable plain text from an HTML body, via html2text.

    Links are kept (LKPP's guides are links), emphasis and images are dropped (``**From:**``
    would hide Outlook's header block from the quote stripper), and lines are not re-wrapped.
    """
    converter = html2text.HTML2Text()
    converter.body_width = 0
    converter.ignore_images = True
    converter.ignore_emphasis = True
    converter.unicode_snob = True
    converter.single_line_break = False
    try:
        text = converter.handle(html[: MAX_TEXT_CHARS * 2])
    except Exception:
        text = re.sub(r"<[^>]+>", " ", html)
    text = text.replace("\u00a0", " ")
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n")


def unflow(text: str, *, delsp: bool = False) -> str:
    """Undo RFC 3676 ``format=flowed`` soft line breaks (Thunderbird, Apple Mail send it)."""
    out: list[str] = []
    buffer = ""
    buffer_depth: int | None = None
    for line in text.split("\n"):
        depth = len(line) - len(line.lstrip(">"))
        content = line[depth:]
        if content.startswith(" "):  # space-stuffing
            content = content[1:]
        if buffer_depth is not None and depth != buffer_depth:
            out.append(">" * buffer_depth + (" " if buffer_depth else "") + buffer)
            buffer, buffer_depth = "", None
        soft = content.endswith(" ") and content != "-- "
        if soft:
            buffer += content[:-1] if delsp else content
            buffer_depth = depth
            continue
        buffer += content
        out.append(">" * depth + (" " if depth else "") + buffer)
        buffer, buffer_depth = "", None
    if buffer_depth is not None:
        out.append(">" * buffer_depth + (" " if buffer_depth else "") + buffer)
    return "\n".join(out)
