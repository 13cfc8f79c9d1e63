"""The mutu baku report as an ``.xlsx`` that opens right in Excel and LibreOffice.

Sheets: *Ringkasan* (the report's tables), *Pelanggaran* (every breach, how late, which side),
*Pengukuran* (every clock counted, so each figure of the summary can be rebuilt), *Tiket* and
*Riwayat* (the event log). Instants are real date cells in the LPSE's time zone (a spreadsheet
has no zones, so the zone is said in the header), durations are numbers of working hours next to
their Indonesian reading, states and actions are words from the catalog, never codes. A binary
workbook avoids what a CSV gets wrong with Indonesian settings (``;`` vs ``,``, decimal
commas, dates read as text). openpyxl is imported only when a workbook is written.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.deadlines.report_model import Figures, Measurement, Report, ticket_times
from bot.domain.sop import Clock
from bot.services import Services

if TYPE_CHECKING:  # pragma: no cover
    from openpyxl.worksheet.worksheet import Worksheet

DATE_FORMAT = "dd/mm/yyyy hh:mm:ss"
HOURS_FORMAT = "0.00"
PERCENT_FORMAT = "0.0%"
_HIDDEN_DETAILS = frozenset({"staff_id", "message_id", "text"})


def hours(value: timedelta | None) -> float | None:
    return None if value is None else round(value.total_seconds() / 3600, 4)


class _Writer:
    """Keeps the catalog and the time zone at hand while the sheets are filled."""

    def __init__(self, services: Services, report: Report) -> None:
        self.texts = services.texts
        self.tz = services.settings.tz
        self.services = services
        self.report = report
        self.titles: dict[str, Any] = self.texts.catalog["tenggat_xlsx"]

    def local(self, value: datetime | None) -> datetime | None:
        """A naive local instant: what a spreadsheet date cell holds."""
        return None if value is None else value.astimezone(self.tz).replace(tzinfo=None)

    def word(self, section: str, code: str | None) -> str:
        if not code:
            return ""
        key = f"{section}.{code}"
        return self.texts.plain_msg(key) if self.texts.has(key) else code

    def standard(self, clock: Clock) -> str:
        return self.texts.plain_msg(f"tenggat_jam.{clock.value}")

    def priority(self, key: str) -> str:
        level = self.services.priorities.levels.get(key)
        return level.name if level is not None else key

    # --- sheets ----------------------------------------------------------------------------
    def summary(self, sheet: Worksheet) -> None:
        r, t = self.report, self.titles
        texts = self.texts
        state = (
            texts.plain_msg("tenggat_xlsx.sementara", waktu=texts.datetime(r.made_at))
            if r.provisional
            else texts.plain_msg("tenggat_xlsx.final")
        )
        sheet.append([texts.plain_msg("tenggat_xlsx.judul")])
        sheet["A1"].font = _bold(size=13)
        sheet.append([t["periode"], f"{texts.date(r.start)} – {texts.date(r.end)}"])
        _append(sheet, [t["dibuat"], self.local(r.made_at)], {2: DATE_FORMAT})
        sheet.append([t["keadaan"], state])
        sheet.append([texts.plain_msg("tenggat_xlsx.zona", zona=texts.zone_abbr)])
        sheet.append([])
        _header(sheet, t["ringkasan"])
        for s in r.standards:
            f = s.figures
            limit = (
                texts.working_duration(s.limit)
                if s.limit
                else texts.plain_msg("tenggat_xlsx.tabel_prioritas")
            )
            self._figures_row(
                sheet, [self.standard(s.clock), self.side(s.responsible.value), limit], f,
                durations=True,
            )  # fmt: skip
        sheet.append([])
        _header(sheet, [t["per_pihak"]])
        _header(sheet, t["pihak"])
        for side, f in r.sides.items():
            self._figures_row(sheet, [self.side(side.value)], f)
        sheet.append([])
        _header(sheet, [t["per_prioritas"]])
        _header(sheet, t["prioritas"])
        for p in r.priorities:
            self._figures_row(sheet, [p.name, p.target_days], p.figures)
        sheet.append([])
        _header(sheet, [t["layanan"]])
        _header(sheet, t["ringkasan"])
        for s in r.service:
            limit = texts.working_duration(s.limit) if s.limit else ""
            self._figures_row(
                sheet, [self.standard(s.clock), self.side(s.responsible.value), limit],
                s.figures, durations=True,
            )  # fmt: skip

    def side(self, code: str) -> str:
        return self.texts.plain_msg(f"tenggat_pihak.{code}")

    def _figures_row(
        self, sheet: Worksheet, lead: list[Any], f: Figures, durations: bool = False
    ) -> None:
        row = [*lead, f.measured, f.met, f.breached, f.open, f.met_ratio]
        if durations:
            texts = self.texts
            row += [
                hours(f.median), hours(f.worst),
                texts.working_duration(f.median) if f.median is not None else "",
                texts.working_duration(f.worst) if f.worst is not None else "",
            ]  # fmt: skip
        index = len(lead) + 5
        formats = {index: PERCENT_FORMAT}
        if durations:
            formats |= {index + 1: HOURS_FORMAT, index + 2: HOURS_FORMAT}
        _append(sheet, row, formats)

    def breaches(self, sheet: Worksheet) -> None:
        _header(sheet, self.titles["pelanggaran"])
        for m in self.report.breaches:
            _append(
                sheet,
                [
                    m.number, self.standard(m.clock), m.sequence, self.side(m.responsible.value),
                    self.local(m.started_at), self.local(m.due_at), self.local(m.stopped_at),
                    self.word("tenggat_hasil", m.outcome.value), hours(m.measured),
                    hours(m.late), self.texts.working_duration(m.late),
                    self.texts.working_duration(m.measured),
                ],
                {5: DATE_FORMAT, 6: DATE_FORMAT, 7: DATE_FORMAT, 9: HOURS_FORMAT,
                             10: HOURS_FORMAT})  # fmt: skip

    def measurements(self, sheet: Worksheet) -> None:
        _header(sheet, self.titles["pengukuran"],
            )  # fmt: skip
        for m in sorted(self.report.measurements, key=_order):
            _append(
                sheet,
                [
                    m.number, self.standard(m.clock), m.sequence, self.side(m.responsible.value),
                    self.priority(m.priority), self.local(m.started_at), self.local(m.due_at),
                    self.local(m.stopped_at), self.word("tenggat_hasil", m.outcome.value),
                    hours(m.measured), hours(m.limit), self.texts.working_duration(m.measured),
                ],
                {6: DATE_FORMAT, 7: DATE_FORMAT, 8: DATE_FORMAT, 10: HOURS_FORMAT,
                             11: HOURS_FORMAT})  # fmt: skip

    def tickets(self, sheet: Worksheet) -> None:
        _header(sheet, self.titles["tiket"],
            )  # fmt: skip
        for t in self.report.tickets:
            times = ticket_times(t)
            _append(
                sheet,
                [
                    t["number"], self.word("status", t["state"]), t["type"], t["role"],
                    t["application"], self.priority(t["priority"]), t["title"],
                    t["package_code"] or "", self.local(times["created_at"]),
                    self.local(times["updated_at"]), self.local(times["escalated_at"]),
                    self.local(times["closed_at"]), t["assignee_name"] or "", t["rating"],
                ],
                dict.fromkeys((9, 10, 11, 12), DATE_FORMAT),
            )  # fmt: skip

    def history(self, sheet: Worksheet) -> None:
        _header(sheet, self.titles["riwayat"])
        for e in self.report.events:
            _append(
                sheet,
                [
                    e["number"], self.local(e["at"]), self.word("aksi", e["action"]),
                    e["sop_step"], self.word("pelaku", e["actor"]), e["actor_name"] or "",
                    self.word("status", e["from_state"]), self.word("status", e["to_state"]),
                    _details(e["details"]),
                ],
                {2: DATE_FORMAT},
            )  # fmt: skip


def _order(m: Measurement) -> tuple[str, str, int]:
    return (m.number, m.clock.value, m.sequence)


def _details(details: dict[str, Any]) -> str:
    """The event's details as one readable line (the free text first)."""
    parts = [str(details["text"])] if details.get("text") else []
    parts += [f"{k}: {v}" for k, v in details.items() if k not in _HIDDEN_DETAILS and v]
    return "; ".join(parts)


