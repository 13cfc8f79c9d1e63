"""Report helpers that need no database."""

from __future__ import annotations

from datetime import timedelta

from bot.deadlines.report import StandardFigures, plain_text
from bot.domain.sop import Clock


def test_plain_text_drops_tags_and_decodes_entities() -> None:
    assert (
        plain_text("<b>Tiket &amp; laporan</b>\n• &lt;kosong&gt;") == "Tiket & laporan\n• <kosong>"
    )


def test_met_ratio_is_none_without_measurements() -> None:
    none = StandardFigures(Clock.FORWARD, 0, 0, 0, None, None)
    three = StandardFigures(Clock.FORWARD, 3, 2, 1, timedelta(minutes=4), timedelta(minutes=9))
    assert none.met_ratio is None
    assert three.met_ratio == 2 / 3
