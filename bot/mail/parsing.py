"""Turn raw bytes fetched by IMAP into a :class:`ParsedMail` the bridge can trust.

Everything in the LPSE mailbox is untrusted input: LKPP's replies from any client, bounces,
spam, and messages crafted to break parsers. So :func:`parse_message` never raises: whatever
it cannot read becomes a string in :attr:`ParsedMail.problems`, and the bridge decides (show
to staff, quarantine, ignore).

The stdlib :mod:`email` package does the MIME work with ``policy.default`` (RFC 2047/2231
decoding, address parsing, :meth:`~email.message.EmailMessage.get_body`); ``compat32`` is the
fallback when the modern header classes choke on a broken header. Written by hand here,
because the stdlib has no equivalent: the charset fallback chain (``get_content`` would
silently replace undecodable bytes instead of trying cp1252), RFC 3676 ``format=flowed``
unwrapping, guessing a lost multipart boundary, and the bounded part walk.
"""

from __future__ import annotations

import codecs
import hashlib
import mimetypes
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import errors as email_errors
from email import policy
from email.header import decode_header, make_header
from email.headerregistry import HeaderRegistry
from email.message import EmailMessage, Message
from email.parser import BytesHeaderParser, BytesParser
from email.policy import EmailPolicy
from email.utils import getaddresses, parseaddr, parsedate_to_datetime
from typing import Any, TypeVar

import html2text

from bot.mail.autoreply import bounced_message_id as _bounced_message_id
from bot.mail.filenames import safe_filename
from bot.mail.quotes import strip_quotes
from bot.mail.threading import split_message_ids

__all__ = [
    "MAX_REPLY_CHARS",
    "MAX_TEXT_CHARS",
    "ParsedAttachment",
    "ParsedMail",
    "html_to_text",
    "parse_message",
]

#: Longest reply text kept: a real answer is a few paragraphs; 20,000 chars is ~10 pages.
MAX_REPLY_CHARS = 20_000
#: Longest body text kept (before quote stripping), so a 10 MB text part costs little.
MAX_TEXT_CHARS = 200_000
#: Deepest MIME nesting followed: real mail stays under 6; a crafted one may nest thousands.
MAX_DEPTH = 20
#: Most headers kept for auto-reply detection (spam may carry thousands).
MAX_HEADERS = 300
#: How much of an over-size message is read to find its headers.
HEADER_SCAN_BYTES = 256 * 1024

_SERIOUS_DEFECTS = (
    email_errors.NoBoundaryInMultipartDefect,
    email_errors.StartBoundaryNotFoundDefect,
    email_errors.MultipartInvariantViolationDefect,
    email_errors.MissingHeaderBodySeparatorDefect,
    email_errors.FirstHeaderLineIsContinuationDefect,
    email_errors.MisplacedEnvelopeHeaderDefect,
)
_ENCODING_DEFECTS = (
    email_errors.InvalidBase64PaddingDefect,
    email_errors.InvalidBase64CharactersDefect,
    email_errors.InvalidBase64LengthDefect,
)
_DSN_TYPES = frozenset({"message/delivery-status", "message/global-delivery-status"})
_NOT_ATTACHMENTS = _DSN_TYPES | {"message/disposition-notification", "text/rfc822-headers"}
_ANGLE = re.compile(r"<([^<>\s]+)>")
_SPACES = re.compile(r"\s+")
_LATIN1 = frozenset({"iso8859-1", "latin-1"})
_T = TypeVar("_T")


class _HeaderClasses(HeaderRegistry):
    """The stdlib registry, but it makes each header class once instead of on every parse.

    ``HeaderRegistry.__getitem__`` builds a new class with ``type()`` for every header it
    parses; keyed by the resolved class (a fixed handful), not by the header's name, so
    senders inventing names cannot grow it.
    """

    def __init__(self) -> None:
        super().__init__()
        self._made: dict[type, type] = {}

    def __getitem__(self, name: str) -> type:
        cls = self.registry.get(name.lower(), self.default_class)
        made = self._made.get(cls)
        if made is None:
            made = self._made[cls] = super().__getitem__(name)
        return made


_HEADER_CLASSES = _HeaderClasses()
#: Parsed headers shared by all messages: our own ``To``, LKPP's ``From``, ``text/plain;
#: charset=utf-8`` come back in nearly every email. Only headers that repeat (not ids, dates,
#: subjects), short values only, and emptied when full, so hostile mail can neither bloat it
#: nor keep it (plain dict get/set/clear, so threads may share it).
_SHARED_HEADERS: dict[tuple[str, str], str] = {}
_SHARED_NAMES = frozenset(
    {"from", "to", "cc", "reply-to", "sender", "mime-version", "content-type",
     "content-disposition", "content-transfer-encoding"}
)  # fmt: skip
_SHARED_MAX_ENTRIES = 512
_SHARED_MAX_CHARS = 200


