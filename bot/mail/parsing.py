"""Turn raw bytes fetched by IMAP into a :class:`ParsedMail` the bridge can trust.

Everything in the LPSE mailbox is untrusted input: LKPP's replies from any client, bounces,
spam, and messages crafted to break parsers. So :func:`parse_message` never raises: whatever
it cannot read becomes a :class:`Problem` in :attr:`ParsedMail.problems`, and the bridge
decides (show to staff, quarantine, ignore).

The stdlib :mod:`email` package does the MIME work with ``policy.default`` (RFC 2047/2231
decoding, address parsing, :meth:`~email.message.EmailMessage.get_body`); ``compat32`` is the
fallback when the modern header classes choke on a broken header. This module is the front;
each job has its own module:

* :mod:`bot.mail.header_cache`: a header parsed once per email (the parse time's main cost);
* :mod:`bot.mail.header_fields`: ids, addresses, dates and text of headers, without raising;
* :mod:`bot.mail.mime_walk`: the bounded part walk, the body part, a lost boundary, files;
* :mod:`bot.mail.charsets`: the charset fallback chain, for bodies and raw 8-bit headers;
* :mod:`bot.mail.text`: a body part as plain text (HTML, ``format=flowed``);
* :mod:`bot.mail.problems` and :mod:`bot.mail.parsed`: what a parse returns.
"""

from __future__ import annotations

import hashlib
from email.parser import BytesHeaderParser, BytesParser

from bot.mail.autoreply import bounced_message_id as _bounced_message_id
from bot.mail.charsets import decode_bytes
from bot.mail.header_cache import policy_for
from bot.mail.header_fields import (
    address,
    addresses,
    all_addresses,
    all_headers,
    collapse,
    first_id,
    get_header,
    parse_date,
)
from bot.mail.mime_walk import (
    DSN_TYPES,
    Parts,
    attachments,
    body_part,
    collect_defects,
    has_text_anywhere,
    salvage_boundary,
)
from bot.mail.parsed import ParsedAttachment, ParsedMail
from bot.mail.problems import Problem, Problems, safe
from bot.mail.quotes import strip_quotes
from bot.mail.text import MAX_TEXT_CHARS, html_to_text, part_text, unflow
from bot.mail.threading import split_message_ids

__all__ = [
    "MAX_REPLY_CHARS",
    "MAX_TEXT_CHARS",
    "ParsedAttachment",
    "ParsedMail",
    "Problem",
    "decode_bytes",
    "html_to_text",
    "parse_message",
    "unflow",
]

#: Longest reply text kept: a real answer is a few paragraphs; 20,000 chars is ~10 pages.
MAX_REPLY_CHARS = 20_000
#: How much of an over-size message is read to find its headers.
HEADER_SCAN_BYTES = 256 * 1024


def parse_message(raw: bytes, *, max_bytes: int) -> ParsedMail:
    """Parse one raw email; never raises.

    Args:
        raw: The message exactly as fetched (``RFC822``/``BODY.PEEK[]``).
        max_bytes: Messages larger than this get only their headers parsed (problem
            :attr:`Problem.OVERSIZE`): the bridge can still thread and report them, without
            spending memory on a 50 MB attachment.

    Returns:
        A :class:`ParsedMail`; what could not be read is named in its ``problems``
        (:class:`Problem`).
    """
    if isinstance(raw, str):  # defensive: a caller passing text must not crash the bridge
        raw = raw.encode("utf-8", "surrogateescape")
    raw = bytes(raw)
    problems = Problems()
    try:
        return _parse(raw, max_bytes, problems, modern=True)
    except Exception:
        problems.add(Problem.MALFORMED_MIME)
    try:
        return _parse(raw, max_bytes, problems, modern=False)
    except Exception:
        problems.add(Problem.UNPARSEABLE)
    return _empty(raw, problems)


def _empty(raw: bytes, problems: Problems) -> ParsedMail:
    problems.add(Problem.NO_MESSAGE_ID)
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


def _parse(raw: bytes, max_bytes: int, problems: Problems, *, modern: bool) -> ParsedMail:
    chosen = policy_for(modern)
    oversize = len(raw) > max_bytes
    if oversize:
        problems.add(Problem.OVERSIZE)
        msg = BytesHeaderParser(policy=chosen).parsebytes(_header_slice(raw))
    else:
        msg = BytesParser(policy=chosen).parsebytes(raw)
        msg = salvage_boundary(msg, chosen, problems)
    headers = all_headers(msg, problems)
    if not headers:
        problems.add(Problem.NO_HEADERS)  # not an email at all: garbage, or a truncated fetch

    message_id = first_id(get_header(msg, "Message-ID", problems))
    synthesised = message_id is None
    if message_id is None:
        problems.add(Problem.NO_MESSAGE_ID)
        message_id = _synthetic_id(raw)
    in_reply_to = first_id(get_header(msg, "In-Reply-To", problems))
    references = split_message_ids(get_header(msg, "References", problems) or "")
    from_name, from_addr = address(msg, "From", problems)
    if not from_addr:
        problems.add(Problem.NO_FROM)
    reply_to = address(msg, "Reply-To", problems)[1] or None
    sender = address(msg, "Sender", problems)[1] or None
    first = [from_addr] if from_addr else []
    every_from = safe(lambda: all_addresses(msg, "From"), None)
    from_all = first if every_from is None else every_from
    subject = collapse(get_header(msg, "Subject", problems) or "")
    to = addresses(msg, "To", problems)
    cc = addresses(msg, "Cc", problems)
    date = parse_date(get_header(msg, "Date", problems))
    content_type = safe(lambda: msg.get_content_type(), "text/plain")
    report_type = safe(lambda: str(msg.get_param("report-type") or "").lower() or None, None)

    text = ""
    from_html = False
    files: list[ParsedAttachment] = []
    has_dsn = False
    bounced = None
    if not oversize:
        parts = Parts(msg)
        body = body_part(msg, parts)
        if body is not None:
            text, from_html = part_text(body, problems)
        elif not has_text_anywhere(parts):
            problems.add(Problem.NO_BODY)
        files = attachments(parts, body, problems)
        has_dsn = any(parts.content_type(part) in DSN_TYPES for part in parts.all())
        bounced = safe(lambda: _bounced_message_id(msg), None)
        collect_defects(parts, problems)  # after decoding: base64 defects appear only then
    if len(text) > MAX_TEXT_CHARS:
        text = text[:MAX_TEXT_CHARS]
        problems.add(Problem.BODY_TRUNCATED)
    reply_text = strip_quotes(text)
    if len(reply_text) > MAX_REPLY_CHARS:
        reply_text = reply_text[:MAX_REPLY_CHARS]
        problems.add(Problem.BODY_TRUNCATED)

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
        attachments=files,
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


def _header_slice(raw: bytes) -> bytes:
    head = raw[:HEADER_SCAN_BYTES]
    ends = [pos for pos in (head.find(b"\r\n\r\n"), head.find(b"\n\n")) if pos >= 0]
    return head[: min(ends)] + b"\r\n\r\n" if ends else head
