"""``python -m bot kb import|export|search``: how an LPSE fills and inspects its knowledge base.

``import FILE`` (or ``import --awal`` for the starter set shipped with the bot) is all or
nothing; ``export FILE`` writes every entry in the same TOML shape; ``search "teks"`` prints
the top 5 active entries as JSON lines (``id``, ``judul``, ``skor``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bot.clock import utc_now
from bot.config import load_storage_settings
from bot.domain.kb_entries import (
    STARTER_FILE,
    EntryFileError,
    dump_entries,
    read_entries,
    starter_entries,
)
from bot.kb.base import KnowledgeBase
from bot.storage.db import Database

EXIT_FAILED = 1


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    kb = sub.add_parser("kb", help="basis pengetahuan: impor, ekspor, cari")
    actions = kb.add_subparsers(dest="kb_command", required=True)
    imp = actions.add_parser("import", help="mengimpor entri dari file TOML ([[entri]])")
    source = imp.add_mutually_exclusive_group(required=True)
    source.add_argument("file", nargs="?", type=Path, help="file TOML")
    source.add_argument("--awal", action="store_true", help="set awal bawaan bot (30 entri)")
    exp = actions.add_parser("export", help="mengekspor semua entri ke file TOML")
    exp.add_argument("file", type=Path)
    search = actions.add_parser("search", help="mencari entri aktif (5 teratas, JSON per baris)")
    search.add_argument("text")
    search.add_argument("--aplikasi", help="aplikasi/modul untuk prioritas hasil, mis. SPSE")


async def run(env_file: str, args: argparse.Namespace) -> int:
    settings = load_storage_settings(env_file)
    async with Database(settings.db_path) as db:
        await db.upgrade()
        kb = KnowledgeBase(db, utc_now)
        if args.kb_command == "import":
            try:
                entries = starter_entries() if args.awal else read_entries(args.file)
            except EntryFileError as exc:
                print(f"Impor dibatalkan, tidak ada entri yang disimpan.\n{exc}", file=sys.stderr)
                return EXIT_FAILED
            name = STARTER_FILE if args.awal else args.file.name
            result = await kb.import_entries(entries, origin=f"impor {name}")
            print(f"{result.added} entri ditambahkan, {result.updated} entri diperbarui.")
            return 0
        if args.kb_command == "export":
            entries = await kb.entries()
            args.file.write_text(dump_entries(entries) if entries else "", encoding="utf-8")
            print(f"{len(entries)} entri diekspor ke {args.file}.")
            return 0
        for hit in await kb.search(args.text, args.aplikasi):
            line = {"id": hit.id, "judul": hit.title, "skor": round(hit.score, 3)}
            print(json.dumps(line, ensure_ascii=False))
        return 0
