"""A control character in stored text (an old note, an LKPP email) does not break the workbook."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from bot.deadlines.report import build_report
from bot.deadlines.report_xlsx import render_xlsx
from bot.domain.sop import Action, Actor
from bot.services import Services
from tests.support.clock import FakeClock
from tests.support.deadlines_fixtures import RecordingNotifier, dl_services
from tests.support.tickets import STAFF, reported

__all__ = ["dl_services"]


async def test_control_characters_in_a_note_are_left_out_of_the_workbook(
    dl_services: tuple[Services, RecordingNotifier], clock: FakeClock
) -> None:
    services, _ = dl_services
    number = (await reported(services)).ticket.number
    await services.workflow.apply(
        number, Action.NOTE, Actor.STAFF, STAFF, details={"text": "bel\x07 dan\x00 nol"}
    )
    day = clock().astimezone(services.settings.tz).date()
    book = load_workbook(io.BytesIO(render_xlsx(services, await build_report(services, day, day))))
    cells = [str(v) for row in book["Riwayat"].iter_rows(values_only=True) for v in row if v]
    assert any("bel dan nol" in cell for cell in cells), cells
