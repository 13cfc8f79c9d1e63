"""``/libur``: the working calendar staff see, and the local closures and openings admins set.

The national holidays come with the calendar; an LPSE adds its own closures (cuti bersama, an
office event) or opens a day the calendar closes. The time standards counted in working days
read the calendar, so a change applies at once (:meth:`Services.reload_calendar`).
"""

from __future__ import annotations

from datetime import date, timedelta

from telegram import Update

from bot.context import by_of
from bot.guards import Context, is_admin, refuse
from bot.handlers.cards import cards_of
from bot.handlers.staff_command import Usage, arguments
from bot.notify import reply_html
from bot.services import Services

HOLIDAY_HORIZON_DAYS = 90
"""How far ahead ``/libur`` lists non-working days."""
MAX_HOLIDAY_NOTE = 200
"""Characters of a closure's note ("Cuti bersama Idul Fitri"): it is shown in every list."""


def _day(raw: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise Usage("staf_pakai.tanggal_salah", teks=raw) from None


async def cmd_libur(update: Update, context: Context) -> None:
    """/libur: upcoming closures; admins add, reopen or remove local days."""
    services = context.services
    message = update.effective_message
    assert message is not None
    args = arguments(message, 3)
    if not args:
        await _list_holidays(update, services)
        return
    if not is_admin(update, services):
        await refuse(update, services, "staf_tolak.bukan_admin")
        return
    verb = args[0].lower()
    if verb not in ("tambah", "buka", "hapus") or len(args) < 2:
        raise Usage("staf_pakai.libur")
    day = _day(args[1])
    note = args[2].strip() if len(args) > 2 else ""
    if len(note) > MAX_HOLIDAY_NOTE:
        raise Usage("staf_pakai.libur_terlalu_panjang", batas=MAX_HOLIDAY_NOTE)
    texts = services.texts
    by = by_of(update)
    store = services.tickets
    if verb == "hapus":
        async with services.db.transaction():
            removed = await store.delete_override(day)
        key = "staf_info.libur_dihapus" if removed else "staf_info.libur_tidak_ada"
        reply = texts.msg(key, tanggal=texts.date(day))
    else:
        if not note:
            raise Usage("staf_pakai.libur")
        kind = "tutup" if verb == "tambah" else "buka"
        async with services.db.transaction():
            await store.set_override(day, kind, note, by.id, services.clock())
        key = "staf_info.libur_ditambah" if kind == "tutup" else "staf_info.libur_dibuka"
        reply = texts.msg(key, tanggal=texts.date(day), keterangan=note)
    await services.reload_calendar()
    await reply_html(message, reply)


async def _list_holidays(update: Update, services: Services) -> None:
    today = services.clock().astimezone(services.settings.tz).date()
    until = today + timedelta(days=HOLIDAY_HORIZON_DAYS)
    days = [
        {
            "day": info.day,
            "working": info.working,
            "reason": info.reason,
            "catatan": services.calendar.openings.get(info.day, ""),
        }
        for info in services.calendar.non_working_days(today, until)
    ]
    html = services.texts.render(
        "staf_libur", dari=today, sampai=until, hari=days, admin=is_admin(update, services)
    )
    await cards_of(services).direct.staff(html)