def _bold(size: float | None = None) -> Any:
    from openpyxl.styles import Font

    return Font(bold=True, size=size)


def _header(sheet: Worksheet, titles: Sequence[str]) -> None:
    from openpyxl.cell.cell import Cell

    # types-openpyxl requires row and column; openpyxl defaults them and append() sets them.
    cells = [Cell(sheet, value=title) for title in titles]  # type: ignore[call-arg]
    for cell in cells:
        cell.font = _bold()
    sheet.append(cells)


def _append(sheet: Worksheet, values: Sequence[Any], formats: dict[int, str]) -> None:
    """Append a row whose 1-based ``formats`` columns get a number format.

    The cells are made before they are appended: looking a cell up by ``max_row`` afterwards
    scans the whole sheet each time, which made a month's workbook take seconds.
    """
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell

    cells = []
    for column, value in enumerate(values, start=1):
        if isinstance(value, str):  # a control character typed in a note would refuse the file
            value = ILLEGAL_CHARACTERS_RE.sub("", value)
        cell = Cell(sheet, value=value)  # type: ignore[call-arg]  # stubs: see _header
        if column in formats:
            cell.number_format = formats[column]
        cells.append(cell)
    sheet.append(cells)


def _fit(sheet: Worksheet) -> None:
    """Column widths that show the content (a spreadsheet does not size them itself)."""
    from openpyxl.utils import get_column_letter

    widths: dict[int, int] = {}
    for row in sheet.iter_rows():
        for cell in row:
            if cell.value is None:
                continue
            length = 19 if isinstance(cell.value, datetime) else len(str(cell.value))
            widths[cell.column] = max(widths.get(cell.column, 0), min(length + 2, 60))
    for column, width in widths.items():
        sheet.column_dimensions[get_column_letter(column)].width = width


def render_xlsx(services: Services, report: Report) -> bytes:
    """The workbook as bytes."""
    from openpyxl import Workbook

    writer = _Writer(services, report)
    book = Workbook()
    names = writer.titles["lembar"]
    sheets = [book.active, *(book.create_sheet() for _ in names[1:])]
    fill = (writer.summary, writer.breaches, writer.measurements, writer.tickets, writer.history)
    for sheet, name, write in zip(sheets, names, fill, strict=True):
        assert sheet is not None
        sheet.title = name
        write(sheet)
        if sheet.max_row > 1 and name != names[0]:
            sheet.freeze_panes = "A2"
            sheet.auto_filter.ref = sheet.dimensions
        _fit(sheet)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
