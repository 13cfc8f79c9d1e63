"""The MIME structure of an untrusted email: its parts, its body part, its attachments.

The walk is bounded (:data:`MAX_DEPTH`), a lost multipart boundary is guessed from the body,
and the stdlib's defects become :class:`~bot.mail.problems.Problem` codes. Written by hand
because the stdlib walks without a depth limit and has no boundary salvage.
"""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Iterator
from email import errors as email_errors
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser

from bot.mail.charsets import decode_raw_header
from bot.mail.filenames import safe_filename
from bot.mail.header_fields import first_id, raw_header
from bot.mail.parsed import ParsedAttachment
from bot.mail.problems import Problem, Problems, safe

#: Deepest MIME nesting followed: real mail stays under 6; a crafted one may nest thousands.
MAX_DEPTH = 20
#: Parts that are a delivery report (a bounce), not a file.
DSN_TYPES = frozenset({"message/delivery-status", "message/global-delivery-status"})

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
_NOT_ATTACHMENTS = DSN_TYPES | {"message/disposition-notification", "text/rfc822-headers"}
_BOUNDARY_LINE = re.compile(rb"^--([^\s]{1,200})\s*$", re.M)


class Parts:
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


def collect_defects(parts: Parts, problems: Problems) -> None:
    """Name the stdlib's defects of every part (after decoding: base64 ones appear only then)."""
    for part in parts.all():
        for defect in getattr(part, "defects", []):
            if isinstance(defect, _SERIOUS_DEFECTS):
                problems.add(Problem.MALFORMED_MIME)
            elif isinstance(defect, _ENCODING_DEFECTS):
                problems.add(Problem.BAD_TRANSFER_ENCODING)
            elif isinstance(defect, email_errors.HeaderDefect):
                problems.add(Problem.MALFORMED_HEADER)
        if parts.maintype(part) == "multipart" and not isinstance(part.get_payload(), list):
            problems.add(Problem.MALFORMED_MIME)


def salvage_boundary(msg: Message, chosen: policy.Policy, problems: Problems) -> Message:
    """Re-parse a multipart whose ``boundary`` parameter is missing, if the body shows it.

    Clients and scripts that build MIME by hand sometimes forget the parameter; the parts are
    still there, delimited by ``--something`` lines followed by part headers.
    """
    if msg.get_content_maintype() != "multipart" or isinstance(msg.get_payload(), list):
        return msg
    problems.add(Problem.MALFORMED_MIME)
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
    return disposition == "attachment" or bool(safe(part.get_filename, None))


def body_part(msg: Message, parts: Parts) -> Message | None:
    """The part to read as the email's text: plain preferred over HTML, never an attachment."""
    if isinstance(msg, EmailMessage):
        body = safe(lambda: msg.get_body(preferencelist=("plain", "html")), None)
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


def has_text_anywhere(parts: Parts) -> bool:
    return any(parts.maintype(part) == "text" for part in parts.leaves())


def part_bytes(part: Message) -> bytes:
    """A part's payload, transfer-decoded when that works, else as it stands."""
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


# --- attachments ----------------------------------------------------------------------------


def attachments(parts: Parts, body: Message | None, problems: Problems) -> list[ParsedAttachment]:
    """Every attached file (inline images too), in walk order, names made safe."""
    found: list[ParsedAttachment] = []
    for part in parts.leaves():
        if part is body or parts.maintype(part) == "multipart":
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
    name = safe(part.get_filename, None)
    for header in ("Content-Disposition", "Content-Type"):
        raw = raw_header(part, header)
        if raw and "\\" in raw:
            legacy = Message()
            legacy[header] = raw
            name = safe(legacy.get_filename, None) or name
            break
    return decode_raw_header(name) if name is not None else None


def _attachment(part: Message, number: int, problems: Problems) -> ParsedAttachment:
    ctype = part.get_content_type()
    original = _filename(part)
    extension = ".eml" if ctype == "message/rfc822" else mimetypes.guess_extension(ctype) or ""
    name = safe_filename(original, f"lampiran-{number}{extension}")
    if original is not None and name != original:
        problems.add(Problem.FILENAME_SANITISED)
    if ctype in {"message/rfc822", "message/global"}:
        inner = part.get_payload()
        first = inner[0] if isinstance(inner, list) and inner else None
        try:
            payload = first.as_bytes() if isinstance(first, Message) else part_bytes(part)
        except Exception:
            payload = part_bytes(part)
    else:
        payload = part_bytes(part)
    disposition = (part.get_content_disposition() or "").lower()
    content_id = first_id(safe(lambda: str(part.get("Content-ID") or ""), ""))
    inline = disposition == "inline" or (disposition != "attachment" and content_id is not None)
    return ParsedAttachment(
        filename=name,
        mime_type=ctype,
        size=len(payload),
        payload=payload,
        is_inline=inline,
        content_id=content_id,
    )
