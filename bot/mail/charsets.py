"""Bytes of an email to text: the charset fallback chain, for bodies and raw 8-bit headers.

Written by hand because the stdlib has no equivalent: ``get_content`` would silently replace
undecodable bytes instead of trying cp1252, and Windows clients label cp1252 text ISO-8859-1.
"""

from __future__ import annotations

import codecs
import re
from email.header import decode_header, make_header

_LATIN1 = frozenset({"iso8859-1", "latin-1"})
#: Undecodable 8-bit header bytes, as the parser keeps them (``surrogateescape``).
SURROGATES = re.compile("[\udc80-\udcff]")


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name.strip().strip('"').lower()).name
    except (LookupError, ValueError):
        return None


def decode_bytes(data: bytes, declared: str | None) -> tuple[str, bool]:
    """Decode text bytes; returns ``(text, fell_back)``. Never raises.

    The declared charset is tried first. ISO-8859-1 is read as its superset cp1252, as
    browsers do, because Windows clients label "smart quotes" text ISO-8859-1; but text that
    is valid multi-byte UTF-8 is read as UTF-8 whatever the label says (a UTF-8 byte pair is
    almost never meant as two Latin-1 letters). When the label is missing, unknown or
    wrong, UTF-8, then cp1252, then Latin-1 (which accepts any byte) are tried, and
    ``fell_back`` is true, except for an unlabelled part that is valid UTF-8.
    """
    codec = _codec(declared)
    non_ascii = not data.isascii()
    if codec == "ascii":
        codec = None if non_ascii else codec
        if codec is None:
            declared = declared or "us-ascii"
    if codec in _LATIN1 and non_ascii:
        try:
            return data.decode("utf-8"), True
        except UnicodeDecodeError:
            pass
        try:
            return data.decode("cp1252"), False
        except UnicodeDecodeError:
            return data.decode("latin-1"), False
    if codec is not None:
        try:
            return data.decode(codec), False
        except (UnicodeDecodeError, LookupError):
            pass
    for name in ("utf-8", "cp1252", "latin-1"):
        try:
            text = data.decode(name)
        except UnicodeDecodeError:
            continue
        return text, declared is not None or name != "utf-8"
    return data.decode("latin-1"), True  # unreachable: Latin-1 decodes any byte


def fix_8bit(text: str) -> str:
    """Decode raw 8-bit header bytes (kept as surrogates by the parser) with the body's chain.

    RFC 5322 forbids them, but some webmail and scripts send UTF-8 or Latin-1 subjects raw.
    """
    if not SURROGATES.search(text):
        return text
    data = text.encode("utf-8", "surrogateescape")
    return decode_bytes(data, None)[0]


def decode_raw_header(value: object) -> str:
    """Decode a header the way compat32 cannot: RFC 2047 words, unknown charsets tolerated."""
    text = fix_8bit(str(value))
    if "=?" not in text:
        return text
    try:
        return str(make_header(decode_header(text)))
    except Exception:
        return text
