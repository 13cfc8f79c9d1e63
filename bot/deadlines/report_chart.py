"""The mutu baku report as one PNG: per standard met vs late (late coloured by side), and the
breaches per week.

Rendered with matplotlib's Agg backend on a bare :class:`~matplotlib.figure.Figure` (no pyplot,
no display, no global state), so it runs on a server, in a thread, and side by side with other
renders. matplotlib is imported only when a chart is drawn: the bot's start-up does not pay it.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from bot.deadlines.report_model import SIDES, Report
from bot.domain.sop import Responsible
from bot.text import Texts

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.axis import Axis

#: Met in green; a late LPSE step in orange, a late LKPP step in red (colour-blind safe pair).
MET_COLOUR = "#2e7d32"
SIDE_COLOUR = {Responsible.LPSE: "#ef6c00", Responsible.LKPP: "#c62828"}
OPEN_HATCH = "//"


def render_chart(texts: Texts, report: Report, dpi: int = 110) -> bytes:
    """The chart as PNG bytes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(10, 7.5), dpi=dpi, layout="constrained")
    FigureCanvasAgg(figure)
    top, bottom = figure.subplots(2, 1, height_ratios=(3, 2))
    _standards(texts, report, top)
    _weeks(texts, report, bottom)
    period = f"{texts.date(report.start)} – {texts.date(report.end)}"
    title = _t(texts, "judul", periode=period)
    if report.provisional:
        title += "\n" + _t(texts, "sementara", waktu=texts.datetime(report.made_at))
    figure.suptitle(title, fontsize=12, fontweight="bold")
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()


def _standards(texts: Texts, report: Report, axes: Axes) -> None:
    names = [texts.plain_msg(f"tenggat_jam_singkat.{s.clock.value}") for s in report.standards]
    rows = list(range(len(report.standards)))[::-1]
    met = [s.figures.met for s in report.standards]
    closed = [s.figures.breached for s in report.standards]
    still = [s.figures.open for s in report.standards]
    colours = [SIDE_COLOUR.get(s.responsible, "#757575") for s in report.standards]
    axes.barh(rows, met, color=MET_COLOUR)
    axes.barh(rows, closed, left=met, color=colours)
    axes.barh(
        rows, still, left=[a + b for a, b in zip(met, closed, strict=True)], color=colours,
        hatch=OPEN_HATCH, edgecolor="white",
    )  # fmt: skip
    for row, s in zip(rows, report.standards, strict=True):
        f = s.figures
        label = (
            _t(texts, "persen", persen=texts.percent(f.met_ratio or 0))
            if f.measured
            else _t(texts, "kosong")
        )
        axes.text(f.measured + 0.1, row, f"  {label}", va="center", fontsize=9)
    axes.set_yticks(rows, names)
    axes.set_xlabel(_t(texts, "jumlah"))
    axes.set_title(_t(texts, "standar"), fontsize=10, loc="left")
    _integer_ticks(axes.xaxis)
    widest = max((s.figures.measured for s in report.standards), default=0)
    axes.set_xlim(0, max(widest * 1.3, 1))
    _legend(texts, axes, with_met=True)


def _weeks(texts: Texts, report: Report, axes: Axes) -> None:
    weeks = report.weeks()
    labels = [f"{i + 1}\n{monday.strftime('%d/%m')}" for i, (monday, _) in enumerate(weeks)]
    positions = list(range(len(weeks)))
    bottom = [0] * len(weeks)
    for side in SIDES:
        counts = [per_side[side] for _, per_side in weeks]
        axes.bar(positions, counts, bottom=bottom, color=SIDE_COLOUR[side])
        bottom = [a + b for a, b in zip(bottom, counts, strict=True)]
    axes.set_xticks(positions, labels)
    axes.set_xlabel(_t(texts, "minggu_sumbu"))
    axes.set_ylabel(_t(texts, "pelanggaran"))
    axes.set_title(_t(texts, "minggu"), fontsize=10, loc="left")
    _integer_ticks(axes.yaxis)
    axes.set_ylim(0, max(max(bottom, default=0) * 1.2, 1))
    _legend(texts, axes, with_met=False)


def _legend(texts: Texts, axes: Axes, with_met: bool) -> None:
    from matplotlib.patches import Patch

    handles = [Patch(color=MET_COLOUR, label=_t(texts, "tepat"))] if with_met else []
    for side in SIDES:
        side_name = texts.plain_msg(f"tenggat_pihak.{side.value}")
        handles.append(
            Patch(color=SIDE_COLOUR[side], label=_t(texts, "terlambat", pihak=side_name))
        )
    if with_met:
        handles.append(
            Patch(facecolor="#9e9e9e", hatch=OPEN_HATCH, edgecolor="white",
                  label=_t(texts, "terbuka"))
        )  # fmt: skip
    axes.legend(
        handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8, frameon=False
    )


def _integer_ticks(axis: Axis) -> None:
    """Counts are whole: no 0.5 tick. The default locator (an AutoLocator) takes ``integer``."""
    from matplotlib.ticker import MaxNLocator

    locator = axis.get_major_locator()
    if isinstance(locator, MaxNLocator):
        locator.set_params(integer=True)


def _t(texts: Texts, key: str, **context: str) -> str:
    return texts.plain_msg(f"tenggat_grafik.{key}", **context)
