"""Benchmark: ingest N stored LKPP emails into a database that holds 100,000 tickets.

Run from the repository root::

    .venv/bin/python bench/ingest.py --emails 2000 --tickets 100000

Prints emails per second, the CPU time they took, and peak memory; then the reader's IDLE
latency against a real Dovecot (append → stored, median over ``--idle-appends`` appends;
target: within 2 s, Dovecot's own push arriving about 0.5 s after the append).

The emails are realistic LKPP replies (quoted history, Indonesian text, some with a tag, some
with a PDF) threaded to random escalated tickets by our signed Message-ID, plus a share of
noise and quarantine cases, so every path of :mod:`bot.mail.ingest` is exercised. Target: at
least 200 emails/second on one core.

The timed part is the production path itself, :meth:`Ingestor.ingest_pending`: one
transaction (one commit) per email, as the bridge runs it. On a shared machine the wall-clock
rate swings with the neighbours' load; the CPU time per email (all threads of this process)
is the steadier figure to compare two versions by.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from email.message import EmailMessage
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.clock import utc_now
from bot.config import Settings
from bot.mail import compose
from bot.mail.inbox import message_key
from bot.mail.ingest import Ingestor
from bot.services import Services, open_services
from bot.storage.mail import MailStore
from bot.storage.timefmt import to_db
from tests.support.idle_latency import idle_latencies
from tests.support.mailservers import ImapTestServer, dovecot_binary
from tests.support.settings import make_settings

BODIES = [
    "Selamat siang,\n\nUntuk permasalahan tersebut sedang kami proses dan sudah kami teruskan ke "
    "tim pengembang. Mohon kesediaannya untuk menunggu.\n\nTerima kasih,\nHelpdesk LKPP",
    "#PROGRES\nMasih dalam proses penanganan oleh tim teknis.\n\nSalam,\nHelpdesk LKPP",
    "Yth. LPSE,\n\nMohon dilampirkan screenshot halaman error dan kode paket yang bermasalah "
    "agar dapat kami telusuri.\n\nHelpdesk LKPP",
    "#SELESAI\nAkun penyedia sudah kami buka kembali, silakan dicoba kembali.\n\nHelpdesk LKPP",
    "Permasalahan ini merupakan kewenangan LPSE, silakan admin agency LPSE melakukan reset "
    "melalui menu Pengguna. Panduan terlampir.\n\nHelpdesk LKPP",
]
QUOTE = "\n\nPada Sen, 24 Nov 2026 pukul 09.00 LPSE Kabupaten Batang menulis:\n" + "\n".join(
    f"> baris kutipan eskalasi nomor {i} dengan uraian permasalahan pengguna" for i in range(40)
)


def settings_for(data_dir: Path) -> Settings:
    """The tests' settings: the bench measures the same configuration the suite runs."""
    return make_settings(data_dir)


