"""What a person typed, made comparable before it is validated or stored.

Telegram delivers whatever a client sends: decomposed accents (``e`` + U+0301), zero-width
spaces and joiners, bidi controls (an RTL override turns a title around), control characters,
lone surrogates. Every free-text field is passed through :func:`normalise` first, so a title of
``\\u200b\\u200d`` is empty (not two invisible characters that ``strip()`` keeps), and what
staff and LKPP read is what the person saw.
"""

from __future__ import annotations

import unicodedata

_KEEP_CONTROLS = frozenset("\n\t")
_DROPPED = frozenset({"Cc", "Cf", "Cs"})
"""Control, format (zero-width, bidi, soft hyphen, BOM …) and surrogate code points."""
_LINE_BREAKS = str.maketrans({"\r": "\n", "\u2028": "\n", "\u2029": "\n", "\x85": "\n"})


def normalise(text: str) -> str:
    """Unicode NFC, line breaks as ``\\n``, invisible and control characters removed, trimmed."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").translate(_LINE_BREAKS))
    kept = (ch for ch in text if ch in _KEEP_CONTROLS or unicodedata.category(ch) not in _DROPPED)
    return "".join(kept).strip()


def visible_length(text: str) -> int:
    """Characters a reader sees: not spaces, not combining marks (counted with their letter)."""
    return sum(
        1 for ch in text if not ch.isspace() and not unicodedata.category(ch).startswith("M")
    )
