"""Cut quoted history and signatures out of a reply, keeping what the sender wrote.

LKPP answers from ordinary clients (Outlook in Indonesian or English, Gmail web, Thunderbird,
phones), and every one of them appends the whole thread below the answer. The bot classifies
the reply and shows it to staff, so it must see only the new text: the keywords of our own
escalation email ("mohon informasi", the user's problem) would otherwise be counted as LKPP's.

No library does this well for Indonesian clients (``email-reply-parser`` knows only English
"On … wrote:" and ``>`` quotes; ``talon`` needs a trained model), so this is a small
line-oriented scanner with the markers below as data. It is linear in the number of lines and
looks ahead at most a few lines, so a 10,000-line body is cheap.

Signatures and disclaimers go too, with or without the ``-- `` line that clients rarely write:
a confidentiality notice ("Email ini … bersifat rahasia", "This e-mail … confidential") and
everything below it, and a name/title/address/phone block after a closing ("Salam,", "Hormat
kami,", "Regards,"). The closing itself stays, and so does any line after it that reads as
text rather than as a signature, so the reply's own last lines are never lost.

Two reply styles are handled:

* **Top-posting** (Outlook, most phones): the answer is above a marker such as an
  ``-----Original Message-----`` line or a ``Dari:/Dikirim:/Kepada:/Perihal:`` block. Everything
  from the marker down is dropped.
* **Inline** (Thunderbird, some Gmail users): ``>``-quoted lines alternate with answers. Quoted
  lines and the "On … wrote:" line introducing them are dropped; answers between them stay.
"""

from __future__ import annotations

import re

__all__ = ["strip_quotes"]

#: Longest stretch the "On … wrote:" attribution may be wrapped over by a client.
_ATTRIBUTION_MAX_LINES = 3
#: How far below a ``From:``/``Dari:`` line the rest of an Outlook header block is looked for.
_HEADER_BLOCK_LOOKAHEAD = 6

_QUOTED = re.compile(r"^\s*>")
_SEPARATOR = re.compile(
    r"^\s*-{2,}\s*(?:original message|pesan asli|pesan semula|pesan awal)\s*-{2,}\s*$",
    re.IGNORECASE,
)
_UNDERSCORES = re.compile(r"^\s*_{20,}\s*$")
#: A horizontal rule as html2text renders ``<hr>`` (Outlook puts one above its header block).
_RULE = re.compile(r"^\s*(?:\* \* \*|-{3,}|_{3,}|={3,})\s*$")
_SIGNATURE = re.compile(r"^--\s?$")
_MOBILE = re.compile(
    r"^\s*(?:sent from my\b|sent from (?:mail|outlook|yahoo|samsung|gmail)\b|get outlook for\b"
    r"|sent via\b|dikirim dari\b|terkirim dari\b|dikirim melalui\b|dikirim via\b)",
    re.IGNORECASE,
)
_MOBILE_MAX_CHARS = 70
_FORWARD = re.compile(
    r"^\s*(?:-{2,}\s*(?:forwarded message|pesan terusan|pesan yang diteruskan)\s*-{2,}"
    r"|begin forwarded message:|mulai pesan terusan:|pesan yang diteruskan:)\s*$",
    re.IGNORECASE,
)
_ATTRIBUTION_START = re.compile(r"^\s*(?:on|pada|le|am)\s+\S", re.IGNORECASE)
_ATTRIBUTION_END = re.compile(r"(?:wrote|menulis|a écrit|schrieb)\s*:\s*$", re.IGNORECASE)

# Outlook header blocks. Labels may be bolded by html2text ("**From:**").
_LABEL = r"^[\s*_]*(?:{})[\s*_]*:"
_FROM_LABEL = re.compile(_LABEL.format("from|dari"), re.IGNORECASE)
_OTHER_LABELS = re.compile(
    _LABEL.format("sent|date|to|subject|cc|dikirim|tanggal|kepada|perihal|subjek|tembusan"),
    re.IGNORECASE,
)


#: A closing line on its own: what follows it is a signature block when it looks like one.
_CLOSING = re.compile(
    r"^\s*(?:salam(?: hormat| hangat| sehat)?|hormat (?:kami|saya)|wassalam\w*|tabik"
    r"|terima ?kasih(?: banyak)?|terimakasih|best regards|kind regards|warm regards|regards"
    r"|best|thanks(?: and regards)?|thank you|sincerely|yours sincerely|cheers)\s*[,.!]*\s*$",
    re.IGNORECASE,
)
#: Longest signature block after a closing (lines), and longest line in it.
_SIGNATURE_MAX_LINES = 12
_SIGNATURE_MAX_CHARS = 90
_SIGNATURE_MAX_WORDS = 12
#: A line that reads as a sentence (ends a clause and is long), not as a signature line.
_SENTENCE = re.compile(r"[.?!:]\s*$")
#: A list item or a line introducing one: the reply's own steps, never a signature.
_LIST_LINE = re.compile(r"^\s*(?:\d{1,2}[.)]|[-*\u2022]|[a-z][.)])\s|:\s*$", re.IGNORECASE)
#: Where a confidentiality notice begins; it counts when a confidentiality word follows soon.
_DISCLAIMER_START = re.compile(
    r"^[\s*_\[(]*"
    r"(?:(?:disclaimer|penafian|pernyataan|perhatian|catatan|notice|important"
    r"|confidentiality(?: notice)?|kerahasiaan)[\s*_\])]*[:\-]?[\s*_]*)?"
    r"(?:(?:e-?mail|surel|surat elektronik|pesan|informasi)(?: ini)?"
    r"|(?:this|the) (?:e-?mail|message|communication|information)|disclaimer|penafian)\b",
    re.IGNORECASE,
)
_CONFIDENTIAL = re.compile(
    r"rahasia|kerahasiaan|konfidensial|confidential|privileged|ditujukan hanya|hanya ditujukan"
    r"|intended (?:solely|only)|intended recipient|penerima yang dituju",
    re.IGNORECASE,
)
#: How many lines (and characters) a disclaimer's opening may take to name confidentiality.
_DISCLAIMER_LOOKAHEAD = 3
_DISCLAIMER_WINDOW = 300