async def fill_tickets(services: Services, count: int) -> None:
    """Insert ``count`` escalated tickets with plain SQL (the workflow would take minutes)."""
    now = to_db(utc_now())
    rows = [
        (f"BTG-2026-{i:05d}", "eskalasi", "Permasalahan", "Penyedia", "SPSE 4.5",
         f"Masalah {i}", "Uraian masalah pengguna.", "Budi", "budi@contoh.co.id", "menengah",
         1000 + i, now, now, now)
        for i in range(1, count + 1)
    ]  # fmt: skip
    async with services.db.transaction() as conn:
        await conn.executemany(
            "INSERT INTO tickets (number, state, type, role, application, title, description, "
            "contact_name, contact_email, priority, user_chat_id, escalated_at, created_at, "
            "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )


def make_email(services: Services, index: int, tickets: int, rng: random.Random) -> bytes:
    number = f"BTG-2026-{rng.randint(1, tickets):05d}"
    message = EmailMessage()
    kind = index % 20
    sender = "helpdesk@lkpp.go.id" if kind != 18 else "orang@contoh.example"  # 5% quarantine
    message["From"] = f"Helpdesk LKPP <{sender}>"
    message["To"] = services.settings.mail_from
    message["Subject"] = f"RE: [LPSE-BTG #{number}] Eskalasi: masalah"
    message["Message-ID"] = f"<bench.{index}.{rng.getrandbits(40):x}@lkpp.go.id>"
    message["In-Reply-To"] = compose.new_message_id(services.settings, number, "eskalasi")
    if kind == 19:  # 5% out-of-office noise
        message["Auto-Submitted"] = "auto-replied"
    message.set_content(BODIES[index % len(BODIES)] + QUOTE)
    if kind % 7 == 0:
        message.add_attachment(b"%PDF-1.4 " + bytes(20_000), maintype="application",
                               subtype="pdf", filename=f"panduan-{index}.pdf")  # fmt: skip
    return message.as_bytes()


async def main(emails: int, tickets: int, trace: bool) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        services = await open_services(settings_for(Path(tmp)), utc_now)
        try:
            started = time.perf_counter()
            await fill_tickets(services, tickets)
            print(f"{tickets:,} tickets inserted in {time.perf_counter() - started:.1f} s")
            rng = random.Random(42)
            store = MailStore(services.db)
            for index in range(emails):
                raw = make_email(services, index, tickets, rng)
                await store.store_raw(message_key(raw), raw, utc_now())
            print(f"{emails:,} emails stored")

            ingestor = Ingestor(services)
            if trace:
                tracemalloc.start()
            started = time.perf_counter()
            cpu_started = time.process_time()
            done = 0
            while True:
                batch = await ingestor.ingest_pending(limit=500)
                done += len(batch)
                if len(batch) < 500:
                    break
            elapsed = time.perf_counter() - started
            cpu = time.process_time() - cpu_started
            peak_traced = tracemalloc.get_traced_memory()[1] if trace else None
            counts = await store.count_inbox()
        finally:
            await services.db.close()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"ingested {done:,} emails in {elapsed:.2f} s: {done / elapsed:,.0f} emails/second")
    print(f"CPU time: {cpu:.2f} s, {cpu / max(done, 1) * 1000:.2f} ms per email")
    print(f"outcome: {counts}")
    print(f"peak memory (process RSS): {rss_mb:,.0f} MB")
    if peak_traced is not None:
        print(f"peak memory during ingest (tracemalloc): {peak_traced / 2**20:,.1f} MB")


async def idle_latency(appends: int) -> None:
    """Median seconds from an APPEND to the email stored, the reader idling on Dovecot."""
    if dovecot_binary() is None:
        print("IDLE latency: not measured (Dovecot is not installed)")
        return
    with ImapTestServer("dovecot") as server, tempfile.TemporaryDirectory() as tmp:
        settings = make_settings(
            Path(tmp), imap_port=server.port, imap_username=server.user,
            imap_password=server.password, imap_poll_seconds=120,
        )  # fmt: skip
        services = await open_services(settings, utc_now)
        try:
            latencies = await idle_latencies(services, server, appends)
        finally:
            await services.db.close()
    print(
        f"IDLE latency (append -> stored, Dovecot): median {statistics.median(latencies):.2f} s "
        f"over {len(latencies)} appends (min {min(latencies):.2f} s, max {max(latencies):.2f} s;"
        " poll interval 120 s)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--emails", type=int, default=2000)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--tracemalloc", action="store_true",
                        help="also measure Python allocations (slows the run)")  # fmt: skip
    parser.add_argument("--idle-appends", type=int, default=9,
                        help="appends that measure the IDLE latency (0: skip)")  # fmt: skip
    args = parser.parse_args()
    asyncio.run(main(args.emails, args.tickets, args.tracemalloc))
    if args.idle_appends:
        asyncio.run(idle_latency(args.idle_appends))
