"""Benchmark: knowledge-base retrieval quality on labelled user queries, and search latency.

Run: ``.venv/bin/python bench/kb.py [--entries 10000] [--tickets 100000] [--runs 3]``.

Quality: the starter set (``bot/data/kb_awal.toml``) is imported into a fresh database and each
query of ``bench/kb_queries.toml`` (written the way users write: informal, abbreviated, typos,
mixed Indonesian/English) is searched. Printed: top-1 and top-3 hit rate, MRR over the top 5,
how often the intake step would offer something (``Hit.good``) for a labelled query, and how
often it would offer something for a question the starter set does not answer.
Targets: top-3 ≥ 85 %, top-1 ≥ 65 %.

Latency: the starter set plus generated entries up to ``--entries``, and ``--tickets`` solved
tickets in the ticket index, all generated from the starter set's words and random words (so
the vocabulary is large and common terms match thousands of rows). Each labelled query is then
timed through :meth:`KnowledgeBase.search` (entries, as at intake and ``/faq``) and
:meth:`KnowledgeBase.similar` (entries and tickets, as on a card and ``/cari``). Printed: p50 and
p99 per run and their medians over ``--runs``. Target: search p99 ≤ 20 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
import tomllib
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.domain.kb_entries import Entry, starter_entries
from bot.kb.base import KnowledgeBase, entry_index, ticket_index
from bot.storage.db import Database
from bot.storage.timefmt import to_db

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
QUERIES = Path(__file__).with_name("kb_queries.toml")


def _clock() -> datetime:
    return NOW


def _data() -> dict:
    return tomllib.loads(QUERIES.read_text(encoding="utf-8"))


def _load_queries() -> tuple[list[tuple[str, str]], list[str]]:
    data = _data()
    labelled = [(q["teks"], q["judul"]) for q in data["kueri"]]
    unanswered = [q["teks"] for q in data.get("tanpa_jawaban", [])]
    return labelled, unanswered


async def quality(folder: Path) -> None:
    labelled, unanswered = _load_queries()
    async with Database(folder / "quality.sqlite3") as db:
        await db.upgrade()
        kb = KnowledgeBase(db, _clock)
        entries = starter_entries()
        titles = {e.title for e in entries}
        missing = sorted({title for _, title in labelled} - titles)
        if missing:
            raise SystemExit(f"labels without an entry: {missing}")
        await kb.import_entries(entries)
        top1 = top3 = offered = 0
        reciprocal = 0.0
        misses = []
        for text, title in labelled:
            hits = await kb.search(text, limit=5)
            found = [h.title for h in hits]
            rank = found.index(title) + 1 if title in found else None
            top1 += rank == 1
            top3 += rank is not None and rank <= 3
            reciprocal += 1 / rank if rank else 0.0
            offered += bool(hits) and hits[0].good() and rank == 1
            if rank != 1:
                misses.append(f"    {rank or '-'}  {text!r} → {found[:1]}")
        false_offers = []
        for text in unanswered:
            hits = await kb.search(text, limit=3)
            false_offers += [f"    {text!r} → {h.title}" for h in hits if h.good()][:1]
    n = len(labelled)
    print(f"quality: {n} labelled queries against {len(entries)} starter entries")
    print(f"  top-1 {top1 / n:.1%}   top-3 {top3 / n:.1%}   MRR@5 {reciprocal / n:.3f}")
    print(f"  intake would offer the right entry first for {offered / n:.1%}")
    print(
        f"  intake would offer something for {len(false_offers)} of {len(unanswered)} "
        "questions the starter set does not answer"
    )
    if false_offers:
        print("\n".join(false_offers))
    print("  not first (rank, query → first hit):")
    print("\n".join(misses) or "    none")
    await _intake(folder)


async def _intake(folder: Path) -> None:
    """What the intake step would offer for whole reports (title and description)."""
    data = _data()
    async with Database(folder / "quality.sqlite3") as db:
        kb = KnowledgeBase(db, _clock)
        right = 0
        for item in data.get("laporan", []):
            offered = [h.title for h in await kb.search(item["teks"], "SPSE", 3) if h.good()]
            right += item["judul"] in offered
        wrong = []
        for item in data.get("laporan_tanpa_jawaban", []):
            offered = [h.title for h in await kb.search(item["teks"], "SPSE", 3) if h.good()]
            wrong += [f"    {item['teks'][:50]!r}… → {offered[0]}"] if offered else []
    print(
        f"intake on whole reports: the right entry among those offered for {right} of "
        f"{len(data.get('laporan', []))}; something offered for {len(wrong)} of "
        f"{len(data.get('laporan_tanpa_jawaban', []))} reports it does not answer"
    )
    if wrong:
        print("\n".join(wrong))


def _generator(entries: list[Entry], seed: int) -> tuple[random.Random, list[str]]:
    rng = random.Random(seed)
    words = []
    for entry in entries:
        words += f"{entry.title} {entry.symptom} {entry.answer}".replace("\n", " ").split()
    syllables = ["ka", "ra", "ta", "pa", "ma", "si", "lu", "ne", "go", "bu", "de", "in", "an"]
    # Random words make the vocabulary as large as a real ticket history's.
    words += ["".join(rng.choices(syllables, k=rng.randint(2, 4))) for _ in range(20000)]
    return rng, words


def _text(rng: random.Random, words: list[str], count: int) -> str:
    return " ".join(rng.choices(words, k=count))


async def _fill(db: Database, kb: KnowledgeBase, entries: int, tickets: int) -> None:
    starter = starter_entries()
    await kb.import_entries(starter)
    rng, words = _generator(starter, 7)
    apps = ["SPSE", "SIKaP", "SiRUP", "e-Katalog", "INAPROC"]
    rows = []
    for i in range(entries - len(starter)):
        entry = Entry(
            title=f"{_text(rng, words, 5)} {i}",
            symptom=_text(rng, words, 20),
            answer=_text(rng, words, 60),
            keywords=[_text(rng, words, 2) for _ in range(3)],
            application=rng.choice(apps),
        )
        rows.append(entry)
    await kb.import_entries(rows)
    at = to_db(NOW)
    batch = []
    for i in range(1, tickets + 1):
        title, problem, solution = (
            _text(rng, words, 6), _text(rng, words, 35), _text(rng, words, 30)
        )  # fmt: skip
        app = rng.choice(apps)
        batch.append((i, f"BNC-2026-{i:06d}", title, problem, app, at, solution))
        if len(batch) == 5000 or i == tickets:
            async with db.transaction() as conn:
                await conn.executemany(
                    "INSERT INTO tickets (id, number, state, type, role, application, title, "
                    "description, contact_name, contact_email, priority, user_chat_id, "
                    "created_at, updated_at) VALUES (?, ?, 'ditutup', 'Permasalahan', "
                    "'Penyedia', ?, ?, ?, 'Nama', 'n@contoh.id', 'menengah', 1, ?, ?)",
                    [(r[0], r[1], r[4], r[2], r[3], r[5], r[5]) for r in batch],
                )
                for r in batch:
                    await kb.store.index_ticket(r[0], ticket_index(r[2], r[3], r[6], r[4]))
            batch = []
    kb.ticket_search.changed()
    assert entry_index  # the same analysis as the bot's writes


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def latency(folder: Path, entries: int, tickets: int, runs: int, keep: Path | None) -> None:
    labelled, _ = _load_queries()
    texts = [text for text, _ in labelled]
    path = keep or folder / "latency.sqlite3"
    built = path.exists()
    async with Database(path) as db:
        await db.upgrade()
        kb = KnowledgeBase(db, _clock)
        started = time.perf_counter()
        if not built:
            await _fill(db, kb, entries, tickets)
        print(
            f"latency: {entries:,} entries, {tickets:,} solved tickets "
            f"(built in {time.perf_counter() - started:.0f} s)"
        )
        await kb.search("pemanasan")  # load the vocabularies once, as the bot does at start
        await kb.similar("pemanasan", None, None)
        figures: dict[str, list[tuple[float, float, float]]] = {"search": [], "similar": []}
        for run in range(runs):
            for name in figures:
                times, cpu = [], []
                for text in texts * 3:
                    start, start_cpu = time.perf_counter(), time.process_time()
                    if name == "search":
                        await kb.search(text, limit=3)
                    else:
                        await kb.similar(text, "SPSE", None)
                    times.append((time.perf_counter() - start) * 1000)
                    cpu.append((time.process_time() - start_cpu) * 1000)
                p50, p99 = statistics.median(times), _percentile(times, 0.99)
                cpu99 = _percentile(cpu, 0.99)
                figures[name].append((p50, p99, cpu99))
                print(
                    f"  run {run + 1} {name:8s} p50 {p50:6.2f} ms   p99 {p99:6.2f} ms   "
                    f"(CPU time p99 {cpu99:6.2f} ms)"
                )
    for name, values in figures.items():
        p50 = statistics.median(v[0] for v in values)
        p99 = statistics.median(v[1] for v in values)
        cpu99 = statistics.median(v[2] for v in values)
        print(
            f"  median of {runs} runs, {name:8s}: p50 {p50:.2f} ms, p99 {p99:.2f} ms "
            f"(CPU time p99 {cpu99:.2f} ms: wall time on a shared machine includes waiting)"
        )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--quality-only", action="store_true")
    parser.add_argument("--keep", type=Path, help="database file to build once and reuse")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        await quality(Path(tmp))
        if not args.quality_only:
            await latency(Path(tmp), args.entries, args.tickets, args.runs, args.keep)


if __name__ == "__main__":
    asyncio.run(main())
