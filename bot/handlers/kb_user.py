"""The knowledge base for users without a report: ``/faq <teks>`` and the menu's "Cari jawaban".

``/faq`` without text, or the menu button, asks for the problem; the next text the user sends
is the search (kept as a draft, ``faq``, so a restart in between loses nothing). Results are
buttons; each opens the entry in full with "Ini menyelesaikan masalah saya" (counted as
answered by the knowledge base) and "Buat laporan" (``/lapor``).

Callback data (prefix ``k``): ``k:tanya`` (ask), ``k:baca:<id>`` (read), ``k:ok:<id>``.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import (
    ApplicationHandlerStop,
    filters,
)

from bot.callbacks import Prefix, pack, unpack
from bot.conversations.common import (
    Context,
    answer,
    drafts_of,
    drop_keyboard,
    label,
)
from bot.domain.kb_entries import Status
from bot.kb.base import ANSWERED, FAQ, READ, knowledge_of
from bot.services import Services
from bot.storage.drafts import REPORT

log = logging.getLogger(__name__)

PREFIX = Prefix.KB_USER
PENDING = "faq"
"""Draft kind: the user pressed "Cari jawaban" and the next text is the question."""
RESULTS = 5
PRIVATE = filters.ChatType.PRIVATE


def menu_button(services: Services) -> tuple[str, str]:
    """The "Cari jawaban (FAQ)" button of the /start menu."""
    return label(services, "kb_tombol.cari_faq"), pack(PREFIX, "tanya")


def _chat_id(update: Update) -> int:
    assert update.effective_chat is not None
    return update.effective_chat.id


async def _ask(update: Update, context: Context) -> None:
    services = context.services
    await drafts_of(services).put(_chat_id(update), PENDING, {"tanya": True})
    await answer(update, context, services.texts.msg("kb_pengguna.tanya_faq"))


async def _results(update: Update, context: Context, text: str) -> None:
    services = context.services
    hits = await knowledge_of(services).search(text, limit=RESULTS)
    if not hits:
        await answer(update, context, services.texts.msg("kb_pengguna.tidak_ditemukan", teks=text))
        return
    buttons: list[list[tuple[str, str]]] = [
        [(label(services, "kb_tombol.baca", judul=h.title[:50]), pack(PREFIX, "baca", h.id))]
        for h in hits
    ]
    buttons.append(
        [(label(services, "kb_tombol.buat_laporan"), pack(Prefix.USER, "menu", "lapor"))]
    )
    await answer(update, context, services.texts.render("kb_hasil", teks=text), buttons)


async def on_faq(update: Update, context: Context) -> None:
    """/faq [teks] in private chat."""
    text = " ".join(context.args or [])
    if text.strip():
        await drafts_of(context.services).delete(_chat_id(update), PENDING)
        await _results(update, context, text)
    else:
        await _ask(update, context)
    raise ApplicationHandlerStop


async def on_text(update: Update, context: Context) -> None:
    """The question after "Cari jawaban"; any other text goes on to the other handlers."""
    services = context.services
    message = update.effective_message
    if message is None or not message.text:
        return
    drafts, chat_id = drafts_of(services), _chat_id(update)
    asked = await drafts.updated_at(chat_id, PENDING)
    if asked is None:
        return
    await drafts.delete(chat_id, PENDING)
    reporting = await drafts.updated_at(chat_id, REPORT)
    if reporting is not None and reporting > asked:  # /lapor since: this text is the report's
        return
    await _results(update, context, message.text)
    raise ApplicationHandlerStop


async def on_button(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None
    services = context.services
    kb = knowledge_of(services)
    _, parts = unpack(query.data or "")
    verb, arg = ([*parts, "", ""])[:2]
    await query.answer()
    if verb == "tanya":
        await _ask(update, context)
        raise ApplicationHandlerStop
    entry = await kb.get(int(arg)) if arg.isdigit() else None
    if entry is None or entry.status is not Status.ACTIVE or entry.id is None:
        await answer(update, context, services.texts.msg("kb_pengguna.entri_tidak_ada"))
        raise ApplicationHandlerStop
    if verb == "baca":
        await kb.record_use([entry.id], _chat_id(update), FAQ, READ)
        buttons: list[list[tuple[str, str]]] = [
            [(label(services, "kb_tombol.selesai"), pack(PREFIX, "ok", entry.id))],
            [(label(services, "kb_tombol.buat_laporan"), pack(Prefix.USER, "menu", "lapor"))],
        ]
        await answer(update, context, services.texts.render("kb_jawaban", e=entry), buttons)
    elif verb == "ok":
        await drop_keyboard(query)
        await kb.record_use([entry.id], _chat_id(update), FAQ, ANSWERED)
        await answer(update, context, services.texts.msg("kb_pengguna.terjawab_faq"))
    raise ApplicationHandlerStop
