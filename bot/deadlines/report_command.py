"""``/laporan [bulan | YYYY-MM | YYYY-MM-DD | YYYY-MM-DD–YYYY-MM-DD]`` in the staff group.

The report goes to the group as a message, the tickets and events of the period as two CSV
documents. A period staff mistype gets an Indonesian example back, never silence.
"""

from __future__ import annotations

import calendar
import logging
import re
from datetime import date
from typing import Any

from telegram import Update

from bot.deadlines.report import build_report, events_csv, render_report, tickets_csv
from bot.services import SERVICES_KEY, Services
from bot.text import echo

log = logging.getLogger(__name__)

_DAY = r"(\d{4}-\d{2}-\d{2})"
_RANGE = re.compile(rf"{_DAY}\s*(?:–|—|-|\.\.|s/?d|sampai)\s*{_DAY}")
_MONTH = re.compile(r"(\d{4})-(\d{2})")


class PeriodError(ValueError):
    """The text is not a period; ``key`` names the catalog message to answer with."""

    def __init__(self, key: str, text: str) -> None:
        super().__init__(key)
        self.key = key
        self.text = text


def parse_period(text: str, today: date) -> tuple[date, date]:
    """The inclusive dates ``text`` means; empty or ``bulan`` is this month up to today.

    Raises:
        PeriodError: Not a period this command understands, or the dates are reversed.
    """
    cleaned = " ".join(text.split()).lower()
    try:
        if cleaned in ("", "bulan", "bulan ini"):
            return today.replace(day=1), today
        if match := _MONTH.fullmatch(cleaned):
            year, month = int(match[1]), int(match[2])
            last = calendar.monthrange(year, month)[1]
            return date(year, month, 1), date(year, month, last)
        if match := _RANGE.fullmatch(cleaned):
            start, end = date.fromisoformat(match[1]), date.fromisoformat(match[2])
        elif re.fullmatch(_DAY, cleaned):
            start = end = date.fromisoformat(cleaned)
        else:
            raise PeriodError("format_salah", text)
    except ValueError as exc:
        if isinstance(exc, PeriodError):
            raise
        raise PeriodError("format_salah", text) from None
    if start > end:
        raise PeriodError("urutan_salah", text)
    return start, end


async def laporan(update: Update, context: Any) -> None:
    """Answer ``/laporan`` in the staff group with the report and the CSV export."""
    services: Services = context.bot_data[SERVICES_KEY]
    message = update.effective_message
    if message is None:
        return
    texts = services.texts
    now = services.clock()
    arg = " ".join(context.args or [])
    try:
        start, end = parse_period(arg, now.astimezone(services.settings.tz).date())
    except PeriodError as exc:
        await message.reply_text(texts.msg(f"tenggat_laporan.{exc.key}", teks=echo(exc.text)))
        return
    try:
        report = await build_report(services, start, end)
        html = render_report(services, report)
        files = [
            ("tiket", await tickets_csv(services, start, end)),
            ("peristiwa", await events_csv(services, start, end)),
        ]
    except Exception:
        log.exception("/laporan %r failed", arg)
        await message.reply_text(texts.msg("tenggat_laporan.gagal"))
        return
    from bot.deadlines.sweep import sweeper_of

    await sweeper_of(services).send_staff(html, now)
    period = f"{start.isoformat()}_{end.isoformat()}"
    for name, content in files:
        await message.reply_document(
            document=content.encode("utf-8-sig"),
            filename=f"{name}_{period}.csv",
            caption=texts.plain_msg("tenggat_laporan.keterangan_csv", nama=name, periode=period),
        )


async def outside_staff_group(update: Update, context: Any) -> None:
    """``/laporan`` anywhere else: say where it works instead of ignoring the person."""
    services: Services = context.bot_data[SERVICES_KEY]
    if update.effective_message is not None:
        await update.effective_message.reply_text(services.texts.msg("tenggat_laporan.hanya_grup"))