class _OncePolicy(EmailPolicy):
    """``policy.default``, except that a header value is parsed once, not on every read.

    The stdlib re-parses a header every time it is read: ``get_content_type`` alone parses
    the part's ``Content-Type`` again on each call, and the part walks here, in
    :meth:`~email.message.EmailMessage.get_body` and in the bounce scan ask it a dozen times
    per part. Header objects are immutable and depend only on the name and the raw value, so
    handing the same one out again changes nothing but the time (most of the parse time of an
    ordinary reply). A parse that raises is not remembered: the next read raises the same way.
    One instance (one memo) per parsed message, see :func:`_policy_for`; short values are
    also kept across messages in :data:`_SHARED_HEADERS`.
    """

    _parsed: dict[tuple[str, str], str] | None = None

    def __init__(self, **kw: Any) -> None:
        """Any policy attribute as a keyword, ``_parsed`` too (the stubs list only the public)."""
        super().__init__(**kw)

    def header_fetch_parse(self, name: str, value: str) -> str:
        """The header object (a ``str`` subclass), parsed once per message and value."""
        memo = self._parsed
        if memo is None or hasattr(value, "name"):
            return super().header_fetch_parse(name, value)
        key = (name, value)
        found = memo.get(key)
        if found is None:
            found = _SHARED_HEADERS.get(key)
            if found is None:
                found = super().header_fetch_parse(name, value)
                if len(value) <= _SHARED_MAX_CHARS and name.lower() in _SHARED_NAMES:
                    if len(_SHARED_HEADERS) >= _SHARED_MAX_ENTRIES:
                        _SHARED_HEADERS.clear()
                    _SHARED_HEADERS[key] = found
            memo[key] = found
        return found


def _policy_for(modern: bool) -> policy.Policy:
    """The policy for one parse: a fresh :class:`_OncePolicy`, or ``compat32`` as fallback."""
    if not modern:
        return policy.compat32
    return _OncePolicy(header_factory=_HEADER_CLASSES, _parsed={})


@dataclass(frozen=True, slots=True)
class ParsedAttachment:
    """One attached file, its name already made safe (see :mod:`bot.mail.filenames`)."""

    filename: str
    mime_type: str
    size: int
    payload: bytes = field(repr=False)
    is_inline: bool = False
    content_id: str | None = None


@dataclass(frozen=True, slots=True)
class ParsedMail:
    """What the bridge needs from one email. Built only by :func:`parse_message`."""

    message_id: str
    in_reply_to: str | None
    references: list[str]
    subject: str
    from_addr: str
    from_name: str
    to: list[str]
    date: datetime | None
    text: str
    reply_text: str
    attachments: list[ParsedAttachment]
    problems: list[str]
    headers: tuple[tuple[str, str], ...] = ()
    cc: list[str] = field(default_factory=list)
    reply_to: str | None = None
    content_type: str = "text/plain"
    report_type: str | None = None
    has_dsn_part: bool = False
    bounced_message_id: str | None = None
    text_from_html: bool = False
    message_id_synthesised: bool = False
    size: int = 0
    #: Every address of every ``From`` header (``from_addr`` is the first): more than one
    #: means the author is ambiguous, and a client shows whichever it likes.
    from_all: list[str] = field(default_factory=list)
    #: The ``Sender`` address (who really sent it on the author's behalf), or ``None``.
    sender: str | None = None

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (case-insensitive), decoded, or ``None``."""
        lowered = name.lower()
        for key, value in self.headers:
            if key.lower() == lowered:
                return value
        return None

    def header_all(self, name: str) -> list[str]:
        """Every value of header ``name`` (case-insensitive), decoded."""
        lowered = name.lower()
        return [value for key, value in self.headers if key.lower() == lowered]


class _Problems:
    """An ordered set of problem codes."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, code: str) -> None:
        if code not in self.items:
            self.items.append(code)


