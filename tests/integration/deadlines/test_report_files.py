"""The chart and the spreadsheet of the December fixture, read back."""

from __future__ import annotations

import io
import struct
from datetime import date, datetime

from openpyxl import load_workbook

from bot.deadlines.report import build_report
from bot.deadlines.report_chart import MET_COLOUR, SIDE_COLOUR, render_chart
from bot.deadlines.report_xlsx import render_xlsx
from bot.domain.sop import Responsible
from bot.services import Services
from tests.integration.deadlines.test_report import december_report
from tests.support.clock import FakeClock
from tests.support.deadlines_fixtures import RecordingNotifier, dl_services

__all__ = ["dl_services"]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def colour_share(data: bytes, colour: str) -> float:
    """The share of the image's pixels painted in ``colour`` (``#rrggbb``)."""
    from PIL import Image

    image = Image.open(io.BytesIO(data)).convert("RGB")
    target = tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))
    counts = {rgb: n for n, rgb in image.getcolors(maxcolors=image.width * image.height)}
    return counts.get(target, 0) / (image.width * image.height)


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


async def test_the_workbook_opens_with_dates_words_and_every_breach(
    dl_services: tuple[Services, RecordingNotifier], clock: FakeClock
) -> None:
    services, _ = dl_services
    t, result = await december_report(services, clock)
    book = load_workbook(io.BytesIO(render_xlsx(services, result)))
    assert book.sheetnames == ["Ringkasan", "Pelanggaran", "Pengukuran", "Tiket", "Riwayat"]

    summary = [list(r) for r in book["Ringkasan"].iter_rows(values_only=True)]
    assert summary[3][:2] == ["Keadaan", "Final"]
    assert isinstance(summary[2][1], datetime)
    [escalation] = [r for r in summary if r[0] and str(r[0]).startswith("Kirim email eskalasi")]
    assert escalation[1:8] == ["LPSE", "5 menit", 6, 5, 1, 0, 5 / 6]
    assert escalation[10:12] == ["2 menit 30 detik", "5 menit 2 detik"]
    [lkpp] = [r for r in summary if r[0] == "LKPP"]
    assert lkpp[1:5] == [21, 13, 5, 3]

    breaches = list(book["Pelanggaran"].iter_rows(values_only=True))
    assert breaches[0][0] == "Tiket" and len(breaches) == 1 + 10
    first = breaches[1]
    assert first[0] == t["T2"] and first[3] == "LPSE" and first[7] == "Terlambat"
    assert first[5] == datetime(2026, 12, 1, 10, 5)  # the deadline, a local date cell
    assert first[10] == "2 detik"
    still = [r for r in breaches[1:] if r[7] == "Masih terbuka"]
    assert [r[0] for r in still] == [t["T8"]] * 3 and all(r[6] is None for r in still)
    cell = book["Pelanggaran"]["F2"]
    assert cell.is_date and cell.number_format == "dd/mm/yyyy hh:mm:ss"

    # Every figure of the summary can be rebuilt from the measurements sheet.
    measured = list(book["Pengukuran"].iter_rows(min_row=2, values_only=True))
    escalations = [r for r in measured if str(r[1]).startswith("Kirim email eskalasi")]
    assert len(escalations) == 6
    assert sum(1 for r in escalations if r[8] == "Tepat waktu") == 5

    tickets = list(book["Tiket"].iter_rows(values_only=True))
    assert len(tickets) == 1 + 8
    codes = {str(v) for row in tickets[1:] for v in row if v is not None}
    assert "lkpp_selesai" not in codes and "eskalasi" not in codes
    assert "Helpdesk LKPP menyatakan selesai, menunggu diteruskan ke pelapor" in codes
    history = list(book["Riwayat"].iter_rows(min_row=2, values_only=True))
    actions = {r[2] for r in history}
    assert "Permintaan status dikirim ke LKPP" in actions and "minta_status_lkpp" not in actions
    assert all(isinstance(r[1], datetime) for r in history)


async def test_the_chart_is_a_png_with_both_panels(
    dl_services: tuple[Services, RecordingNotifier], clock: FakeClock
) -> None:
    services, _ = dl_services
    _, result = await december_report(services, clock)
    png = render_chart(services.texts, result)
    width, height = png_size(png)
    assert (width, height) == (1100, 825)  # 10 × 7.5 inches at 110 dpi
    assert 20_000 < len(png) < 400_000
    # Met bars in green, LPSE breaches in orange, LKPP breaches in red: each is drawn.
    for colour in (MET_COLOUR, *SIDE_COLOUR.values()):
        assert colour_share(png, colour) > 0.005, colour
    # An empty period draws too (nothing measured, no breach), and differs from a full one.
    empty = await build_report(services, date(2026, 10, 1), date(2026, 10, 31))
    blank = render_chart(services.texts, empty)
    assert png_size(blank) == (1100, 825) and blank != png
    assert colour_share(blank, SIDE_COLOUR[Responsible.LKPP]) < 0.001  # only the legend
