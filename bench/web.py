"""Benchmark: the dashboard's pages on a big database, and the bot beside them.

Run: ``.venv/bin/python bench/web.py [--tickets 100000] [--events 1000000] [--requests 200]``.

Seeds a fresh database (bulk SQL in one transaction: tickets with varied states, priorities,
types, roles, applications and dates; ten events per ticket, a third with message text, which
the ``ticket_search`` triggers index; running clocks for open tickets; breaches), starts the
dashboard exactly as the bot does (:mod:`bot.web.component`'s app on its own read-only
connection, in this process's event loop), logs in through a real one-time link, then requests
each page ``--requests`` times and prints p50/p99 per page (target p99 ≤ 150 ms), with SQLite's
plan of the list and search queries.

Then the bot's side: ticket steps (``Workflow.apply``: the transaction every staff command and
user message ends in, on the bot's own connection) per second, alone and while four clients
hammer the pages. The dashboard shares the bot's loop, so this is the figure that must stay
within 10%. Each figure is the median of ``--runs`` runs.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp
from aiohttp import web

from bot.domain.sop import Action, Actor
from bot.services import Services, open_services
from bot.storage.dashboard import TicketFilter
from bot.storage.db import Database
from bot.storage.timefmt import to_db
from bot.storage.web_sessions import WebSessionStore
from bot.web.auth import Gate, Membership
from bot.web.routes import build_app
from bot.web.server import LOOP_SHARE, Dashboard, LoopBudget
from bot.workflow import By
from tests.support.clock import FakeClock
from tests.support.mailservers import free_port
from tests.support.settings import make_settings

NOW = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
ADMIN = 9001
VOCABULARY = (
    "gagal unggah dokumen penawaran jadwal tender berubah akun penyedia terkunci kode paket "
    "evaluasi kualifikasi sanggah kontrak addendum sertifikat elektronik tanda tangan server "
    "lambat halaman kosong kesalahan pesan error aplikasi spse sirup katalog harga satuan "
    "pokja ppk auditor verifikasi agregasi data rekanan pajak npwp surat undangan pembuktian"
)
WORDS = tuple(VOCABULARY.split())
STATES = ("ditutup",) * 14 + ("selesai", "eskalasi", "ditangani", "baru", "dibatalkan",
                              "lkpp_minta_data")  # fmt: skip
APPS = ("SPSE 4.5", "SiRUP", "e-Katalog", "SIKaP", "Lainnya")
TYPES = ("Permasalahan", "Permintaan Layanan", "Usulan")
ROLES = ("Penyedia", "PPK", "Pokja/Pejabat Pengadaan", "Auditor", "Lainnya")
PRIORITIES = ("rendah", "menengah", "tinggi", "kritis")


def _text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words))


async def seed(services: Services, tickets: int, events: int) -> float:
    """Fill the database with bulk SQL; returns the seconds it took."""
    rng = random.Random(15)
    started = time.perf_counter()
    per_ticket = max(1, events // tickets)
    async with services.db.transaction() as conn:
        rows = []
        for i in range(1, tickets + 1):
            created = NOW - timedelta(minutes=5 * (tickets - i))
            state = rng.choice(STATES)
            escalated = to_db(created + timedelta(hours=1)) if rng.random() < 0.3 else None
            rows.append((
                i, f"BTG-2026-{i:06d}", state, rng.choice(TYPES), rng.choice(ROLES),
                rng.choice(APPS), _text(rng, 6), _text(rng, 40), "Budi", "budi@contoh.id",
                rng.choice(PRIORITIES), 100000 + i % 5000, escalated, to_db(created),
                to_db(created),
            ))  # fmt: skip
        await conn.executemany(
            "INSERT INTO tickets (id, number, state, type, role, application, title, "
            "description, contact_name, contact_email, priority, user_chat_id, escalated_at, "
            "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        del rows

        def event_rows() -> Any:
            for i in range(1, tickets + 1):
                at = NOW - timedelta(minutes=5 * (tickets - i))
                for n in range(per_ticket):
                    text = _text(rng, 15) if n % 3 == 1 else None
                    details = f'{{"text": "{text}"}}' if text else "{}"
                    yield (i, "catatan" if text else "ambil", "lapor",
                           "staf", 9101, "Sari", "ditangani", "ditangani",
                           to_db(at + timedelta(seconds=n)), details)  # fmt: skip

        await conn.executemany(
            "INSERT INTO events (ticket_id, action, sop_step, actor, actor_id, actor_name, "
            "from_state, to_state, at, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            event_rows(),
        )
        await conn.execute(
            "INSERT INTO deadlines (ticket_id, clock, state, started_at, due_at, limit_seconds, "
            "next_action, wake_at, updated_at) SELECT id, 'status_lkpp', 'running', created_at, "
            "?, 172800, 'breach', ?, created_at FROM tickets "
            "WHERE state NOT IN ('ditutup', 'dibatalkan', 'selesai')",
            (to_db(NOW + timedelta(days=1)), to_db(NOW + timedelta(days=1))),
        )
        await conn.execute(
            "INSERT INTO deadlines (ticket_id, clock, state, started_at, due_at, limit_seconds, "
            "breached_at, updated_at) SELECT id, 'eskalasi', 'breached', created_at, created_at, "
            "300, created_at, created_at FROM tickets WHERE id % 50 = 0"
        )
        # Most lapses stop once the work is done; the last few days' are still counting.
        await conn.execute(
            "UPDATE deadlines SET stopped_at = updated_at, measured_seconds = 400 "
            "WHERE state = 'breached' AND due_at < ?",
            (to_db(NOW - timedelta(days=3)),),
        )
        await conn.execute(
            "INSERT INTO breaches (deadline_id, ticket_id, clock, sequence, responsible, "
            "started_at, due_at, detected_at, elapsed_seconds, limit_seconds) "
            "SELECT id, ticket_id, clock, 1, 'lpse', started_at, due_at, due_at, 400, 300 "
            "FROM deadlines WHERE state = 'breached'"
        )
    await services.db.conn.execute("ANALYZE")
    return time.perf_counter() - started


async def start_dashboard(services: Services) -> tuple[web.AppRunner, str, Dashboard, str]:
    """The dashboard as the component starts it, and a session cookie for an admin.

    Its loop budget is off (``share=1``) while single pages are timed, and put back to the
    bot's default for the flood, as in production.
    """

    async def lookup(user_id: int) -> tuple[str, bool]:
        return "member", True

    store = WebSessionStore(services.db)
    gate = Gate(services.settings, store, Membership(services.settings, lookup))
    read_db = Database(services.settings.db_path)
    await read_db.open()
    await read_db.conn.execute("PRAGMA query_only = ON")
    dashboard = Dashboard(services, read_db, gate, None, LoopBudget(share=1.0))  # type: ignore[arg-type]
    runner = web.AppRunner(build_app(dashboard), access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    base = f"http://127.0.0.1:{port}"
    token = (await gate.issue(ADMIN, "Kepala", services.clock())).split("t=", 1)[1]
    opened = await gate.redeem(token, "127.0.0.1", "bench", services.clock())
    return runner, base, dashboard, opened.token


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def time_pages(base: str, cookie: str, paths: list[str]) -> list[float]:
    """Milliseconds of each request, one after another (a person clicking)."""
    times = []
    async with aiohttp.ClientSession(cookies={"dasbor_sesi": cookie}) as http:
        for path in paths:
            started = time.perf_counter()
            async with http.get(base + path) as response:
                await response.read()
                if response.status != 200:
                    raise RuntimeError(f"{path}: HTTP {response.status}")
            times.append((time.perf_counter() - started) * 1000)
    return times


async def hammer(base: str, cookie: str, paths: list[str], seconds: float, clients: int) -> None:
    """Child process: ``clients`` loops requesting pages for ``seconds``; prints pages/s."""

    async def one(http: aiohttp.ClientSession, start: int) -> int:
        done = 0
        began = time.perf_counter()
        while time.perf_counter() - began < seconds:
            async with http.get(base + paths[(start + done) % len(paths)]) as response:
                await response.read()
            done += 1
        return done

    async with aiohttp.ClientSession(cookies={"dasbor_sesi": cookie}) as http:
        counts = await asyncio.gather(*(one(http, i * 7) for i in range(clients)))
    print(sum(counts) / seconds, flush=True)


async def hammered(base: str, cookie: str, paths: list[str], seconds: float) -> Any:
    """Start the page clients in a process of their own, so they share no CPU time with the
    bot's loop here (only the dashboard's own work does)."""
    return await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--hammer", base, cookie, str(seconds), *paths,
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def steps_per_second(services: Services, numbers: list[str], seconds: float) -> float:
    """Ticket steps the bot's connection commits per second (a staff note each)."""
    by = By(9101, "Sari")
    done = 0
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        await services.workflow.apply(
            numbers[done % len(numbers)], Action.NOTE, Actor.STAFF, by, {"text": "catatan"}
        )
        done += 1
    return done / (time.perf_counter() - started)