def strip_quotes(text: str) -> str:
    """Return only the new text of a reply: no quoted history, no signature.

    Args:
        text: The plain-text body (already decoded; HTML already converted to text).

    Returns:
        The kept lines, trailing spaces removed and runs of blank lines collapsed. May be
        empty when the message holds nothing but a quote.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept: list[str] = []
    has_text = False
    protect_until = -1  # lines of a forwarded message's own header block, kept as body
    index = 0
    total = len(lines)
    while index < total:
        line = lines[index]

        if _QUOTED.match(line):
            index += 1
            continue
        if _SIGNATURE.match(line) or _SEPARATOR.match(line) or _UNDERSCORES.match(line):
            break
        if _MOBILE.match(line) and len(line.strip()) <= _MOBILE_MAX_CHARS:
            break
        if _FORWARD.match(line):
            if has_text:
                break
            # A forward with nothing above is the message itself: keep it and its headers.
            protect_until = index + _HEADER_BLOCK_LOOKAHEAD + 1
            kept.append(line)
            index += 1
            continue
        span = _attribution_span(lines, index)
        if span:
            after = _next_non_empty(lines, index + span)
            if after is not None and _QUOTED.match(lines[after]):
                index += span  # inline or ">"-quoted: drop the attribution, scan on
                continue
            break
        if index > protect_until and _is_header_block(lines, index):
            break
        if _RULE.match(line):
            after = _next_non_empty(lines, index + 1)
            if after is not None and (
                _is_header_block(lines, after) or _attribution_span(lines, after)
            ):
                break
        if has_text and _is_disclaimer(lines, index):
            break
        kept.append(line)
        has_text = has_text or bool(line.strip())
        index += 1
    return _tidy(_without_signature_block(kept))


def _is_disclaimer(lines: list[str], index: int) -> bool:
    """True when ``index`` opens a confidentiality notice ("Email ini … bersifat rahasia")."""
    if not _DISCLAIMER_START.match(lines[index]):
        return False
    window = " ".join(lines[index : index + _DISCLAIMER_LOOKAHEAD])[:_DISCLAIMER_WINDOW]
    return bool(_CONFIDENTIAL.search(window))


def _signature_line(line: str) -> bool:
    stripped = line.strip()
    if len(stripped) > _SIGNATURE_MAX_CHARS or len(stripped.split()) > _SIGNATURE_MAX_WORDS:
        return False
    if _LIST_LINE.search(stripped):
        return False
    # "Rina Kusuma", "Helpdesk LKPP", "Telp. (021) 299-12450", "Jl. Epicentrum …, Jakarta":
    # short, and not a sentence of more than a few words.
    return not (_SENTENCE.search(stripped) and len(stripped.split()) > 4)


def _without_signature_block(lines: list[str]) -> list[str]:
    """Drop the name/title/address/phone block after the last closing line, if it is one.

    Only when every non-empty line after the closing looks like a signature line and there are
    few of them; otherwise the lines are the reply's own text and stay.
    """
    seen = 0  # non-empty lines below ``index``: a closing further up has too long a block
    for index in range(len(lines) - 1, -1, -1):
        if seen > _SIGNATURE_MAX_LINES:
            return lines
        if not lines[index].strip():
            continue
        if _CLOSING.match(lines[index]):
            if not any(line.strip() for line in lines[:index]):
                return lines  # "Terima kasih." as the first words: a greeting, not a closing
            after = [line for line in lines[index + 1 :] if line.strip()]
            if all(map(_signature_line, after)):
                return lines[: index + 1]
            return lines
        seen += 1
    return lines


def _attribution_span(lines: list[str], index: int) -> int:
    """How many lines an "On … wrote:" / "Pada … menulis:" attribution at ``index`` spans."""
    if not _ATTRIBUTION_START.match(lines[index]):
        return 0
    joined = ""
    for offset in range(_ATTRIBUTION_MAX_LINES):
        if index + offset >= len(lines):
            return 0
        part = lines[index + offset].strip()
        if offset and (not part or _QUOTED.match(part)):
            return 0
        joined = f"{joined} {part}".strip()
        if len(joined) > 400:
            return 0
        if _ATTRIBUTION_END.search(joined):
            return offset + 1
    return 0


def _next_non_empty(lines: list[str], start: int) -> int | None:
    for index in range(start, min(len(lines), start + 5)):
        if lines[index].strip():
            return index
    return None


def _is_header_block(lines: list[str], index: int) -> bool:
    """True when ``index`` starts an Outlook-style ``From:/Sent:/To:/Subject:`` block.

    Two more header labels are required below the ``From:``/``Dari:`` line, so a body line such
    as "Dari: PT Maju Jaya" alone does not cut the message.
    """
    if not _FROM_LABEL.match(lines[index]):
        return False
    labels = 0
    for line in lines[index + 1 : index + 1 + _HEADER_BLOCK_LOOKAHEAD]:
        if _OTHER_LABELS.match(line):
            labels += 1
            if labels >= 2:
                return True
    return False


def _tidy(lines: list[str]) -> str:
    out: list[str] = []
    blank = False
    for line in lines:
        line = line.rstrip()
        if not line.strip():
            if out and not blank:
                out.append("")
            blank = True
            continue
        blank = False
        out.append(line)
    while out and not out[-1]:
        out.pop()
    return "\n".join(out)
