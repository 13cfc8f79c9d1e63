"""How long an email APPENDed to a real IMAP server takes to be stored by the running reader.

Shared by the IDLE test (``tests/integration/mail/test_inbox.py``) and ``bench/ingest.py``, so
the figure the benchmark prints is the one the test bounds.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid

from bot.mail.inbox import InboxReader, message_key
from bot.mail.ingest import Ingestor
from bot.services import Services
from bot.storage.mail import MailStore
from tests.support.mailservers import ImapTestServer

#: How long the reader gets to settle into IDLE before the next APPEND.
SETTLE_SECONDS = 0.3


def lkpp_email(index: int) -> bytes:
    """A small email from LKPP with a Message-ID of its own (it ends in quarantine: no ticket)."""
    return (
        "From: Helpdesk LKPP <helpdesk@lkpp.go.id>\r\n"
        "To: LPSE Kabupaten Batang <lpse@batangkab.go.id>\r\n"
        f"Subject: Informasi pemeliharaan SPSE {index}\r\n"
        f"Message-ID: <idle.{index}.{uuid.uuid4().hex}@lkpp.go.id>\r\n"
        "Date: Tue, 01 Dec 2026 09:00:00 +0700\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        f"Pemberitahuan nomor {index}.\r\n"
    ).encode()


async def wait_stored(services: Services, raw: bytes, seconds: float) -> float:
    """Seconds until ``raw`` is stored, polled every 10 ms; TimeoutError after ``seconds``."""
    store = MailStore(services.db)
    key = message_key(raw)
    started = time.perf_counter()
    while await store.inbox_by_message_id(key) is None:
        if time.perf_counter() - started > seconds:
            raise TimeoutError(f"{key} not stored within {seconds} s")
        await asyncio.sleep(0.01)
    return time.perf_counter() - started


async def idle_latencies(
    services: Services,
    server: ImapTestServer,
    count: int,
    *,
    within: float = 30.0,
) -> list[float]:
    """Run the reader; APPEND ``count`` emails one by one; seconds from APPEND to stored.

    Each APPEND starts the clock just before it is sent, and runs in a thread so the reader's
    event loop keeps going meanwhile.
    """
    ingestor = Ingestor(services)
    reader = InboxReader(services, ingestor.ingest_pending)
    task = asyncio.create_task(reader.run())
    latencies: list[float] = []
    try:
        await asyncio.wait_for(reader.connected.wait(), 10)
        for index in range(count):
            await asyncio.sleep(SETTLE_SECONDS)
            raw = lkpp_email(index)
            started = time.perf_counter()
            await asyncio.to_thread(server.append, raw)
            await wait_stored(services, raw, within)
            latencies.append(time.perf_counter() - started)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    return latencies
