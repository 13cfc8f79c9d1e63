"""What a user may ask for at any point, mid-report too: ``/bantuan`` and their ``/tiket`` list.

:mod:`bot.handlers.user` answers these commands outside a report; :mod:`bot.conversations.report`
answers them inside one and then reminds where the report stands. A ticket's detail
(``/tiket <no>``) is :mod:`bot.handlers.user_tickets`.
"""

from __future__ import annotations

from telegram import Update

from bot.callbacks import Prefix, pack
from bot.conversations.common import Context, answer


async def show_help(update: Update, context: Context) -> None:
    services = context.services
    example = f"{services.settings.lpse_code.upper()}-{services.clock().year}-00001"
    html = services.texts.render(
        "pengguna_bantuan", lpse=services.settings.lpse_name, contoh=example
    )
    await answer(update, context, html)


async def show_tickets(update: Update, context: Context) -> None:
    """/tiket: the user's own tickets, newest first, with buttons for details."""
    services = context.services
    assert update.effective_chat is not None
    tickets = await services.tickets.for_user(update.effective_chat.id)
    if not tickets:
        await answer(update, context, services.texts.msg("pengguna_umum.tidak_ada_tiket"))
        return
    html = services.texts.render("pengguna_daftar_tiket", tiket=tickets)
    buttons = [[(t.number, pack(Prefix.USER, "tiket", t.number))] for t in tickets[:10]]
    await answer(update, context, html, buttons)