def parse_message(raw: bytes, *, max_bytes: int) -> ParsedMail:
    """Parse one raw email; never raises.

    Args:
        raw: The message exactly as fetched (``RFC822``/``BODY.PEEK[]``).
        max_bytes: Messages larger than this get only their headers parsed (problem
            ``"oversize"``): the bridge can still thread and report them, without spending
            memory on a 50 MB attachment.

    Returns:
        A :class:`ParsedMail`. Problem codes: ``oversize``, ``malformed_mime``,
        ``malformed_header``, ``bad_transfer_encoding``, ``charset_fallback``,
        ``body_truncated``, ``filename_sanitised``, ``no_message_id``, ``no_from``,
        ``no_body``, ``unparseable``.
    """
    if isinstance(raw, str):  # defensive: a caller passing text must not crash the bridge
        raw = raw.encode("utf-8", "surrogateescape")
    raw = bytes(raw)
    problems = _Problems()
    try:
        return _parse(raw, max_bytes, problems, modern=True)
    except Exception:
        problems.add("malformed_mime")
    try:
        return _parse(raw, max_bytes, problems, modern=False)
    except Exception:
        problems.add("unparseable")
    return _empty(raw, problems)


def _empty(raw: bytes, problems: _Problems) -> ParsedMail:
    problems.add("no_message_id")
    return ParsedMail(
        message_id=_synthetic_id(raw),
        in_reply_to=None,
        references=[],
        subject="",
        from_addr="",
        from_name="",
        to=[],
        date=None,
        text="",
        reply_text="",
        attachments=[],
        problems=problems.items,
        message_id_synthesised=True,
        size=len(raw),
    )


def _synthetic_id(raw: bytes) -> str:
    # Stable: fetching the same message twice gives the same id, so de-duplication still works.
    return f"<sha256.{hashlib.sha256(raw).hexdigest()[:40]}@synthesised.invalid>"


def _parse(raw: bytes, max_bytes: int, problems: _Problems, *, modern: bool) -> ParsedMail:
    chosen = _policy_for(modern)
    oversize = len(raw) > max_bytes
    if oversize:
        problems.add("oversize")
        msg = BytesHeaderParser(policy=chosen).parsebytes(_header_slice(raw))
    else:
        msg = BytesParser(policy=chosen).parsebytes(raw)
        msg = _salvage_boundary(msg, chosen, problems)
    headers = _headers(msg, problems)
    if not headers:
        problems.add("no_headers")  # not an email at all: garbage, or a truncated fetch

    message_id = _first_id(_get(msg, "Message-ID", problems))
    synthesised = message_id is None
    if message_id is None:
        problems.add("no_message_id")
        message_id = _synthetic_id(raw)
    in_reply_to = _first_id(_get(msg, "In-Reply-To", problems))
    references = split_message_ids(_get(msg, "References", problems) or "")
    from_name, from_addr = _address(msg, "From", problems)
    if not from_addr:
        problems.add("no_from")
    reply_to = _address(msg, "Reply-To", problems)[1] or None
    sender = _address(msg, "Sender", problems)[1] or None
    first = [from_addr] if from_addr else []
    from_all = _safe(lambda: _all_addresses(msg, "From"), None)
    from_all = first if from_all is None else from_all
    subject = _collapse(_get(msg, "Subject", problems) or "")
    to = _addresses(msg, "To", problems)
    cc = _addresses(msg, "Cc", problems)
    date = _date(_get(msg, "Date", problems))
    content_type = _safe(lambda: msg.get_content_type(), "text/plain")
    report_type = _safe(lambda: str(msg.get_param("report-type") or "").lower() or None, None)

    text = ""
    from_html = False
    attachments: list[ParsedAttachment] = []
    has_dsn = False
    bounced = None
    if not oversize:
        parts = _Parts(msg)
        body_part = _body_part(msg, parts)
        if body_part is not None:
            text, from_html = _part_text(body_part, problems)
        elif not _has_text_anywhere(parts):
            problems.add("no_body")
        attachments = _attachments(parts, body_part, problems)
        has_dsn = any(parts.content_type(part) in _DSN_TYPES for part in parts.all())
        bounced = _safe(lambda: _bounced_message_id(msg), None)
        _collect_defects(parts, problems)  # after decoding: base64 defects appear only then
    if len(text) > MAX_TEXT_CHARS:
        text = text[:MAX_TEXT_CHARS]
        problems.add("body_truncated")
    reply_text = strip_quotes(text)
    if len(reply_text) > MAX_REPLY_CHARS:
        reply_text = reply_text[:MAX_REPLY_CHARS]
        problems.add("body_truncated")

    return ParsedMail(
        message_id=message_id,
        in_reply_to=in_reply_to,
        references=references,
        subject=subject,
        from_addr=from_addr,
        from_name=from_name,
        to=to,
        date=date,
        text=text,
        reply_text=reply_text,
        attachments=attachments,
        problems=problems.items,
        headers=headers,
        cc=cc,
        reply_to=reply_to,
        content_type=content_type,
        report_type=report_type,
        has_dsn_part=has_dsn,
        bounced_message_id=bounced,
        text_from_html=from_html,
        message_id_synthesised=synthesised,
        size=len(raw),
        from_all=from_all,
        sender=sender,
    )


