"""What a person typed is quoted back cut short, so the reply always fits one message."""

from __future__ import annotations

from bot.text import ECHO_LIMIT, echo
from tests.support.telegram_app_fixtures import (  # noqa: F401 - fixtures
    StaffBot,
    bot_api_fixture,
    staff_bot_fixture,
)


def test_echo_cuts_long_input_and_keeps_short_input() -> None:
    assert echo("BTG-1") == "BTG-1"
    cut = echo("7" * 5000)
    assert len(cut) == ECHO_LIMIT and cut.endswith("…")


async def test_tiket_with_5000_digits_answers_with_the_usage(staff_bot: StaffBot) -> None:
    staff_bot.command("/tiket " + "7" * 5000)
    reply = await staff_bot.staff_message("bukan nomor tiket")
    assert reply.ok
    assert len(reply.text or "") < 600
    assert "Maaf, terjadi kesalahan" not in (reply.text or "")
