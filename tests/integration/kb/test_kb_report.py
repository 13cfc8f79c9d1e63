"""The report counts problems answered by the knowledge base per period, and the top entries."""

from __future__ import annotations

from datetime import date, datetime

from bot.deadlines.report import build_report, plain_text, render_report
from bot.domain.kb_entries import starter_entries
from bot.kb.base import ANSWERED, FAQ, INTAKE, READ, SHOWN, knowledge_of
from tests.support.clock import WIB, FakeClock
from tests.support.deadlines_fixtures import dl_services

__all__ = ["dl_services"]


async def test_the_report_counts_answers_by_period_and_the_entries_used_most(
    dl_services, clock: FakeClock
):
    services, _ = dl_services
    kb = knowledge_of(services)
    await kb.import_entries(starter_entries())
    clock.set(datetime(2026, 11, 30, 23, 0, tzinfo=WIB))  # November: not in December's report
    await kb.record_use([1], 501, INTAKE, ANSWERED)
    clock.set(datetime(2026, 12, 1, 9, 0, tzinfo=WIB))
    await kb.record_use([10, 11], 502, INTAKE, SHOWN)
    await kb.record_use([10], 502, INTAKE, READ)
    await kb.record_use([10], 502, INTAKE, ANSWERED)
    await kb.record_use([10], 503, FAQ, ANSWERED)
    await kb.record_use([9], 504, FAQ, READ)
    await kb.record_use([9], 504, FAQ, ANSWERED)
    await kb.record_use([10], 505, INTAKE, ANSWERED)

    report = await build_report(services, date(2026, 12, 1), date(2026, 12, 31))
    assert report.kb is not None
    assert (report.kb.answered, report.kb.answered_intake, report.kb.answered_faq) == (4, 2, 2)
    assert report.kb.shown_intake == 2
    assert report.kb.read == 2
    assert [(u.entry_id, u.count) for u in report.kb.top] == [(10, 3), (9, 1)]
    text = plain_text(render_report(services, report))
    assert "Terjawab basis pengetahuan (tanpa tiket): 4" in text
    assert "1. #10 Gagal mengunggah dokumen penawaran — 3 kali menjawab" in text

    november = await build_report(services, date(2026, 11, 1), date(2026, 11, 30))
    assert november.kb is not None and november.kb.answered == 1
