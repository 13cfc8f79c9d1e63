"""The intake step "Mungkin ini membantu": entries that may answer a report before it is sent.

After the user describes the problem (title, description, application), up to three entries
that match well are offered, each readable in full in place. "Ini menyelesaikan masalah saya"
ends the report without a ticket and counts the entry as having answered it; "Lanjutkan
laporan" goes on to the next question. Nothing is asked when nothing matches well, and a
failing search never stops a report: the step is skipped.

The offered entries are kept in the draft (``saran``), so a restart or an answer typed instead
of a button shows the same ones again. Callback data: ``u:l:saran:<arg>`` with ``b<id>`` (read
an entry), ``ok<id>`` (solved by it), ``daftar`` (back to the list), ``lanjut``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from telegram import Update
from telegram.ext import ConversationHandler

from bot.callbacks import Prefix, pack
from bot.conversations.common import Context, answer, drafts_of, drop_keyboard, label
from bot.conversations.report_draft import ReportDraft, save
from bot.domain.kb_entries import Entry, Status
from bot.kb.base import ANSWERED, INTAKE, READ, SHOWN, knowledge_of
from bot.notify import Keyboard, edit_pressed
from bot.storage.drafts import REPORT

log = logging.getLogger(__name__)

STEP = "saran"
MAX_OFFERED = 3

Advance = Callable[[Update, Context, ReportDraft, str], Awaitable[str]]
"""The report's own "go to the step after this one"."""


def _data(arg: object) -> str:
    return pack(Prefix.USER, "l", STEP, arg)


def _chat_id(update: Update) -> int:
    assert update.effective_chat is not None
    return update.effective_chat.id


async def _offered(context: Context, update: Update, draft: ReportDraft) -> list[Entry]:
    """The entries offered for this draft: searched once, then read back from the draft."""
    services = context.services
    kb = knowledge_of(services)
    if draft.saran is None:
        text = "\n".join(p for p in (draft.judul, draft.deskripsi) if p)
        try:
            hits = [h for h in await kb.search(text, draft.aplikasi, MAX_OFFERED)
                    if h.good()]  # fmt: skip
        except Exception:  # the report matters more than a suggestion
            log.exception("knowledge-base search at intake failed")
            hits = []
        draft.saran = [h.id for h in hits]
        if hits:
            await kb.record_use(draft.saran, _chat_id(update), INTAKE, SHOWN)
    entries = [await kb.get(entry_id) for entry_id in draft.saran]
    return [e for e in entries if e is not None and e.status is Status.ACTIVE]


def _list(context: Context, entries: list[Entry]) -> tuple[str, Keyboard]:
    services = context.services
    html = services.texts.render("kb_saran", entri=entries)
    buttons: list[list[tuple[str, str]]] = [
        [(label(services, "kb_tombol.baca", judul=e.title[:50]), _data(f"b{e.id}"))]
        for e in entries
    ]
    buttons.append([(label(services, "kb_tombol.lanjut_lapor"), _data("lanjut"))])
    return html, buttons


async def prompt(update: Update, context: Context, draft: ReportDraft, advance: Advance) -> str:
    """Offer the matching entries, or go straight on when none matches well."""
    entries = await _offered(context, update, draft)
    await save(context.services, _chat_id(update), draft)
    if not entries:
        return await advance(update, context, draft, STEP)
    html, buttons = _list(context, entries)
    await answer(update, context, html, buttons)
    return STEP


async def _edit(update: Update, html: str, buttons: Keyboard | None) -> None:
    assert update.callback_query is not None
    await edit_pressed(update.callback_query, html, buttons)


async def on_button(
    update: Update, context: Context, draft: ReportDraft, arg: str, advance: Advance
) -> str | int:
    """Read an entry, go back to the list, be answered by one, or go on with the report."""
    services = context.services
    kb = knowledge_of(services)
    chat_id = _chat_id(update)
    entries = await _offered(context, update, draft)
    chosen = next((e for e in entries if arg in (f"b{e.id}", f"ok{e.id}")), None)
    if arg == "lanjut" or not entries:
        assert update.callback_query is not None
        await drop_keyboard(update.callback_query)
        return await advance(update, context, draft, STEP)
    if chosen is None:  # "daftar", or an entry retired since it was offered
        await _edit(update, *_list(context, entries))
        return STEP
    assert chosen.id is not None
    if arg.startswith("b"):
        await kb.record_use([chosen.id], chat_id, INTAKE, READ)
        html = services.texts.render("kb_jawaban", e=chosen)
        buttons: list[list[tuple[str, str]]] = [
            [(label(services, "kb_tombol.selesai"), _data(f"ok{chosen.id}"))],
            [(label(services, "kb_tombol.kembali"), _data("daftar"))],
            [(label(services, "kb_tombol.lanjut_lapor"), _data("lanjut"))],
        ]
        await _edit(update, html, buttons)
        return STEP
    await kb.record_use([chosen.id], chat_id, INTAKE, ANSWERED)
    await drafts_of(services).delete(chat_id, REPORT)
    await _edit(update, services.texts.render("kb_jawaban", e=chosen), None)
    await answer(update, context, services.texts.msg("kb_pengguna.terjawab"))
    return ConversationHandler.END
