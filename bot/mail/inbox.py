"""The IMAP reader: fetch new mail, store it raw, then mark it processed. Never lose one.

Order of work for each message, chosen so a crash at any point loses nothing and duplicates
nothing:

1. ``UID FETCH … BODY.PEEK[]`` (PEEK: fetching does not set ``\\Seen``);
2. store the raw bytes keyed by Message-ID and commit (a second fetch of the same message is
   a no-op);
3. process stored mail (:class:`bot.mail.ingest.Ingestor`; its own transaction per email);
4. mark the message ``\\Seen``, or move it to ``IMAP_PROCESSED_MAILBOX``.

A crash before 2 fetches again; between 2 and 4 the message is fetched again, the store is a
no-op and pending rows are processed. The reader uses IMAP IDLE when the server offers it and
polls every ``IMAP_POLL_SECONDS`` otherwise, and reconnects with exponential backoff.

Mail must be read within seconds (the SOP forwards LKPP's answer in 5 minutes), so the reader
never waits while the server has told it of new mail. aioimaplib drops an ``EXISTS`` that
arrives while a FETCH or STORE runs ("ignored untagged response"), so after each pass that met
new messages the reader searches again before it idles, and the next SEARCH sees what the
dropped push announced; an ``EXISTS`` that does come back in a command's answer is noted too.
Pushes queued from the last IDLE are acted on, not discarded.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import re
from collections.abc import Awaitable, Callable
from email import policy
from email.parser import BytesHeaderParser
from typing import TYPE_CHECKING

import aioimaplib

from bot.mail.imap_connect import ImapError, logout, open_session
from bot.mail.imap_connect import check as _check
from bot.mail.ingest import TRUNCATED_HEADER
from bot.mail.outbox import raise_if_cancelled
from bot.storage.mail import MailStore

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)

HEADER_SCAN_BYTES = 256 * 1024
_ANGLE = re.compile(rb"<[^<>\s]+>")
_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")
_IDLE_MAX_SECONDS = 25 * 60
_ANNOUNCE = re.compile(rb"^(?:\* )?(?:\d+ EXISTS|[1-9]\d* RECENT)\b")

Checkpoint = Callable[[str], Awaitable[None]]
"""Called at ``"fetched"``, ``"stored"`` and ``"ingested"``; crash tests raise there."""


def message_key(raw: bytes) -> str:
    """The key a raw message is stored under: its Message-ID, or a hash of its bytes.

    Deterministic, so fetching the same message again finds the stored row.
    """
    try:
        headers = BytesHeaderParser(policy=policy.compat32).parsebytes(raw[:HEADER_SCAN_BYTES])
        value = headers.get("Message-ID")
    except Exception:
        value = None
    if value:
        match = _ANGLE.search(str(value).encode("utf-8", "surrogateescape"))
        if match:
            return match.group(0).decode("utf-8", "replace")[:500]
    return f"<sha256.{hashlib.sha256(raw).hexdigest()[:40]}@synthesised.invalid>"


def _literal(response: aioimaplib.Response) -> bytes | None:
    for line in response.lines:
        if isinstance(line, bytearray):
            return bytes(line)
    return None


def _header_only(header: bytes, size: int) -> bytes:
    """A stand-in for an over-size message: its headers plus a note of the real size."""
    head = header.rstrip(b"\r\n")
    return f"{TRUNCATED_HEADER}: {size}\r\n".encode() + head + b"\r\n\r\n"


def _drop(client: aioimaplib.IMAP4) -> None:
    """Close the connection at once; the server releases the session by itself."""
    protocol = client.protocol
    transport = getattr(protocol, "transport", None) if protocol is not None else None
    if transport is not None:
        transport.close()


def _announces_mail(push: object) -> bool:
    """Whether an untagged answer says the mailbox has mail (``N EXISTS``, ``N>0 RECENT``)."""
    lines = push if isinstance(push, list) else [push]
    return any(
        isinstance(line, bytes | bytearray) and _ANNOUNCE.search(bytes(line)) is not None
        for line in lines
    )


class InboxReader:
    """Reads the LPSE mailbox.

    Args:
        services: Settings (server, mailbox, limits), database, clock.
        on_stored: Called after new mail was stored (process it, tell staff); its errors are
            logged, never stop the reader.
        checkpoint: Test hook, see :data:`Checkpoint`.
    """

    def __init__(
        self,
        services: Services,
        on_stored: Callable[[], Awaitable[object]],
        checkpoint: Checkpoint | None = None,
    ) -> None:
        self.services = services
        self.store = MailStore(services.db)
        self.on_stored = on_stored
        self.checkpoint = checkpoint
        self.connected = asyncio.Event()
        #: The server announced mail (``EXISTS``/``RECENT``) since the last search.
        self._announced = False
        #: UIDs the last pass saw: a pass is worth repeating only when it met new ones.
        self._last_uids: frozenset[str] = frozenset()

    async def run(self) -> None:
        """Read forever, reconnecting with backoff; cancelled by the bridge's ``stop``."""
        delay = 1.0
        limit = self.services.settings.imap_reconnect_max_seconds
        while True:
            raise_if_cancelled()
            try:
                client = await self.connect()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("IMAP connect failed (retry in %.0f s): %s", delay, exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, limit)
                continue
            delay = 1.0
            try:
                await self._session(client)
            except asyncio.CancelledError:
                self.connected.clear()
                _drop(client)  # stopping: no polite LOGOUT that could keep ``stop`` waiting
                raise
            except Exception as exc:
                log.warning("IMAP session ended (reconnect in %.0f s): %s", delay, exc)
            self.connected.clear()
            await self._logout(client)
            await asyncio.sleep(delay)
            delay = min(delay * 2, limit)

    async def connect(self) -> aioimaplib.IMAP4:
        """Connect, log in and select the mailbox (:func:`bot.mail.imap_connect.open_session`)."""
        settings = self.services.settings
        client = await open_session(
            settings, settings.smtp_timeout_seconds, create=settings.imap_processed_mailbox
        )
        self.connected.set()
        return client

    async def _logout(self, client: aioimaplib.IMAP4) -> None:
        await logout(client)

    async def _session(self, client: aioimaplib.IMAP4) -> None:
        settings = self.services.settings
        while True:
            raise_if_cancelled()
            await self.drain(client)
            if client.has_capability("IDLE"):
                await self._idle(client, min(settings.imap_poll_seconds, _IDLE_MAX_SECONDS))
            else:
                await asyncio.sleep(settings.imap_poll_seconds)

    async def drain(self, client: aioimaplib.IMAP4, max_passes: int = 20) -> int:
        """Pass over the mailbox until a pass meets no new message and no announcement.

        Mail that arrived while the last pass fetched is read now, not after an IDLE or poll
        interval. A message that keeps failing does not loop: only new UIDs ask for another
        pass, and ``max_passes`` bounds a mailbox that fills faster than it is read.

        Returns:
            How many messages the passes handled.
        """
        handled = 0
        for _ in range(max_passes):
            raise_if_cancelled()
            before = self._last_uids
            self._announced = False
            handled += await self.poll_once(client)
            if not (self._last_uids - before or self._announced):
                break
        return handled

    def _note(self, response: aioimaplib.Response) -> aioimaplib.Response:
        """Remember an ``EXISTS``/``RECENT`` the server slipped into a command's answer."""
        if _announces_mail(response.lines):
            self._announced = True
        return response

    async def _idle(self, client: aioimaplib.IMAP4, seconds: float) -> None:
        """Wait in IDLE until the server announces new mail, or ``seconds`` pass.

        Pushes still queued from the previous IDLE (the server may announce a message after
        we said DONE) are looked at first: one announcing mail means there is no idling to do.
        """
        queue = client.protocol.idle_queue if client.protocol is not None else None
        announced = self._announced
        while queue is not None and not queue.empty():
            announced = _announces_mail(queue.get_nowait()) or announced
        if announced:
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        idle = await client.idle_start(timeout=seconds)
        try:
            while client.has_pending_idle():
                remaining = deadline - loop.time()
                if remaining <= 0:
                    break
                try:
                    push = await client.wait_server_push(timeout=remaining)
                except TimeoutError:
                    break
                if push == aioimaplib.STOP_WAIT_SERVER_PUSH or _announces_mail(push):
                    break
        finally:
            client.idle_done()
            with contextlib.suppress(TimeoutError, asyncio.TimeoutError):
                await asyncio.wait_for(idle, 10)

    async def poll_once(self, client: aioimaplib.IMAP4) -> int:
        """Fetch, store, process and mark every unseen message once; return how many."""
        # With a processed folder, whatever is still in the mailbox is unprocessed, even mail a
        # person already opened in a mail client; otherwise \\Seen is the only record we have.
        criteria = "ALL" if self.services.settings.imap_processed_mailbox else "UNSEEN"
        response = self._note(
            _check(await client.uid_search(criteria, charset=None), "UID SEARCH")
        )
        uids = [
            token.decode()
            for line in response.lines
            if isinstance(line, bytes | bytearray)
            for token in bytes(line).split()
            if token.isdigit()
        ]
        for uid in uids:
            try:
                await self._one(client, uid)
            except ImapError as exc:  # the server refuses this one message: go on with the rest
                log.error("IMAP UID %s could not be fetched: %s", uid, exc)
        self._last_uids = frozenset(uids)
        return len(uids)

    async def _one(self, client: aioimaplib.IMAP4, uid: str) -> None:
        raw = await self._fetch(client, uid)
        if raw is None:
            log.warning("IMAP UID %s vanished before fetch", uid)
            return
        await self._checkpoint("fetched")
        key = message_key(raw)
        stored = await self.store.store_raw(key, raw, self.services.clock())
        if not stored:
            log.info("email %s already stored (UID %s fetched again)", key, uid)
        await self._checkpoint("stored")
        try:
            await self.on_stored()
        except Exception:  # processing problems never block marking the message
            log.exception("processing stored mail failed")
        await self._checkpoint("ingested")
        try:
            await self._mark_done(client, uid)
        except ImapError as exc:  # stored already: the next poll fetches it again, harmlessly
            log.warning("IMAP UID %s not marked processed: %s", uid, exc)

    async def _fetch(self, client: aioimaplib.IMAP4, uid: str) -> bytes | None:
        limit = self.services.settings.mail_max_message_bytes
        sized = _check(await client.uid("fetch", uid, "(RFC822.SIZE)"), "UID FETCH SIZE")
        size = None
        for line in sized.lines:
            if isinstance(line, bytes | bytearray):
                match = _SIZE.search(bytes(line))
                if match:
                    size = int(match.group(1))
        if size is not None and size > limit:
            header = _literal(
                _check(await client.uid("fetch", uid, "(BODY.PEEK[HEADER])"), "UID FETCH HEADER")
            )
            return None if header is None else _header_only(header, size)
        return _literal(_check(await client.uid("fetch", uid, "(BODY.PEEK[])"), "UID FETCH"))

    async def _mark_done(self, client: aioimaplib.IMAP4, uid: str) -> None:
        target = self.services.settings.imap_processed_mailbox
        if not target:
            self._note(_check(await client.uid("store", uid, "+FLAGS", "(\\Seen)"), "UID STORE"))
            return
        if client.has_capability("MOVE"):
            self._note(_check(await client.uid("move", uid, target), "UID MOVE"))
            return
        self._note(_check(await client.uid("copy", uid, target), "UID COPY"))
        flags = "(\\Seen \\Deleted)"
        self._note(_check(await client.uid("store", uid, "+FLAGS", flags), "UID STORE"))
        self._note(_check(await client.expunge(), "EXPUNGE"))

    async def _checkpoint(self, stage: str) -> None:
        if self.checkpoint is not None:
            await self.checkpoint(stage)
