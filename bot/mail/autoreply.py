"""Recognise mail that no human wrote: out-of-office answers and delivery failures.

The LPSE mailbox receives LKPP's vacation replies and the bounces of our own escalations.
Neither may ever be read as LKPP's answer to a ticket (an "Out of Office" that mentions
"selesai" must not close the SOP's step 13), and a bounce means our escalation never arrived,
which staff must know at once because the SOP's 5-minute clock (step 1) is still running.

Signals come from RFC 3834 (``Auto-Submitted``), RFC 3464/6522 (``multipart/report`` with
``report-type=delivery-status``), and the de-facto headers of common servers (``Precedence``,
``X-Autoreply``, ``X-Failed-Recipients``, a null ``Return-Path``). Subjects such as
"Automatic reply:" are only *weak* signals (``Noise.strong`` is ``False``): a human may type
them, and the bridge may want to show such mail to staff rather than drop it.

Note: ``Auto-Submitted: auto-generated`` is also what a ticketing system (LKPP's TTS) sends; the
reason string says so, and the bridge decides whether such mail from an allowed sender is noise.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from email.message import Message
from email.parser import HeaderParser
from email.utils import parseaddr
from enum import StrEnum
from typing import Protocol

__all__ = ["Noise", "NoiseKind", "bounced_message_id", "detect_noise"]


class ParsedFacts(Protocol):
    """What detection reads of a :class:`bot.mail.parsing.ParsedMail` (the parser calls this
    module, so it names the parsed mail by its shape, not by import)."""

    @property
    def headers(self) -> Sequence[tuple[str, str]]: ...
    @property
    def content_type(self) -> str: ...
    @property
    def report_type(self) -> str | None: ...
    @property
    def has_dsn_part(self) -> bool: ...
    @property
    def bounced_message_id(self) -> str | None: ...


class NoiseKind(StrEnum):
    """Why a message is not a human answer."""

    AUTO_REPLY = "balasan_otomatis"
    BOUNCE = "gagal_kirim"


@dataclass(frozen=True, slots=True)
class Noise:
    """The verdict: which kind, the first signal that decided it, and how sure we are."""

    kind: NoiseKind
    reason: str
    strong: bool = True


_BOUNCE_SENDERS = re.compile(r"^(?:mailer-daemon|postmaster|mail-daemon|mailerdaemon)@", re.I)
_BOUNCE_SUBJECTS = re.compile(
    r"undeliver|returned to sender|delivery status notification|delivery (?:has )?failed"
    r"|mail delivery (?:failed|subsystem)|failure notice|returned mail|non-delivery"
    r"|tidak terkirim|gagal terkirim|gagal dikirim|pengiriman gagal",
    re.I,
)
_AUTO_SUBJECTS = re.compile(
    r"^\s*(?:automatic reply|auto(?:matic)?[- ]?reply|auto[- ]?response|autoreply"
    r"|balasan otomatis|balas otomatis|jawaban otomatis|out of (?:the )?office"
    r"|di luar kantor|sedang cuti|vacation|abwesenheit|r[ée]ponse automatique)",
    re.I,
)
_AUTO_SUBJECT_ANYWHERE = re.compile(
    r"out of (?:the )?office|balasan otomatis|automatic reply", re.I
)
_DSN_TYPES = frozenset({"message/delivery-status", "message/global-delivery-status"})
_ORIGINAL_TYPES = frozenset({"message/rfc822", "message/global"})
_HEADER_TYPES = frozenset({"text/rfc822-headers", "message/global-headers"})
_MESSAGE_ID = re.compile(r"^message-id\s*:\s*(<[^<>\s]+>)", re.I | re.M)


class _View:
    """The few facts detection needs, from a raw ``Message`` or a ``ParsedMail``."""

    def __init__(
        self,
        headers: Iterable[tuple[str, str]],
        content_type: str,
        report_type: str | None,
        has_dsn_part: bool,
    ) -> None:
        self.headers: dict[str, list[str]] = {}
        for name, value in headers:
            self.headers.setdefault(name.lower(), []).append(str(value))
        self.content_type = content_type.lower()
        self.report_type = (report_type or "").lower()
        self.has_dsn_part = has_dsn_part

    def first(self, name: str) -> str:
        values = self.headers.get(name)
        return values[0].strip() if values else ""

    def has(self, name: str) -> bool:
        return name in self.headers


def _safe_items(msg: Message) -> list[tuple[str, str]]:
    items: list[tuple[str, str]] = []
    for name, value in msg.raw_items():
        try:
            items.append((name, str(value)))
        except Exception:  # a header object that cannot be rendered: keep going
            continue
    return items


def _view(msg: Message | ParsedFacts) -> _View:
    if isinstance(msg, Message):
        has_dsn = any(part.get_content_type() in _DSN_TYPES for part in _walk(msg))
        return _View(
            _safe_items(msg),
            msg.get_content_type(),
            str(msg.get_param("report-type") or ""),
            has_dsn,
        )
    return _View(msg.headers, msg.content_type, msg.report_type, msg.has_dsn_part)


def _walk(msg: Message, depth: int = 0) -> Iterable[Message]:
    """Like :meth:`Message.walk` but bounded: a hostile message may nest parts thousands deep."""
    yield msg
    if depth > 20 or not msg.is_multipart() or msg.get_content_maintype() != "multipart":
        return
    payload = msg.get_payload()
    if isinstance(payload, list):
        for part in payload:
            if isinstance(part, Message):
                yield from _walk(part, depth + 1)


def detect_noise(msg: Message | ParsedFacts) -> Noise | None:
    """Say whether ``msg`` is an automatic reply or a bounce, or ``None`` for human mail.

    Bounce signals are checked first because many bounces also carry ``Auto-Submitted``.

    Args:
        msg: A message parsed with :mod:`email` (any policy) or a
            :class:`bot.mail.parsing.ParsedMail`.
    """
    view = _view(msg)
    return _bounce(view) or _auto_reply(view)


def _bounce(view: _View) -> Noise | None:
    if view.content_type == "multipart/report" and view.report_type == "delivery-status":
        return Noise(NoiseKind.BOUNCE, "multipart/report delivery-status")
    if view.has("x-failed-recipients"):
        return Noise(NoiseKind.BOUNCE, "x-failed-recipients")
    if view.has_dsn_part:
        return Noise(NoiseKind.BOUNCE, "delivery-status part")
    sender = parseaddr(view.first("from"))[1].lower()
    if _BOUNCE_SENDERS.match(sender):
        return Noise(NoiseKind.BOUNCE, f"from {sender.split('@')[0]}")
    subject = view.first("subject")
    if view.first("return-path").replace(" ", "") == "<>" and _BOUNCE_SUBJECTS.search(subject):
        return Noise(NoiseKind.BOUNCE, "null return-path and bounce subject")
    if _BOUNCE_SUBJECTS.search(subject) and not _looks_like_reply(subject):
        return Noise(NoiseKind.BOUNCE, "subject", strong=False)
    return None


def _looks_like_reply(subject: str) -> bool:
    return bool(re.match(r"^\s*(?:re|balas|aw|fw|fwd|tr)\s*:", subject, re.I))


def _auto_reply(view: _View) -> Noise | None:
    auto_submitted = view.first("auto-submitted").split(";")[0].strip().lower()
    if auto_submitted and auto_submitted != "no":
        return Noise(NoiseKind.AUTO_REPLY, f"auto-submitted: {auto_submitted}")
    precedence = view.first("precedence").lower()
    if precedence in {"bulk", "junk", "list", "auto_reply"}:
        return Noise(NoiseKind.AUTO_REPLY, f"precedence: {precedence}")
    for name in ("x-autoreply", "x-autorespond", "x-autoresponder", "x-autogenerated"):
        value = view.first(name).lower()
        if view.has(name) and value not in {"no", "false", "0"}:
            return Noise(NoiseKind.AUTO_REPLY, name)
    if view.first("x-auto-response").lower() not in {"", "no"}:
        return Noise(NoiseKind.AUTO_REPLY, "x-auto-response")
    if view.first("return-path").replace(" ", "") == "<>":
        return Noise(NoiseKind.AUTO_REPLY, "null return-path")
    subject = view.first("subject")
    if _AUTO_SUBJECTS.search(subject):
        return Noise(NoiseKind.AUTO_REPLY, "subject", strong=False)
    if not _looks_like_reply(subject) and _AUTO_SUBJECT_ANYWHERE.search(subject):
        return Noise(NoiseKind.AUTO_REPLY, "subject", strong=False)
    return None


def bounced_message_id(msg: Message | ParsedFacts) -> str | None:
    """The Message-ID of the message that bounced, so staff learn which escalation failed.

    Looks in the returned original (``message/rfc822``) or its headers
    (``text/rfc822-headers``), as RFC 3462 bounces carry them; then, for bounces that paste
    the original into plain text (some Exchange and qmail versions), in any text part.

    Args:
        msg: The bounce. For a :class:`ParsedMail` the id found at parse time is returned.
    """
    if not isinstance(msg, Message):
        return msg.bounced_message_id
    for part in _walk(msg):
        found = _id_from_part(part)
        if found:
            return found
    for part in _walk(msg):
        if part.get_content_maintype() == "text" and not part.is_multipart():
            match = _MESSAGE_ID.search(_text_of(part))
            if match:
                return match.group(1)
    return None


def _id_from_part(part: Message) -> str | None:
    ctype = part.get_content_type()
    if ctype in _ORIGINAL_TYPES:
        payload = part.get_payload()
        inner: Sequence[object] = payload if isinstance(payload, list) else []
        for original in inner:
            if isinstance(original, Message):
                value = original.get("message-id")
                if value:
                    return _angle(str(value))
        if isinstance(payload, str):
            match = _MESSAGE_ID.search(payload)
            return match.group(1) if match else None
    if ctype in _HEADER_TYPES:
        headers = HeaderParser().parsestr(_text_of(part))
        value = headers.get("message-id")
        if value:
            return _angle(str(value))
        match = _MESSAGE_ID.search(_text_of(part))
        return match.group(1) if match else None
    return None


def _angle(value: str) -> str | None:
    match = re.search(r"<[^<>\s]+>", value)
    if match:
        return match.group(0)
    value = value.strip()
    return f"<{value}>" if value and " " not in value else None


def _text_of(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if isinstance(payload, bytes):
        return payload.decode("utf-8", errors="replace")
    raw = part.get_payload()
    return raw if isinstance(raw, str) else ""
