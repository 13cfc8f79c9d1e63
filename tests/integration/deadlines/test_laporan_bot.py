"""``/laporan`` through the running Application and the local Bot API server."""

from __future__ import annotations

from bot.domain.sop import Action
from tests.support.botapi import make_user
from tests.support.deadlines_fixtures import TO_DELIVERED, report, walk
from tests.support.settings import STAFF_CHAT_ID
from tests.support.telegram_app_fixtures import StaffBot, bot_api, staff_bot

__all__ = ["bot_api", "staff_bot"]


async def test_laporan_in_the_staff_group_sends_the_report_the_chart_and_the_workbook(
    staff_bot: StaffBot,
) -> None:
    services = staff_bot.services
    number = await report(services)
    await walk(services, number, *TO_DELIVERED, Action.LKPP_PROGRESS)
    staff_bot.command("/laporan 2026-11")
    message = await staff_bot.staff_message("Laporan mutu baku SOP")
    assert "Tiket baru: 1" in (message.text or "")
    photo = await staff_bot.api.wait_for("sendPhoto", chat_id=STAFF_CHAT_ID)
    assert photo.files["photo"].filename == "mutu_baku_2026-11-01_2026-11-30.png"
    document = await staff_bot.api.wait_for("sendDocument", chat_id=STAFF_CHAT_ID)
    assert document.files["document"].filename == "mutu_baku_2026-11-01_2026-11-30.xlsx"
    assert document.files["document"].content[:2] == b"PK"  # a zip: the .xlsx container
    assert photo.files["photo"].content[:4] == b"\x89PNG"


async def test_laporan_in_private_is_refused_politely_once(staff_bot: StaffBot) -> None:
    user = make_user(777001, "Budi")
    staff_bot.api.user_message(user, "/laporan")
    answer = await staff_bot.api.wait_for("sendMessage", chat_id=777001)
    assert answer.text == "Perintah /laporan hanya dapat dipakai di grup staf LPSE."
    await staff_bot.api.wait_idle()
    assert len(staff_bot.api.sent(777001)) == 1  # the user side's catch-all stayed quiet
