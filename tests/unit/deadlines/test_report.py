"""Report helpers that need no database."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.deadlines.report import plain_text
from bot.deadlines.report_model import Figures
from bot.text import Texts
from tests.support.clock import WIB


def test_plain_text_drops_tags_and_decodes_entities() -> None:
    assert (
        plain_text("<b>Tiket &amp; laporan</b>\n• &lt;kosong&gt;") == "Tiket & laporan\n• <kosong>"
    )


def test_met_ratio_is_none_without_measurements() -> None:
    none = Figures(0, 0, 0, 0, None, None)
    three = Figures(3, 2, 1, 0, timedelta(minutes=4), timedelta(minutes=9))
    assert none.met_ratio is None
    assert three.met_ratio == 2 / 3
    assert Figures(4, 1, 1, 2, None, None).late == 3


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (timedelta(0), "0 detik"),
        (timedelta(seconds=2), "2 detik"),
        (timedelta(minutes=2, seconds=3), "2 menit 3 detik"),
        (timedelta(minutes=5), "5 menit"),
        (timedelta(hours=6), "6 jam kerja"),
        (timedelta(hours=6, minutes=5, seconds=9), "6 jam kerja 5 menit"),
        (timedelta(days=1), "1 hari kerja"),
        (timedelta(days=3, hours=6), "3 hari kerja 6 jam"),
        (timedelta(days=2, hours=2, minutes=59), "2 hari kerja 2 jam 59 menit"),
        (timedelta(seconds=-5), "0 detik"),
    ],
)
def test_working_durations_say_their_unit(value: timedelta, text: str) -> None:
    assert Texts(WIB).working_duration(value) == text
