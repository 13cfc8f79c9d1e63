"""``/laporan`` in the staff group: the report message, its chart and its workbook."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from openpyxl import load_workbook

from bot.deadlines.report_command import laporan, outside_staff_group
from bot.services import SERVICES_KEY, Services
from tests.support.clock import FakeClock
from tests.support.deadlines_fixtures import (
    TO_DELIVERED,
    RecordingNotifier,
    dl_services,
    report,
    walk,
)
from tests.support.settings import STAFF_CHAT_ID

__all__ = ["dl_services"]


@dataclass
class FakeMessage:
    """Records what a handler answers (the real one would call the Bot API)."""

    texts: list[str] = field(default_factory=list)
    documents: list[dict[str, Any]] = field(default_factory=list)
    photos: list[dict[str, Any]] = field(default_factory=list)

    async def reply_text(self, text: str) -> None:
        self.texts.append(text)

    async def reply_document(self, **kwargs: Any) -> None:
        self.documents.append(kwargs)

    async def reply_photo(self, **kwargs: Any) -> None:
        self.photos.append(kwargs)


def call(services: Services, *args: str) -> tuple[Any, Any, FakeMessage]:
    message = FakeMessage()
    update = SimpleNamespace(effective_message=message)
    context = SimpleNamespace(bot_data={SERVICES_KEY: services}, args=list(args))
    return update, context, message


async def test_laporan_sends_the_report_the_chart_and_the_workbook(
    dl_services: tuple[Services, RecordingNotifier], clock: FakeClock
) -> None:
    services, sent = dl_services
    number = await report(services)
    await walk(services, number, *TO_DELIVERED)
    update, context, message = call(services, "2026-11")
    await laporan(update, context)
    [text] = sent.to(STAFF_CHAT_ID)
    assert "Laporan mutu baku SOP" in text.html
    assert "Tiket baru: 1" in text.html
    [photo] = message.photos
    assert photo["filename"] == "mutu_baku_2026-11-01_2026-11-30.png"
    assert photo["photo"][:8] == b"\x89PNG\r\n\x1a\n"
    [document] = message.documents
    assert document["filename"] == "mutu_baku_2026-11-01_2026-11-30.xlsx"
    book = load_workbook(io.BytesIO(document["document"]))
    assert number in [row[0] for row in book["Tiket"].iter_rows(values_only=True)]
    assert "Ringkasan" in document["caption"]
    assert message.texts == []


async def test_laporan_with_a_bad_period_answers_with_an_example(
    dl_services: tuple[Services, RecordingNotifier],
) -> None:
    services, sent = dl_services
    update, context, message = call(services, "minggu", "lalu")
    await laporan(update, context)
    [answer] = message.texts
    assert "minggu lalu" in answer and "/laporan 2026-11" in answer
    assert sent.sent == [] and message.documents == [] and message.photos == []


async def test_laporan_outside_the_staff_group_says_where_it_works(
    dl_services: tuple[Services, RecordingNotifier],
) -> None:
    services, _ = dl_services
    update, context, message = call(services)
    await outside_staff_group(update, context)
    assert message.texts == ["Perintah /laporan hanya dapat dipakai di grup staf LPSE."]
