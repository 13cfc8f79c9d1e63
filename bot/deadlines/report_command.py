"""``/laporan [bulan | YYYY-MM | YYYY-MM-DD | YYYY-MM-DD–YYYY-MM-DD]`` in the staff group.

The report goes to the group as a message, then the chart (a photo) and the spreadsheet (a
document) of the same figures. A period staff mistype gets an Indonesian example back, never
silence. The chart and the workbook are rendered in a worker thread: matplotlib and openpyxl
are CPU work that must not stall the bot's other updates.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from telegram import Update

from bot.context import services_of
from bot.deadlines.period import PeriodError, parse_period
from bot.deadlines.report import build_report, file_stem, render_report
from bot.deadlines.sweep import sweeper_of
from bot.notify import reply_html
from bot.outbox.limits import cut_caption
from bot.services import Services
from bot.text import echo

__all__ = ["PeriodError", "laporan", "outside_staff_group", "parse_period"]

log = logging.getLogger(__name__)


async def laporan(update: Update, context: Any) -> None:
    """Answer ``/laporan`` in the staff group with the report, its chart and its workbook."""
    from bot.deadlines.report_chart import render_chart
    from bot.deadlines.report_xlsx import render_xlsx

    services: Services = services_of(context)
    message = update.effective_message
    if message is None:
        return
    texts = services.texts
    now = services.clock()
    arg = " ".join(context.args or [])
    try:
        start, end = parse_period(arg, now.astimezone(services.settings.tz).date())
    except PeriodError as exc:
        await reply_html(message, texts.msg(f"tenggat_laporan.{exc.key}", teks=echo(exc.text)))
        return
    try:
        report = await build_report(services, start, end)
        html = render_report(services, report)
        png = await asyncio.to_thread(render_chart, texts, report)
        xlsx = await asyncio.to_thread(render_xlsx, services, report)
    except Exception:
        log.exception("/laporan %r failed", arg)
        await reply_html(message, texts.msg("tenggat_laporan.gagal"))
        return
    await sweeper_of(services).send_staff(html, now)
    period = f"{start.isoformat()} – {end.isoformat()}"
    stem = file_stem(report)
    await message.reply_photo(
        photo=png, filename=f"{stem}.png",
        caption=cut_caption(texts.plain_msg("tenggat_laporan.keterangan_grafik", periode=period)),
    )  # fmt: skip
    await message.reply_document(
        document=xlsx, filename=f"{stem}.xlsx",
        caption=cut_caption(texts.plain_msg("tenggat_laporan.keterangan_xlsx", periode=period)),
    )  # fmt: skip


async def outside_staff_group(update: Update, context: Any) -> None:
    """``/laporan`` anywhere else: say where it works instead of ignoring the person."""
    services: Services = services_of(context)
    if update.effective_message is not None:
        await reply_html(
            update.effective_message, services.texts.msg("tenggat_laporan.hanya_grup")
        )
