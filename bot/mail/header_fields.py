"""Header values of an untrusted email, read without raising: text, ids, addresses, dates.

The modern header classes (``policy.default``) are asked first; when they choke on a broken
header, the raw value is decoded by hand (:mod:`bot.mail.charsets`) and the problem is named.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.message import EmailMessage, Message
from email.utils import getaddresses, parseaddr, parsedate_to_datetime

from bot.mail.charsets import SURROGATES, decode_raw_header, fix_8bit
from bot.mail.problems import Problem, Problems

#: Most headers kept for auto-reply detection (spam may carry thousands).
MAX_HEADERS = 300

_ANGLE = re.compile(r"<([^<>\s]+)>")
_SPACES = re.compile(r"\s+")


def get_header(msg: Message, name: str, problems: Problems) -> str | None:
    """The first ``name`` header as text, decoded, without surrogates; ``None`` if absent."""
    raw = raw_header(msg, name)
    if raw is not None and SURROGATES.search(raw):
        return decode_raw_header(fix_8bit(raw))
    try:
        value = msg.get(name)
    except Exception:
        problems.add(Problem.MALFORMED_HEADER)
        value = decode_raw_header(raw) if raw is not None else None
    if value is None:
        return None
    try:
        text = str(value)
    except Exception:
        problems.add(Problem.MALFORMED_HEADER)
        text = decode_raw_header(raw or "")
    if not isinstance(msg, EmailMessage):
        text = decode_raw_header(text)
    # Surrogates from undecodable 8-bit header bytes would break later encoding (logs, DB).
    return text.encode("utf-8", "replace").decode("utf-8")


def raw_header(msg: Message, name: str) -> str | None:
    """The first ``name`` header exactly as it stands, undecoded."""
    for key, value in msg.raw_items():
        if key.lower() == name.lower():
            return str(value)
    return None


def all_headers(msg: Message, problems: Problems) -> tuple[tuple[str, str], ...]:
    """The first :data:`MAX_HEADERS` headers as ``(name, decoded value)``, in order."""
    out: list[tuple[str, str]] = []
    try:
        items = list(msg.raw_items())
    except Exception:
        problems.add(Problem.MALFORMED_HEADER)
        return ()
    for name, value in items[:MAX_HEADERS]:
        decoded = collapse(decode_raw_header(value))
        out.append((str(name), decoded.encode("utf-8", "replace").decode("utf-8")))
    return tuple(out)


def collapse(text: str) -> str:
    """``text`` with every run of white space made one space, and stripped."""
    return _SPACES.sub(" ", text).strip()


def first_id(value: str | None) -> str | None:
    """The first ``<message-id>`` in ``value`` (a bare ``a@b`` is accepted), or ``None``."""
    if not value:
        return None
    match = _ANGLE.search(value)
    if match:
        return f"<{match.group(1)}>"
    token = value.strip()
    if token and " " not in token and "@" in token:
        return f"<{token}>"
    return None


def address(msg: Message, name: str, problems: Problems) -> tuple[str, str]:
    """``(display name, lower-case address)`` of the first address in header ``name``."""
    header = None
    try:
        header = msg.get(name)
        addresses = getattr(header, "addresses", None)
        if addresses:
            first = addresses[0]
            return collapse(first.display_name or ""), (first.addr_spec or "").lower()
    except Exception:
        problems.add(Problem.MALFORMED_HEADER)
    value = get_header(msg, name, problems) if header is None else str(header)
    if not value:
        return "", ""
    display, addr = parseaddr(decode_raw_header(value))
    if not addr or "@" not in addr:
        found = re.search(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+", value)
        addr = found.group(0) if found else ""
    return collapse(decode_raw_header(display)), addr.lower()


def addresses(msg: Message, name: str, problems: Problems) -> list[str]:
    """Every address of the first header ``name``, lower-case."""
    try:
        header = msg.get(name)
        found = getattr(header, "addresses", None)
        if found is not None:
            return [a.addr_spec.lower() for a in found if a.addr_spec and "@" in a.addr_spec]
    except Exception:
        problems.add(Problem.MALFORMED_HEADER)
    value = get_header(msg, name, problems)
    if not value:
        return []
    return [addr.lower() for _, addr in getaddresses([value]) if "@" in addr]


def all_addresses(msg: Message, name: str) -> list[str] | None:
    """Every address in every ``name`` header, from the raw values (no decoding needed);
    ``None`` when there is one header with one address, as nearly always."""
    values = [str(value) for key, value in msg.raw_items() if key.lower() == name.lower()]
    if len(values) == 1 and "," not in values[0] and ";" not in values[0]:
        return None  # one header, one address (the common case): the caller has it already
    return [addr.lower() for _, addr in getaddresses(values) if "@" in addr]


def parse_date(value: str | None) -> datetime | None:
    """The ``Date`` header as an aware datetime (UTC when the zone is unknown), or ``None``."""
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed.tzinfo is None:  # "-0000" means "UTC, zone unknown" (RFC 5322 §3.3)
        parsed = parsed.replace(tzinfo=UTC)
    return parsed
