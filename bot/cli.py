"""``python -m bot``: run the bot, migrate or back up the database, check the set-up.

Every failure a person can fix (a missing setting, an unreachable server, an unusable
``DATA_DIR``, a second bot on the same data) ends as one Indonesian line on stderr and a
non-zero exit status, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.config import ConfigError, Settings, load_settings, load_storage_settings
from bot.domain.priority import PriorityTable, PriorityTableError
from bot.logging_setup import setup_logging
from bot.storage.datadir import DataDirLock, StorageUnusable
from bot.storage.db import Database

EXIT_CONFIG = 2
EXIT_FAILED = 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot", description="Bot Eskalasi LPSE: helpdesk SPSE dan eskalasi ke LKPP"
    )
    parser.add_argument("--env-file", default=".env", help="file pengaturan (bawaan: .env)")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="menjalankan bot")
    sub.add_parser("migrate", help="membuat/memperbarui skema database")
    sub.add_parser(
        "check", help="memeriksa pengaturan, Telegram, SMTP, IMAP, database dan antrean email"
    )
    backup = sub.add_parser("backup", help="mencadangkan database (online backup SQLite)")
    backup.add_argument("target", nargs="?", help="file tujuan (bawaan: DATA_DIR/backup/...)")
    report = sub.add_parser(
        "report",
        help="laporan mutu baku SOP untuk suatu periode",
        description="Periode seperti /laporan: kosong = bulan ini, 2026-05, 2026-05-07, "
        "2026-05-01–2026-05-31. --from/--to menggantikan awal/akhir periode.",
    )
    report.add_argument("period", nargs="*", help="periode (bawaan: bulan ini)")
    report.add_argument("--from", dest="start", type=_day, help="tanggal awal YYYY-MM-DD")
    report.add_argument("--to", dest="end", type=_day, help="tanggal akhir YYYY-MM-DD")
    report.add_argument("--chart", type=Path, help="tulis grafik PNG ke file ini")
    report.add_argument("--xlsx", type=Path, help="tulis lembar kerja .xlsx ke file ini")
    from bot.kb.cli import add_parser as add_kb_parser

    add_kb_parser(sub)
    return parser


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} bukan tanggal YYYY-MM-DD") from None


async def _migrate(env_file: str) -> int:
    settings = load_storage_settings(env_file)
    async with Database(settings.db_path) as db:
        applied = await db.upgrade()
        version = await db.version()
    if applied:
        print(f"Database {settings.db_path} diperbarui ke versi {version}.")
    else:
        print(f"Database {settings.db_path} sudah versi terbaru ({version}).")
    await _recompute(env_file)
    return 0


async def _recompute(env_file: str) -> None:
    """Run a queued recompute of the clocks now, when the full settings allow it.

    It needs the calendar and the time standards (full settings); without them it runs when the
    bot starts, which opens the database the same way.
    """
    from bot.clock import utc_now
    from bot.deadlines.recompute import open_recomputed
    from bot.storage.recompute import RecomputeStore

    try:
        settings = load_settings(env_file)
    except ConfigError:
        return
    db = Database(settings.db_path)
    await db.ensure_ready()
    try:
        if not await RecomputeStore(db).pending():
            return
        await open_recomputed(settings, utc_now, db)
        print("Jam mutu baku semua tiket dihitung ulang dengan aturan waktu terukur.")
    finally:
        await db.close()


async def _backup(env_file: str, target: str | None) -> int:
    settings = load_storage_settings(env_file)
    if not settings.db_path.exists():
        print(f"Database {settings.db_path} belum ada.", file=sys.stderr)
        return EXIT_FAILED
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    path = Path(target) if target else settings.data_dir / "backup" / f"bot-{stamp}.sqlite3"
    async with Database(settings.db_path) as db:
        await db.backup(path)
    print(f"Cadangan database tersimpan di {path}")
    return 0


async def _check(env_file: str) -> int:
    from bot.health import check_setup
    from bot.text import Texts

    try:
        settings = load_settings(env_file)
        PriorityTable.load(settings.priority_table_file)
    except (ConfigError, PriorityTableError) as exc:
        print(f"FAIL pengaturan: {exc}")
        return EXIT_CONFIG
    print(f"OK   pengaturan: {env_file}, LPSE {settings.lpse_code}, zona {settings.timezone}")
    texts = Texts(settings.tz)
    results = await check_setup(settings)
    for result in results:
        print(result.line(texts))
    return 0 if all(r.ok is not False for r in results) else EXIT_FAILED


async def _open_database(settings: Settings) -> None:
    """Open and upgrade the database once before polling, so a bad one fails in one line."""
    async with Database(settings.db_path) as db:
        await db.upgrade()


def _run(env_file: str) -> int:
    from bot.app import build_application

    settings = load_settings(env_file)
    PriorityTable.load(settings.priority_table_file)
    with DataDirLock(settings.data_dir):
        asyncio.run(_open_database(settings))
        setup_logging(settings.log_level, settings.log_format)
        _serve(build_application(settings), settings)
    return 0


def _serve(application: Any, settings: Settings) -> None:
    if settings.webhook_url:
        application.run_webhook(
            listen=settings.webhook_listen,
            port=settings.webhook_port,
            webhook_url=settings.webhook_url,
            secret_token=settings.webhook_secret_token.get_secret_value()
            if settings.webhook_secret_token
            else None,
        )
    else:
        application.run_polling()


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    try:
        if args.command == "run":
            return _run(args.env_file)
        if args.command == "migrate":
            return asyncio.run(_migrate(args.env_file))
        if args.command == "check":
            return asyncio.run(_check(args.env_file))
        if args.command == "backup":
            return asyncio.run(_backup(args.env_file, args.target))
        if args.command == "report":
            from bot.deadlines.report import run_report_cli

            return asyncio.run(
                run_report_cli(
                    args.env_file,
                    " ".join(args.period),
                    args.start,
                    args.end,
                    chart=args.chart,
                    xlsx=args.xlsx,
                )
            )
        if args.command == "kb":
            from bot.kb.cli import run as run_kb

            return asyncio.run(run_kb(args.env_file, args))
    except (ConfigError, PriorityTableError) as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_CONFIG
    except StorageUnusable as exc:
        from bot.text import Texts

        print(exc.line(Texts(ZoneInfo("Asia/Jakarta"))), file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        return 130
    return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
