"""What can be wrong with an email, as :func:`bot.mail.parsing.parse_message` names it.

Parsing never raises on untrusted mail: each thing it could not read becomes a
:class:`Problem` in :attr:`~bot.mail.parsed.ParsedMail.problems`, and the bridge decides what
to do (quarantine, show staff, carry on). Problems are stored in ``mail_inbox.problems`` and
shown to staff, so their values are part of the data and never change.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import TypeVar

_T = TypeVar("_T")


class Problem(StrEnum):
    """One thing wrong with an email. A ``StrEnum``: stored and compared as its value."""

    #: Larger than ``MAIL_MAX_MESSAGE_BYTES``: only the headers were read.
    OVERSIZE = "oversize"
    #: Broken MIME structure (missing boundary, bad nesting); the text may be partial.
    MALFORMED_MIME = "malformed_mime"
    #: A header the modern parser could not read; a lenient reading was used instead.
    MALFORMED_HEADER = "malformed_header"
    #: Invalid base64 (or similar) in a part; what could be decoded was kept.
    BAD_TRANSFER_ENCODING = "bad_transfer_encoding"
    #: The declared charset was missing, unknown or wrong; the text was decoded by guessing.
    CHARSET_FALLBACK = "charset_fallback"
    #: The text was longer than the bridge keeps and was cut.
    BODY_TRUNCATED = "body_truncated"
    #: An attachment's name was unsafe (a path, control characters) and was rewritten.
    FILENAME_SANITISED = "filename_sanitised"
    #: No usable ``Message-ID``: a stable one was made from the bytes.
    NO_MESSAGE_ID = "no_message_id"
    #: No ``From`` address.
    NO_FROM = "no_from"
    #: No headers at all: not an email (garbage, or a truncated fetch).
    NO_HEADERS = "no_headers"
    #: No text part anywhere.
    NO_BODY = "no_body"
    #: Neither the modern nor the fallback parser could read it at all.
    UNPARSEABLE = "unparseable"


class Problems:
    """The problems of one parse, in the order found, each once."""

    def __init__(self) -> None:
        self.items: list[Problem] = []

    def add(self, problem: Problem) -> None:
        if problem not in self.items:
            self.items.append(problem)


def safe(func: Callable[[], _T], default: _T) -> _T:
    """``func()``, or ``default`` when the stdlib trips over a malformed message."""
    try:
        return func()
    except Exception:
        return default