async def main(args: argparse.Namespace) -> int:
    rng = random.Random(7)
    with tempfile.TemporaryDirectory(prefix="bench-web-") as tmp:
        settings = make_settings(
            Path(tmp) / "data", web_listen="127.0.0.1:8080", web_secret="bench-secret-0123456789"
        )
        services = await open_services(settings, FakeClock(NOW))
        seconds = await seed(services, args.tickets, args.events)
        counts = await services.db.fetchone(
            "SELECT (SELECT COUNT(*) FROM tickets), (SELECT COUNT(*) FROM events), "
            "(SELECT COUNT(*) FROM search_events)"
        )
        print(f"seeded {counts[0]:,} tickets, {counts[1]:,} events ({counts[2]:,} with text, "
              f"in the search index) in {seconds:.1f} s")  # fmt: skip
        runner, base, dashboard, cookie = await start_dashboard(services)
        read_db = dashboard.read_db
        try:
            await show_plans(read_db)
            pages = {
                "list, filtered": [
                    f"/tiket?status={s}&prioritas={p}"
                    for s, p in zip(rng.choices(STATES[13:], k=50),
                                    rng.choices(PRIORITIES, k=50), strict=True)
                ],
                "list, page 40": ["/tiket?jenis=Permasalahan&halaman=40"],
                "text search": [f"/tiket?q={rng.choice(WORDS)}+{rng.choice(WORDS)[:4]}"
                                for _ in range(50)],
                "detail": [f"/tiket/BTG-2026-{rng.randint(1, args.tickets):06d}"
                           for _ in range(50)],
                "today": ["/"],
            }  # fmt: skip
            print(f"{'page':<16} {'p50 ms':>8} {'p99 ms':>8}   (median of {args.runs} runs of "
                  f"{args.requests} requests)")  # fmt: skip
            for name, paths in pages.items():
                await time_pages(base, cookie, paths[:5])  # warm caches
                runs = []
                for _ in range(args.runs):
                    wanted = [paths[i % len(paths)] for i in range(args.requests)]
                    runs.append(await time_pages(base, cookie, wanted))
                p50 = statistics.median(pct(r, 0.50) for r in runs)
                p99 = statistics.median(pct(r, 0.99) for r in runs)
                print(f"{name:<16} {p50:>8.1f} {p99:>8.1f}")
            numbers = [f"BTG-2026-{i:06d}" for i in range(args.tickets - 200, args.tickets)]
            numbers = [n for n in numbers if (await services.workflow.get(n)).state.value
                       not in ("ditutup", "dibatalkan")]  # fmt: skip
            dashboard.budget = LoopBudget()
            alone, loaded, served = [], [], []
            mixed = [p for paths in pages.values() for p in paths[:10]]
            for _ in range(args.runs):
                alone.append(await steps_per_second(services, numbers, args.seconds))
                child = await hammered(base, cookie, mixed, args.seconds + 1)
                await asyncio.sleep(0.5)  # the clients are connected and busy
                loaded.append(await steps_per_second(services, numbers, args.seconds))
                out, _ = await child.communicate()
                served.append(float(out.decode().strip() or 0))
            a, b = statistics.median(alone), statistics.median(loaded)
            print(f"bot ticket steps/s: {a:,.0f} alone, {b:,.0f} while 4 clients hammer the "
                  f"pages ({statistics.median(served):,.0f} pages/s served with the dashboard's "
                  f"loop budget of {LOOP_SHARE:.0%}): {b / a:.0%}")  # fmt: skip
        finally:
            await runner.cleanup()
            await read_db.close()
            await services.db.close()
    return 0


async def show_plans(db: Database) -> None:
    for label, wanted in (
        ("filter", TicketFilter(state="eskalasi", priority="tinggi")),
        ("search", TicketFilter(text="unggah doku")),
    ):
        where, params = wanted.where()
        rows = await db.fetchall(
            f"EXPLAIN QUERY PLAN SELECT t.id FROM tickets t{where} ORDER BY t.id DESC LIMIT 50",
            params,
        )
        print(f"plan ({label}): " + "; ".join(r["detail"] for r in rows))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--hammer"]:
        base, cookie, seconds, *paths = sys.argv[2:]
        asyncio.run(hammer(base, cookie, paths, float(seconds), clients=4))
        sys.exit(0)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=3.0)
    sys.exit(asyncio.run(main(parser.parse_args())))
