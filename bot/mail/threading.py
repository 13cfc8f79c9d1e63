"""Tie LKPP's replies to tickets: signed Message-IDs and a subject tag.

A reply is matched to its ticket in two independent ways, because mail clients keep one or the
other but rarely lose both:

* **Message-ID.** Every email the bot sends gets a Message-ID that names the ticket and carries
  an HMAC, e.g. ``<lpse.BTG-2026-00042.esk.3f9a1c.k2v7q4m9x1c8d3fa@batangkab.go.id>``. A reply's
  ``In-Reply-To``/``References`` quote it back. The HMAC lets the bridge trust the ticket
  number without a database lookup, and makes a forged reference (someone typing a ticket
  number into a fake header) fail.
* **Subject tag.** ``[LPSE-BTG #BTG-2026-00042]`` survives "Re:", "Balas:", "TR:" prefixes and
  clients that drop ``References`` (some web mailers, forwarding by hand). It is not signed, so
  the bridge trusts it only together with an allowed sender domain.

This module is pure: no clock, no randomness except in :func:`make_nonce`, no I/O.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from bot.domain.ticket import normalise_number

__all__ = [
    "OurMessageId",
    "find_subject_tag",
    "make_message_id",
    "make_nonce",
    "parse_message_id",
    "split_message_ids",
    "strip_reply_prefixes",
    "subject_tag",
    "ticket_from_references",
    "verify_message_id",
]

#: Length of the HMAC part in base32 characters (16 x 5 = 80 bits: unguessable, still short).
HMAC_CHARS = 16
_PREFIX = "lpse"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
_OUR_ID = re.compile(
    r"^<?\s*lpse\.(?P<ticket>[A-Za-z0-9-]{6,30})\.(?P<purpose>[A-Za-z0-9_-]{1,40})"
    r"\.(?P<nonce>[A-Za-z0-9_-]{1,40})\.(?P<mac>[a-z2-7]{" + str(HMAC_CHARS) + r"})"
    r"@(?P<domain>[^<>\s@]+?)\s*>?$",
    re.IGNORECASE,
)
_ANGLE_ID = re.compile(r"<([^<>\s]+)>")


@dataclass(frozen=True, slots=True)
class OurMessageId:
    """The verified parts of a Message-ID the bot generated."""

    ticket_number: str
    purpose: str
    nonce: str
    domain: str


def make_nonce() -> str:
    """A fresh random nonce so two emails for the same ticket and purpose differ."""
    return secrets.token_hex(4)


def _mac(secret: bytes, ticket_number: str, purpose: str, nonce: str) -> str:
    message = f"{ticket_number}|{purpose}|{nonce}".encode()
    digest = hmac.new(secret, message, hashlib.sha256).digest()
    return base64.b32encode(digest).decode("ascii").lower()[:HMAC_CHARS]


def make_message_id(
    ticket_number: str, purpose: str, secret: bytes, domain: str, *, nonce: str
) -> str:
    """Build the signed Message-ID of an email about ``ticket_number``.

    Args:
        ticket_number: ``BTG-2026-00042`` (any spelling :func:`normalise_number` accepts).
        purpose: Short token saying which email this is, e.g. ``"esk"`` (escalation),
            ``"data"`` (forwarded data), ``"status"`` (status request). Letters, digits,
            ``-`` and ``_`` only, because ``.`` separates the fields.
        secret: The HMAC key from the configuration; never leaves the bot.
        domain: The right-hand side, normally the LPSE mailbox's domain.
        nonce: Makes the id unique (see :func:`make_nonce`); passed in so tests are
            deterministic and so a retried send can reuse the id it stored.

    Returns:
        ``<lpse.{ticket}.{purpose}.{nonce}.{hmac}@{domain}>``.

    Raises:
        ValueError: A part is not a valid token, or the ticket number is malformed; these are
            programming errors, not input from mail.
    """
    number = normalise_number(ticket_number)
    if number is None:
        raise ValueError(f"not a ticket number: {ticket_number!r}")
    for label, value in (("purpose", purpose), ("nonce", nonce)):
        if not _TOKEN.match(value):
            raise ValueError(f"invalid {label}: {value!r}")
    if not domain or re.search(r"[\s<>@]", domain):
        raise ValueError(f"invalid domain: {domain!r}")
    mac = _mac(secret, number, purpose, nonce)
    return f"<{_PREFIX}.{number}.{purpose}.{nonce}.{mac}@{domain}>"


def parse_message_id(mid: str | None, secret: bytes) -> OurMessageId | None:
    """Return the parts of ``mid`` when it is one of ours and its HMAC checks, else ``None``.

    The comparison is constant-time (:func:`hmac.compare_digest`) so the HMAC cannot be
    guessed byte by byte from response timing.
    """
    if not mid:
        return None
    match = _OUR_ID.match(mid.strip())
    if match is None:
        return None
    number = normalise_number(match["ticket"])
    if number is None or number != match["ticket"].upper():
        return None
    expected = _mac(secret, number, match["purpose"], match["nonce"])
    if not hmac.compare_digest(expected, match["mac"].lower()):
        return None
    return OurMessageId(number, match["purpose"], match["nonce"], match["domain"].lower())


def verify_message_id(mid: str | None, secret: bytes) -> str | None:
    """The ticket number named by ``mid``, only when it is ours and unforged."""
    parsed = parse_message_id(mid, secret)
    return parsed.ticket_number if parsed else None


def split_message_ids(value: str | Iterable[str] | None) -> list[str]:
    """Every ``<id>`` in a ``References``-style header value, or in a list of such values."""
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    found: list[str] = []
    for item in value:
        ids = _ANGLE_ID.findall(item or "")
        if ids:
            found.extend(f"<{mid}>" for mid in ids)
        elif item and item.strip() and " " not in item.strip():
            found.append(f"<{item.strip().strip('<>')}>")
    return found


def ticket_from_references(
    in_reply_to: str | None,
    references: str | Iterable[str] | None,
    secret: bytes,
) -> str | None:
    """The ticket a reply belongs to, from its threading headers.

    ``In-Reply-To`` is tried first (the message directly answered), then ``References`` from
    the newest (last) to the oldest, because a thread may have started from another ticket's
    mail before being forwarded. Only ids whose HMAC verifies count.

    Args:
        in_reply_to: The ``In-Reply-To`` header value (may hold several ids or junk).
        references: The ``References`` header value or the list of ids already split.
        secret: The HMAC key.
    """
    candidates = split_message_ids(in_reply_to) + list(reversed(split_message_ids(references)))
    for mid in candidates:
        ticket = verify_message_id(mid, secret)
        if ticket is not None:
            return ticket
    return None


def subject_tag(lpse_code: str, ticket_number: str) -> str:
    """``[LPSE-BTG #BTG-2026-00042]``: the tag the bot puts in every subject it sends."""
    number = normalise_number(ticket_number)
    if number is None:
        raise ValueError(f"not a ticket number: {ticket_number!r}")
    return f"[LPSE-{lpse_code.strip().upper()} #{number}]"


_SUBJECT_TAG = re.compile(
    r"\[\s*LPSE\s*-\s*(?P<code>[A-Za-z0-9]{2,10})\s*#\s*"
    r"(?P<number>[A-Za-z0-9]{2,10}\s*-\s*\d{4}\s*-\s*\d{1,6})\s*\]",
    re.IGNORECASE,
)
_REPLY_PREFIX = re.compile(
    r"^\s*(?:(?:re|aw|sv|balas|bls|fw|fwd|tr|trs|teruskan|wg|rv)\s*(?:\[\d+\])?\s*:\s*)+",
    re.IGNORECASE,
)


def find_subject_tag(subject: str | None) -> str | None:
    """The ticket number in a subject's ``[LPSE-XXX #...]`` tag, normalised, or ``None``.

    Tolerates what clients do to subjects: any number of "Re:", "RE:", "Balas:", "Fwd:",
    "TR:" prefixes, lowercasing, and spaces added or lost around ``-`` and ``#``.
    """
    if not subject:
        return None
    match = _SUBJECT_TAG.search(subject)
    if match is None:
        return None
    return normalise_number(re.sub(r"\s+", "", match["number"]))


def strip_reply_prefixes(subject: str | None) -> str:
    """The subject without leading "Re:", "Balas:", "Fwd:", "TR:" … (repeated) prefixes."""
    return _REPLY_PREFIX.sub("", subject or "").strip()
