"""What the bridge reads from one email: :class:`ParsedMail` and its attachments.

Built only by :func:`bot.mail.parsing.parse_message`; kept in a module of their own so the
modules that build the parts (:mod:`bot.mail.mime_walk`) and those that read them
(:mod:`bot.mail.autoreply`, :mod:`bot.mail.sender_auth`) need not import the parser.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.mail.problems import Problem


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
    problems: list[Problem]
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
