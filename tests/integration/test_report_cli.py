"""``python -m bot report [periode]``: the period forms of ``/laporan``, chart, workbook."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.cli import main
from bot.deadlines.component import install
from bot.deadlines.recompute import open_recomputed
from bot.domain.sop import Action
from bot.text import Texts
from tests.integration.test_cli import _no_env_leak, env_file
from tests.support.clock import WIB, FakeClock
from tests.support.deadlines_fixtures import TO_CANNOT_HANDLE, RecordingNotifier, report, walk
from tests.support.settings import make_settings

__all__ = ["_no_env_leak"]


def seed(data_dir: Path) -> None:
    """One November ticket escalated 5 min 2 s after "cannot handle": a late escalation."""

    async def run() -> None:
        clock = FakeClock(datetime(2026, 11, 3, 9, 0, tzinfo=WIB))
        services = await open_recomputed(make_settings(data_dir), clock)
        install(services, RecordingNotifier(clock))  # type: ignore[arg-type]
        try:
            number = await report(services)
            await walk(services, number, *TO_CANNOT_HANDLE)
            clock.advance(minutes=5, seconds=2)
            await walk(services, number, Action.ESCALATE, Action.ESCALATION_DELIVERED)
        finally:
            await services.db.close()

    asyncio.run(run())


@pytest.fixture
def env(tmp_path: Path) -> Path:
    path = env_file(tmp_path)
    seed(tmp_path / "data")
    return path


@pytest.mark.parametrize(
    "args",
    [
        ["2026-11"],
        ["2026-11-01–2026-11-30"],
        ["2026-11-01", "..", "2026-11-30"],
        ["--from", "2026-11-01", "--to", "2026-11-30"],
        ["2026-10", "--to", "2026-11-30", "--from", "2026-11-01"],  # --from/--to win
    ],
)
def test_each_period_form_reports_november(env: Path, args: list[str], capsys) -> None:
    assert main(["--env-file", str(env), "report", *args]) == 0
    out = capsys.readouterr().out
    assert "Periode Minggu, 01 November 2026 – Senin, 30 November 2026" in out
    assert "terlambat 2 detik" in out
    assert "Sementara" not in out
    assert "<b>" not in out


def test_one_day_is_a_period_too(env: Path, capsys) -> None:
    assert main(["--env-file", str(env), "report", "2026-11-03"]) == 0
    out = capsys.readouterr().out
    assert "Periode Selasa, 03 November 2026 – Selasa, 03 November 2026" in out
    assert "terlambat 2 detik" in out


def test_no_period_is_this_month_so_far_and_provisional(env: Path, capsys) -> None:
    assert main(["--env-file", str(env), "report"]) == 0
    out = capsys.readouterr().out
    texts = Texts(WIB)
    today = datetime.now(WIB).date()
    assert f"Periode {texts.date(today.replace(day=1))} – {texts.date(today)}" in out
    assert "Sementara, sampai" in out


def test_a_bad_period_says_why_in_indonesian(env: Path, capsys) -> None:
    assert main(["--env-file", str(env), "report", "kemarin"]) == 2
    err = capsys.readouterr().err
    assert "Format periode tidak dikenal" in err and "kemarin" in err
    assert (
        main(["--env-file", str(env), "report", "--from", "2026-11-30", "--to", "2026-11-01"]) == 2
    )
    assert "Tanggal awal" in capsys.readouterr().err


def test_chart_and_workbook_are_written(env: Path, tmp_path: Path, capsys) -> None:
    png, xlsx = tmp_path / "grafik.png", tmp_path / "laporan.xlsx"
    code = main(
        ["--env-file", str(env), "report", "2026-11", "--chart", str(png), "--xlsx", str(xlsx)]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert f"Tersimpan: {png}" in out and f"Tersimpan: {xlsx}" in out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    book = load_workbook(xlsx)
    breaches = list(book["Pelanggaran"].iter_rows(min_row=2, values_only=True))
    # The late escalation, and LKPP's status and target still open (LKPP never wrote).
    assert [(b[3], b[7]) for b in breaches] == [
        ("LPSE", "Terlambat"), ("LKPP", "Masih terbuka"), ("LKPP", "Masih terbuka"),
    ]  # fmt: skip
    breach = breaches[0]
    assert breach[10] == "2 detik"
    assert breach[6] - breach[4] == timedelta(minutes=5, seconds=2)


def test_migrate_recomputes_the_clocks_of_an_old_database(tmp_path: Path, capsys) -> None:
    fixture = Path(__file__).parents[1] / "fixtures" / "db" / "pre008.sqlite3"
    (tmp_path / "data").mkdir()
    shutil.copy(fixture, tmp_path / "data" / "bot.sqlite3")
    path = env_file(tmp_path)
    assert main(["--env-file", str(path), "migrate"]) == 0
    out = capsys.readouterr().out
    assert "diperbarui ke versi" in out and "dihitung ulang" in out
    with sqlite3.connect(tmp_path / "data" / "bot.sqlite3") as conn:
        [(state, measured)] = conn.execute(
            "SELECT state, measured_seconds FROM deadlines WHERE ticket_id = 1 AND clock = ?",
            ("eskalasi",),
        ).fetchall()
    assert (state, measured) == ("breached", 302.0)  # 5 min 02 s: late, not "met"
    assert main(["--env-file", str(path), "migrate"]) == 0
    assert "dihitung ulang" not in capsys.readouterr().out