def _safe(func: Callable[[], _T], default: _T) -> _T:
    """``func()``, or ``default`` when the stdlib trips over a malformed message."""
    try:
        return func()
    except Exception:
        return default


def _header_slice(raw: bytes) -> bytes:
    head = raw[:HEADER_SCAN_BYTES]
    ends = [pos for pos in (head.find(b"\r\n\r\n"), head.find(b"\n\n")) if pos >= 0]
    return head[: min(ends)] + b"\r\n\r\n" if ends else head


# --- headers ------------------------------------------------------------------------------


def _decode_raw_header(value: object) -> str:
    """Decode a header the way compat32 cannot: RFC 2047 words, unknown charsets tolerated."""
    text = _fix_8bit(str(value))
    if "=?" not in text:
        return text
    try:
        return str(make_header(decode_header(text)))
    except Exception:
        return text


_SURROGATES = re.compile("[\udc80-\udcff]")
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _fix_8bit(text: str) -> str:
    """Decode raw 8-bit header bytes (kept as surrogates by the parser) with the body's chain.

    RFC 5322 forbids them, but some webmail and scripts send UTF-8 or Latin-1 subjects raw.
    """
    if not _SURROGATES.search(text):
        return text
    data = text.encode("utf-8", "surrogateescape")
    return decode_bytes(data, None)[0]


def _get(msg: Message, name: str, problems: _Problems) -> str | None:
    raw = _raw_header(msg, name)
    if raw is not None and _SURROGATES.search(raw):
        return _decode_raw_header(_fix_8bit(raw))
    try:
        value = msg.get(name)
    except Exception:
        problems.add("malformed_header")
        value = _decode_raw_header(raw) if raw is not None else None
    if value is None:
        return None
    try:
        text = str(value)
    except Exception:
        problems.add("malformed_header")
        text = _decode_raw_header(raw or "")
    if not isinstance(msg, EmailMessage):
        text = _decode_raw_header(text)
    # Surrogates from undecodable 8-bit header bytes would break later encoding (logs, DB).
    return text.encode("utf-8", "replace").decode("utf-8")


def _raw_header(msg: Message, name: str) -> str | None:
    for key, value in msg.raw_items():
        if key.lower() == name.lower():
            return str(value)
    return None


def _headers(msg: Message, problems: _Problems) -> tuple[tuple[str, str], ...]:
    out: list[tuple[str, str]] = []
    try:
        items = list(msg.raw_items())
    except Exception:
        problems.add("malformed_header")
        return ()
    for name, value in items[:MAX_HEADERS]:
        decoded = _collapse(_decode_raw_header(value))
        out.append((str(name), decoded.encode("utf-8", "replace").decode("utf-8")))
    return tuple(out)


