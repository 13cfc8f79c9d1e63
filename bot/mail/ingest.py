"""Decide what one stored email is: an LKPP reply to a ticket, noise, or something to quarantine.

The inbox reader stores every fetched email raw first (:meth:`MailStore.store_raw`); this
module then processes each stored row exactly once, in one transaction that both applies the
SOP step (LKPP_REPLY_RECEIVED, and the tagged class's action) and marks the row done. A crash
before that commit leaves the row ``baru`` to be processed again; after it, nothing is redone.

Matching, safest first: our signed Message-ID in In-Reply-To/References (an HMAC nobody can
forge), then the subject tag. Either way the sender must be in ``LKPP_ALLOWED_SENDERS``, pass
the header rules and, when ``MAIL_TRUSTED_AUTHSERV_ID`` is set, the LPSE server's sender
authentication (:mod:`bot.mail.sender_auth`); and the ticket must be waiting for LKPP
(:func:`bot.domain.sop.lkpp_reply_fit`). Anything else waits in quarantine for staff, with the
reason, never silently dropped.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from markupsafe import Markup

from bot.domain.errors import IllegalTransition
from bot.domain.sop import Action, Actor, LkppReplyClass, LkppReplyFit, State, lkpp_reply_fit
from bot.domain.ticket import Attachment, Ticket
from bot.mail.autoreply import NoiseKind, detect_noise
from bot.mail.classify import classify, strip_tag
from bot.mail.parsing import ParsedAttachment, ParsedMail, Problem, parse_message
from bot.mail.sender_auth import authentication_problem, header_problem
from bot.mail.threading import find_subject_tag, ticket_from_references, verify_message_id
from bot.storage.mail import MATCHED, NEW, NOISE, QUARANTINED, InboxRow, MailStore
from bot.workflow import SYSTEM, By

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.services import Services

log = logging.getLogger(__name__)

#: Quarantine reasons (keys of ``surel_karantina`` in ``locales/id/surel.toml``).
NOT_ALLOWED = "pengirim_tidak_diizinkan"
UNMATCHED = "tidak_cocok"
NO_TICKET = "tiket_tidak_ada"
OTHER_LPSE = "tag_lpse_lain"
OVERSIZE = "terlalu_besar"
UNREADABLE = "tidak_terbaca"
MAYBE_AUTOMATIC = "mungkin_otomatis"
#: Header the inbox reader puts on an over-size message it fetched without its body.
TRUNCATED_HEADER = "X-Lpse-Truncated"
#: What a ticketing system (LKPP's TTS) sends: from LKPP about a ticket, it is an answer.
_TICKETING = "auto-submitted: auto-generated"
#: Signs that an ``auto-generated`` mail is an out-of-office answer after all (Exchange rules).
_OUT_OF_OFFICE = re.compile(
    r"otomatis|automatic|auto[- ]?reply|out of (?:the )?office|di luar kantor|cuti|vacation", re.I
)
_OOF_HEADERS = ("X-MS-Exchange-Generated-Message-Source", "X-MS-Exchange-Inbox-Rules-Loop")


@dataclass(frozen=True, slots=True)
class IngestResult:
    """What happened to one stored email."""

    inbox_id: int
    state: str
    ticket_number: str | None = None
    reason: str | None = None
    reply_id: int | None = None
    cls: LkppReplyClass | None = None
    by_tag: bool = False
    action_error: str | None = None


@dataclass(frozen=True, slots=True)
class Verdict:
    """Where an email goes, decided from the email alone (no database).

    ``state`` is MATCHED (to ``number``, if that ticket exists), NOISE or QUARANTINED;
    ``reason`` says why; a MATCHED verdict with reason MAYBE_AUTOMATIC still goes to
    quarantine once the ticket is known to exist, so staff decide.
    """

    state: str
    number: str | None = None
    matched_by: str | None = None
    reason: str | None = None
    bounce: bool = False


def match(parsed: ParsedMail, secret: bytes) -> tuple[str | None, str | None]:
    """The ticket an email names, and how: our signed Message-ID first, then the subject tag."""
    number = ticket_from_references(parsed.in_reply_to, parsed.references, secret)
    if number is not None:
        return number, "message_id"
    number = find_subject_tag(parsed.subject)
    if number is not None:
        return number, "subjek"
    return None, None


def decide(parsed: ParsedMail, settings: Settings, secret: bytes) -> Verdict:
    """Decide what an email is, from its content, the allowed senders and our secret."""
    if Problem.UNPARSEABLE in parsed.problems:
        return Verdict(QUARANTINED, reason=UNREADABLE)
    number, matched_by = match(parsed, secret)
    allowed = bool(parsed.from_addr) and settings.sender_allowed(parsed.from_addr)
    noise = detect_noise(parsed)
    ticketing = (
        noise is not None
        and noise.reason == _TICKETING
        and allowed
        and number is not None
        and not _OUT_OF_OFFICE.search(parsed.subject)
        and not any(parsed.header(name) for name in _OOF_HEADERS)
    )
    if noise is not None and noise.strong and not ticketing:
        return Verdict(NOISE, reason=f"{noise.kind.value}: {noise.reason}",
                       bounce=noise.kind is NoiseKind.BOUNCE)  # fmt: skip
    if Problem.OVERSIZE in parsed.problems or parsed.header(TRUNCATED_HEADER) is not None:
        return Verdict(QUARANTINED, number, reason=OVERSIZE)
    forged = header_problem(parsed, settings.lkpp_domains)
    if forged is None and allowed and settings.mail_trusted_authserv_id:
        forged = authentication_problem(
            parsed, settings.mail_trusted_authserv_id, settings.lkpp_domains
        )
    if forged is not None:
        return Verdict(QUARANTINED, number, reason=forged)
    if number is None:
        return Verdict(QUARANTINED, reason=UNMATCHED if allowed else NOT_ALLOWED)
    if number.split("-", 1)[0] != settings.lpse_code.upper():
        return Verdict(QUARANTINED, reason=OTHER_LPSE)
    if not allowed:
        return Verdict(QUARANTINED, number, reason=NOT_ALLOWED)
    reason = MAYBE_AUTOMATIC if noise is not None and not ticketing else None
    return Verdict(MATCHED, number, matched_by, reason)


@dataclass(frozen=True, slots=True)
class TicketRef:
    """The two facts of a ticket ingestion needs, read with one cheap query."""

    id: int
    number: str


class Ingestor:
    """Processes stored emails. Holds no state besides its services.

    Args:
        services: Settings (secret, allowed senders, size limit), workflow, texts, clock.
    """

    def __init__(self, services: Services) -> None:
        self.services = services
        self.store = MailStore(services.db)
        self.secret = services.settings.mail_secret.get_secret_value().encode()

    async def ingest_pending(self, limit: int = 100) -> list[IngestResult]:
        """Process every stored email not processed yet (oldest first).

        The next email is parsed in a worker thread while the current one's transaction runs:
        parsing is CPU work and the database round trips leave the event loop idle, so the two
        overlap (see ``bench/ingest.py``).
        """
        ids = await self.store.pending(limit)
        results: list[IngestResult] = []
        upcoming = asyncio.ensure_future(self._prepare(ids[0])) if ids else None
        try:
            for index, inbox_id in enumerate(ids):
                assert upcoming is not None
                row, parsed = await upcoming
                upcoming = (
                    asyncio.ensure_future(self._prepare(ids[index + 1]))
                    if index + 1 < len(ids)
                    else None
                )
                results.append(await self._ingest(inbox_id, row, parsed))
        finally:
            if upcoming is not None and not upcoming.done():
                upcoming.cancel()
        return results

    async def _prepare(self, inbox_id: int) -> tuple[InboxRow | None, ParsedMail | None]:
        row = await self.store.inbox(inbox_id)
        if row is None or row.state != NEW:
            return row, None
        try:
            parsed = await asyncio.to_thread(self._parse, row.raw)
        except Exception:  # _ingest parses again and quarantines with the reason
            return row, None
        return row, parsed

    def _parse(self, raw: bytes) -> ParsedMail:
        return parse_message(raw, max_bytes=self.services.settings.mail_max_message_bytes)

    async def ingest(self, inbox_id: int) -> IngestResult:
        """Process one stored email; never raises for a bad email (it is quarantined)."""
        return await self._ingest(inbox_id, await self.store.inbox(inbox_id), None)

    async def _ingest(
        self, inbox_id: int, row: InboxRow | None, parsed: ParsedMail | None
    ) -> IngestResult:
        if row is None:
            raise LookupError(f"no stored email {inbox_id}")
        if row.state != NEW:
            return IngestResult(inbox_id, row.state, reason=row.reason)
        try:
            return await self._process(row, parsed or self._parse(row.raw))
        except Exception as exc:  # one bad email must never stop the bridge
            log.exception("email %s (%s) could not be processed", row.id, row.message_id)
            reason = f"galat_internal: {type(exc).__name__}"
            async with self.services.db.transaction():
                await self.store.set_inbox(
                    row.id, state=QUARANTINED, at=self.services.clock(), reason=reason,
                    problems=[repr(exc)[:500]],
                )  # fmt: skip
            return IngestResult(row.id, QUARANTINED, reason=reason)

    async def _process(self, row: InboxRow, parsed: ParsedMail) -> IngestResult:
        verdict = decide(parsed, self.services.settings, self.secret)
        if verdict.state == NOISE:
            return await self._noise(row, parsed, verdict.reason or "", verdict.bounce)
        if verdict.state == QUARANTINED:
            return await self._quarantine(row, parsed, verdict.reason or "", verdict.number)
        assert verdict.number is not None and verdict.matched_by is not None
        standing = await self._fit(verdict.number)
        if standing is None:
            return await self._quarantine(row, parsed, NO_TICKET)
        if verdict.reason == MAYBE_AUTOMATIC:
            return await self._quarantine(row, parsed, MAYBE_AUTOMATIC, verdict.number)
        ticket_id, fit = standing
        if fit is LkppReplyFit.ACCEPTED:
            ticket = TicketRef(ticket_id, verdict.number)
            try:
                return await self._accept(row, parsed, ticket, verdict.matched_by, SYSTEM)
            except IllegalTransition:  # the ticket moved on since it was read: judge again
                fit = (await self._fit(verdict.number) or (ticket_id, fit))[1]
                if fit is LkppReplyFit.ACCEPTED:
                    raise  # refused for another reason: quarantined as an internal error
        # Strict threading: not waiting for LKPP, so staff read it and decide.
        return await self._quarantine(row, parsed, fit.value, verdict.number)

    async def _fit(self, number: str) -> tuple[int, LkppReplyFit] | None:
        """The ticket's id and whether it accepts an LKPP reply now; ``None``: no such ticket."""
        standing = await self.store.ticket_standing(number)
        if standing is None:
            return None
        ticket_id, state, escalated = standing
        return ticket_id, lkpp_reply_fit(State(state), escalated=escalated)

    async def attach(self, inbox_id: int, number: str, by: By) -> IngestResult:
        """Staff attach a quarantined email to ticket ``number`` (the ``q:`` button).

        Raises:
            LookupError: No such email, or it is not in quarantine any more.
            TicketNotFound: No such ticket.
        """
        row = await self.store.inbox(inbox_id)
        if row is None or row.state != QUARANTINED:
            raise LookupError(f"email {inbox_id} is not in quarantine")
        ticket = await self.services.workflow.get(number)
        parsed = parse_message(row.raw, max_bytes=self.services.settings.mail_max_message_bytes)
        return await self._accept(row, parsed, ticket, "staf", by)

    async def _accept(
        self,
        row: InboxRow,
        parsed: ParsedMail,
        ticket: TicketRef | Ticket,
        matched_by: str,
        by: By,
    ) -> IngestResult:
        """Record LKPP's reply and apply its steps, all in one transaction."""
        workflow = self.services.workflow
        verdict = classify(parsed.reply_text, parsed.subject)
        # Users read LKPP's words, not our protocol: the tag goes (staff see the class as a
        # label); the full original stays in the stored email and in full_text.
        clean = strip_tag(parsed.reply_text)
        now = self.services.clock()
        assert ticket.id is not None
        files = [
            a for a in parsed.attachments if not (a.is_inline and a.mime_type.startswith("image/"))
        ]  # fmt: skip  (inline images are logos and signatures, not LKPP's files)
        paths = await self._save(row.id, files)
        confirmed: LkppReplyClass | None = None
        action_error = None
        async with workflow.transaction():
            applied = await workflow.apply_in(
                ticket.number, Action.LKPP_REPLY_RECEIVED, Actor.LKPP, by,
                details={"message_id": parsed.message_id, "dari": parsed.from_addr,
                         "subjek": parsed.subject[:300], "kelas_usulan": verdict.cls.value,
                         "tanda": verdict.by_tag, "cocok_lewat": matched_by},
            )  # fmt: skip
            action = verdict.cls.action
            if verdict.by_tag and action is not None:
                attachments = [
                    Attachment(None, ticket.id, "lkpp", f.filename, f.mime_type, f.size,
                               storage_path=path)
                    for f, path in zip(files, paths, strict=True)
                ]  # fmt: skip
                try:
                    await workflow.apply_in(
                        ticket.number, action, Actor.LKPP, SYSTEM,
                        details={"message_id": parsed.message_id, "tanda": verdict.cls.tag,
                                 "text": clean},
                        attachments=attachments,
                    )  # fmt: skip
                    confirmed = verdict.cls
                except IllegalTransition as exc:
                    exc.number = ticket.number
                    action_error = Markup(self.services.texts.error(exc)).unescape()
            reply_id = await self.store.add_reply(
                inbox_id=row.id, ticket_id=ticket.id, event_id=applied.event_id,
                message_id=parsed.message_id, matched_by=matched_by, from_addr=parsed.from_addr,
                subject=parsed.subject[:500], reply_text=clean,
                full_text=parsed.text, proposed_class=verdict.cls.value, by_tag=verdict.by_tag,
                matched=verdict.matched[:20],
                confirmed_class=confirmed.value if confirmed else None,
                confirmed_at=now if confirmed else None, action_error=action_error,
                received_at=now,
            )  # fmt: skip
            for attachment, path in zip(files, paths, strict=True):
                await self.store.add_file(
                    inbox_id=row.id, reply_id=reply_id, ticket_id=ticket.id,
                    file_name=attachment.filename, mime_type=attachment.mime_type,
                    content=attachment.payload, at=now, storage_path=path,
                )  # fmt: skip
            await self.store.set_inbox(
                row.id, state=MATCHED, at=now, ticket_id=ticket.id,
                from_addr=parsed.from_addr, subject=parsed.subject[:500],
                reason=f"cocok_lewat: {matched_by}", problems=parsed.problems,
            )  # fmt: skip
        return IngestResult(row.id, MATCHED, ticket.number, None, reply_id, verdict.cls,
                            verdict.by_tag, action_error)  # fmt: skip

    async def _save(self, inbox_id: int, files: list[ParsedAttachment]) -> list[str]:
        """Write LKPP's files under ``DATA_DIR/surel/<email id>/`` (names already made safe).

        Written before the transaction: a rollback leaves an orphan file, never a row without
        its file.
        """
        folder = self.services.settings.data_dir / "surel" / str(inbox_id)
        paths = [str(folder / f"{index:02d}-{f.filename}") for index, f in enumerate(files, 1)]

        def write() -> None:
            folder.mkdir(parents=True, exist_ok=True)
            for file, path in zip(files, paths, strict=True):
                Path(path).write_bytes(file.payload)

        if files:
            await asyncio.to_thread(write)
        return paths

    async def _quarantine(
        self, row: InboxRow, parsed: ParsedMail, reason: str, number: str | None = None
    ) -> IngestResult:
        ticket_id = await self.store.ticket_id(number) if number is not None else None
        async with self.services.db.transaction():
            await self.store.set_inbox(
                row.id, state=QUARANTINED, at=self.services.clock(), ticket_id=ticket_id,
                from_addr=parsed.from_addr, subject=parsed.subject[:500], reason=reason,
                problems=parsed.problems,
            )  # fmt: skip
        log.info("email %s quarantined: %s", row.message_id, reason)
        return IngestResult(row.id, QUARANTINED, number, reason)

    async def _noise(
        self, row: InboxRow, parsed: ParsedMail, reason: str, bounce: bool
    ) -> IngestResult:
        """Record an auto-reply or bounce; a bounce of our own email alerts staff."""
        ticket = None
        if bounce:
            number = verify_message_id(parsed.bounced_message_id, self.secret)
            if number is not None:
                ticket = await self.services.tickets.get(number)
            elif parsed.bounced_message_id:
                ours = await self.store.outbox_by_message_id(parsed.bounced_message_id)
                if ours is not None:
                    ticket = await self.services.tickets.get_by_id(ours.ticket_id)
        async with self.services.db.transaction():
            await self.store.set_inbox(
                row.id, state=NOISE, at=self.services.clock(),
                ticket_id=ticket.id if ticket else None, from_addr=parsed.from_addr,
                subject=parsed.subject[:500], reason=reason, problems=parsed.problems,
                alert=bounce and ticket is not None,
            )  # fmt: skip
        return IngestResult(row.id, NOISE, ticket.number if ticket else None, reason)