def _collapse(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def _first_id(value: str | None) -> str | None:
    if not value:
        return None
    match = _ANGLE.search(value)
    if match:
        return f"<{match.group(1)}>"
    token = value.strip()
    if token and " " not in token and "@" in token:
        return f"<{token}>"
    return None


def _address(msg: Message, name: str, problems: _Problems) -> tuple[str, str]:
    header = None
    try:
        header = msg.get(name)
        addresses = getattr(header, "addresses", None)
        if addresses:
            first = addresses[0]
            return _collapse(first.display_name or ""), (first.addr_spec or "").lower()
    except Exception:
        problems.add("malformed_header")
    value = _get(msg, name, problems) if header is None else str(header)
    if not value:
        return "", ""
    display, addr = parseaddr(_decode_raw_header(value))
    if not addr or "@" not in addr:
        found = re.search(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+", value)
        addr = found.group(0) if found else ""
    return _collapse(_decode_raw_header(display)), addr.lower()


def _addresses(msg: Message, name: str, problems: _Problems) -> list[str]:
    try:
        header = msg.get(name)
        addresses = getattr(header, "addresses", None)
        if addresses is not None:
            return [a.addr_spec.lower() for a in addresses if a.addr_spec and "@" in a.addr_spec]
    except Exception:
        problems.add("malformed_header")
    value = _get(msg, name, problems)
    if not value:
        return []
    return [addr.lower() for _, addr in getaddresses([value]) if "@" in addr]


def _all_addresses(msg: Message, name: str) -> list[str] | None:
    """Every address in every ``name`` header, from the raw values (no decoding needed);
    ``None`` when there is one header with one address, as nearly always."""
    values = [str(value) for key, value in msg.raw_items() if key.lower() == name.lower()]
    if len(values) == 1 and "," not in values[0] and ";" not in values[0]:
        return None  # one header, one address (the common case): the caller has it already
    return [addr.lower() for _, addr in getaddresses(values) if "@" in addr]


def _date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed.tzinfo is None:  # "-0000" means "UTC, zone unknown" (RFC 5322 §3.3)
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


# --- structure ------------------------------------------------------------------------------


class _Parts:
    """One message's parts and their content types, each worked out once per parse.

    The body, attachment, DSN and defect steps all walk the same parts and ask each for its
    content type; this remembers the answers. The walk stays lazy, in the same order, and a
    walk that was cut short or raised is not remembered, so a broken part raises at exactly
    the point it did without the memo.
    """

    def __init__(self, msg: Message) -> None:
        self.msg = msg
        self._all: list[Message] | None = None
        self._types: dict[int, str] = {}

    def all(self) -> Iterator[Message]:
        """Every part, depth-first, not entering attached messages, at most MAX_DEPTH deep."""
        if self._all is not None:
            yield from self._all
            return
        seen: list[Message] = []
        for part in self._walk(self.msg, 0):
            seen.append(part)
            yield part
        self._all = seen

    def _walk(self, msg: Message, depth: int) -> Iterator[Message]:
        yield msg
        if depth >= MAX_DEPTH or self.maintype(msg) != "multipart":
            return
        payload = msg.get_payload()
        if isinstance(payload, list):
            for part in payload:
                if isinstance(part, Message):
                    yield from self._walk(part, depth + 1)

    def leaves(self) -> Iterator[Message]:
        """The parts that are not (well-formed) multiparts, in walk order."""
        for part in self.all():
            if self.maintype(part) != "multipart" or not isinstance(part.get_payload(), list):
                yield part

    def content_type(self, part: Message) -> str:
        """``part.get_content_type()``; the parts live as long as this object, so ids are safe."""
        found = self._types.get(id(part))
        if found is None:
            found = self._types[id(part)] = part.get_content_type()
        return found

    def maintype(self, part: Message) -> str:
        """``part.get_content_maintype()``: the same split the stdlib does."""
        return self.content_type(part).split("/")[0]


def _collect_defects(parts: _Parts, problems: _Problems) -> None:
    for part in parts.all():
        for defect in getattr(part, "defects", []):
            if isinstance(defect, _SERIOUS_DEFECTS):
                problems.add("malformed_mime")
            elif isinstance(defect, _ENCODING_DEFECTS):
                problems.add("bad_transfer_encoding")
            elif isinstance(defect, email_errors.HeaderDefect):
                problems.add("malformed_header")
        if parts.maintype(part) == "multipart" and not isinstance(part.get_payload(), list):
            problems.add("malformed_mime")


_BOUNDARY_LINE = re.compile(rb"^--([^\s]{1,200})\s*$", re.M)


def _salvage_boundary(msg: Message, chosen: policy.Policy, problems: _Problems) -> Message:
    """Re-parse a multipart whose ``boundary`` parameter is missing, if the body shows it.

    Clients and scripts that build MIME by hand sometimes forget the parameter; the parts are
    still there, delimited by ``--something`` lines followed by part headers.
    """
    if msg.get_content_maintype() != "multipart" or isinstance(msg.get_payload(), list):
        return msg
    problems.add("malformed_mime")
    body = msg.get_payload()
    data = body.encode("utf-8", "surrogateescape") if isinstance(body, str) else b""
    for match in _BOUNDARY_LINE.finditer(data):
        following = data[match.end() : match.end() + 200].lstrip(b"\r\n")
        if re.match(rb"content-[\w-]+\s*:", following, re.I):
            boundary = match.group(1).decode("ascii", "replace")
            try:
                msg.set_param("boundary", boundary)
                reparsed = BytesParser(policy=chosen).parsebytes(msg.as_bytes())
            except Exception:
                return msg
            if isinstance(reparsed.get_payload(), list):
                return reparsed
            return msg
    return msg


def _is_attachment_part(part: Message) -> bool:
    disposition = (part.get_content_disposition() or "").lower()
    return disposition == "attachment" or bool(_safe(part.get_filename, None))


def _body_part(msg: Message, parts: _Parts) -> Message | None:
    if isinstance(msg, EmailMessage):
        body = _safe(lambda: msg.get_body(preferencelist=("plain", "html")), None)
        if body is not None and body.get_content_maintype() == "text":
            return body
    plain = html = None
    for part in parts.leaves():
        if _is_attachment_part(part):
            continue
        ctype = parts.content_type(part)
        if ctype == "text/plain" and plain is None:
            plain = part
        elif ctype == "text/html" and html is None:
            html = part
    if plain is not None or html is not None:
        return plain or html
    if msg.get_content_maintype() == "multipart" and not isinstance(msg.get_payload(), list):
        return msg  # broken multipart we could not salvage: show its raw text
    return None


def _has_text_anywhere(parts: _Parts) -> bool:
    return any(parts.maintype(part) == "text" for part in parts.leaves())


# --- text ---------------------------------------------------------------------------------


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
    non_ascii = not _is_ascii(data)
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


def _is_ascii(data: bytes) -> bool:
    return data.isascii()


def _part_bytes(part: Message) -> bytes:
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        payload = None
    if isinstance(payload, bytes):
        return payload
    raw = part.get_payload()
    if isinstance(raw, str):
        return raw.encode("utf-8", "surrogateescape")
    return b""


def _part_text(part: Message, problems: _Problems) -> tuple[str, bool]:
    data = _part_bytes(part)
    if len(data) > MAX_TEXT_CHARS * 4:
        data = data[: MAX_TEXT_CHARS * 4]
        problems.add("body_truncated")
    charset = _safe(lambda: part.get_content_charset(), None)
    text, fell_back = decode_bytes(data, charset)
    if fell_back:
        problems.add("charset_fallback")
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


# --- attachments ----------------------------------------------------------------------------


def _attachments(
    parts: _Parts, body_part: Message | None, problems: _Problems
) -> list[ParsedAttachment]:
    found: list[ParsedAttachment] = []
    for part in parts.leaves():
        if part is body_part or parts.maintype(part) == "multipart":
            continue  # the body, or a broken multipart already shown as the body
        ctype = parts.content_type(part)
        if ctype in _NOT_ATTACHMENTS:
            continue
        if parts.maintype(part) == "text" and not _is_attachment_part(part):
            continue  # the body's alternative (HTML twin) or a stray text part
        found.append(_attachment(part, len(found) + 1, problems))
    return found


def _filename(part: Message) -> str | None:
    """The attachment's name as the sender meant it, RFC 2231 and RFC 2047 decoded.

    The modern policy treats ``\\`` in a quoted name as an escape, turning the Windows path
    ``C:\\Users\\x.pdf`` some clients send into ``C:Usersx.pdf``, which would hide the
    directory part from :func:`safe_filename`. For such raw values compat32's unquoting
    (which keeps lone backslashes) is used instead.
    """
    name = _safe(part.get_filename, None)
    for header in ("Content-Disposition", "Content-Type"):
        raw = _raw_header(part, header)
        if raw and "\\" in raw:
            legacy = Message()
            legacy[header] = raw
            name = _safe(legacy.get_filename, None) or name
            break
    return _decode_raw_header(name) if name is not None else None


def _attachment(part: Message, number: int, problems: _Problems) -> ParsedAttachment:
    ctype = part.get_content_type()
    original = _filename(part)
    extension = ".eml" if ctype == "message/rfc822" else mimetypes.guess_extension(ctype) or ""
    name = safe_filename(original, f"lampiran-{number}{extension}")
    if original is not None and name != original:
        problems.add("filename_sanitised")
    if ctype in {"message/rfc822", "message/global"}:
        inner = part.get_payload()
        first = inner[0] if isinstance(inner, list) and inner else None
        try:
            payload = first.as_bytes() if isinstance(first, Message) else _part_bytes(part)
        except Exception:
            payload = _part_bytes(part)
    else:
        payload = _part_bytes(part)
    disposition = (part.get_content_disposition() or "").lower()
    content_id = _first_id(_safe(lambda: str(part.get("Content-ID") or ""), ""))
    inline = disposition == "inline" or (disposition != "attachment" and content_id is not None)
    return ParsedAttachment(
        filename=name,
        mime_type=ctype,
        size=len(payload),
        payload=payload,
        is_inline=inline,
        content_id=content_id,
    )
