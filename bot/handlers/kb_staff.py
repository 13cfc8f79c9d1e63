"""The knowledge base in the staff group: FAQ drafts, ``/faq``, ``/cari``, cards' suggestions.

* A solved ticket's card offers "Jadikan FAQ": a draft entry from its problem and solution,
  posted under the card. Staff edit it by replying (``kolom: nilai`` lines,
  :mod:`bot.kb.editing`) and confirm it with "Simpan".
* LKPP's guide (SOP step 4, "kewenangan LPSE") becomes a draft entry in the transaction that
  records it, and is proposed under the card the same way.
* Every solved ticket (locally, or with LKPP's solution or guide) enters the ticket index in the
  transaction that solves it, so ``/cari`` and the cards find how it was solved.
* ``/faq`` lists, shows, edits, retires and reactivates entries; ``/cari`` searches entries and
  solved tickets.

Callback data (prefix ``f``): ``f:jadi:<ticket>``, ``f:simpan:<id>``, ``f:buang:<id>``,
``f:pensiun:<id>``, ``f:aktif:<id>``.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from markupsafe import Markup
from telegram import Message, Update
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
)

from bot.callbacks import Prefix, pack, unpack
from bot.context import by_of
from bot.domain.errors import DomainError
from bot.domain.kb_entries import (
    MAX_ANSWER,
    MAX_APPLICATION,
    MAX_SYMPTOM,
    Entry,
    EntryFileError,
    Source,
    Status,
)
from bot.domain.sop import Action, State
from bot.domain.ticket import Ticket
from bot.guards import Context, staff_only
from bot.handlers.cards import cards_of
from bot.kb.base import KnowledgeBase, knowledge_of
from bot.kb.editing import apply_edit, checked, parse_edit
from bot.kb.search import Hit
from bot.notify import Keyboard, reply_html
from bot.outbox.edits import edit_message
from bot.services import Services
from bot.storage.telegram_outbox import OutRow
from bot.workflow import Applied

log = logging.getLogger(__name__)

PREFIX = Prefix.KB_STAFF
SOLVED = frozenset({State.SOLVED, State.CLOSED})
#: Steps whose text is how a ticket was solved.
SOLUTIONS = frozenset({Action.SOLVE_LOCALLY, Action.PASS_SOLUTION_TO_USER, Action.LKPP_GUIDE})
SHOWN_ON_CARD = 3
ENTRY_KIND = "kb_entri"
"""Outbox kind of an entry's message: sent as text, its message id kept for reply edits."""
LISTED = 60
"""Entries ``/faq`` lists in one go (the newest first); ``/cari`` finds any of the others."""


def _button(services: Services, key: str, verb: str, arg: object) -> tuple[str, str]:
    return services.texts.plain_msg(f"kb_tombol.{key}"), pack(PREFIX, verb, arg)


# --- the workflow hooks --------------------------------------------------------------------------
async def on_step(services: Services, applied: Applied) -> None:
    """In the step's transaction: index a solved ticket; draft an entry from LKPP's guide."""
    action = applied.step.action
    ticket, text = applied.ticket, str(applied.details.get("text") or "")
    assert ticket.id is not None
    kb = knowledge_of(services)
    if action is Action.USER_REOPENS:  # not solved after all: not an example for others
        await kb.store.unindex_ticket(ticket.id)
        return
    if action not in SOLUTIONS:
        return
    try:
        await kb.index_ticket(
            ticket.id, ticket.title, ticket.description, text, ticket.application
        )
        if action is Action.LKPP_GUIDE and text.strip():
            draft = _draft_of(ticket, text, Source.LKPP_GUIDE)
            await kb.draft(draft, ticket.id)
            await queue_entry(services, draft, ticket, proposal=True)
    except Exception:  # the SOP step matters more than its knowledge-base copy
        log.exception("knowledge base not updated for %s %s", ticket.number, action)


def _draft_of(ticket: Ticket, solution: str, source: Source) -> Entry:
    return Entry(
        title=ticket.title,
        symptom=ticket.description[:MAX_SYMPTOM],
        answer=solution.strip()[:MAX_ANSWER],
        application=(ticket.application or "")[:MAX_APPLICATION] or None,
        source=source,
        ticket_number=ticket.number,
        status=Status.DRAFT,
    )


# --- the card ------------------------------------------------------------------------------------
async def similar_for_card(services: Services, ticket: Ticket) -> list[Hit]:
    text = f"{ticket.title}\n{ticket.description}"
    return await knowledge_of(services).similar(text, ticket.application, ticket.id, SHOWN_ON_CARD)


def card_buttons(services: Services, ticket: Ticket) -> list[tuple[str, str]]:
    """ "Jadikan FAQ" on the card of a solved ticket."""
    if ticket.state not in SOLVED:
        return []
    return [_button(services, "jadikan_faq", "jadi", ticket.number)]


# --- the entry's message -------------------------------------------------------------------------
def entry_html(services: Services, entry: Entry, proposal: bool = False) -> str:
    texts = services.texts
    return texts.render(
        "kb_entri",
        e=entry,
        status=texts.plain_msg(f"kb_status.{entry.status.value}"),
        sumber=texts.plain_msg(f"kb_sumber.{entry.source.value}"),
        usulan=proposal,
    )


def entry_buttons(services: Services, entry: Entry) -> Keyboard:
    if entry.status is Status.DRAFT:
        return [[_button(services, "simpan", "simpan", entry.id),
                 _button(services, "buang", "buang", entry.id)]]  # fmt: skip
    if entry.status is Status.ACTIVE:
        return [[_button(services, "pensiun", "pensiun", entry.id)]]
    return [[_button(services, "aktifkan", "aktif", entry.id)]]


async def queue_entry(
    services: Services,
    entry: Entry,
    ticket: Ticket | None = None,
    proposal: bool = False,
) -> int:
    """Queue the entry's message (under the ticket's card, if any); returns its outbox row.

    The sender records the sent message for reply edits (:func:`_entry_sent`).
    """
    assert entry.id is not None
    return await cards_of(services).notifier.staff(
        entry_html(services, entry, proposal), entry_buttons(services, entry),
        kind=ENTRY_KIND, extra={"entry": entry.id},
        ticket_id=ticket.id if ticket is not None else None, reply_card=ticket is not None,
    )  # fmt: skip


async def _entry_sent(services: Services, row: OutRow, message: Message | None) -> None:
    """In the transaction that marks the row sent: replies to the message edit the entry."""
    if message is not None:
        await knowledge_of(services).store.remember_message(
            message.chat_id, message.message_id, row.payload["entry"], services.clock()
        )


async def _redraw(services: Services, chat_id: int, message_id: int, entry: Entry) -> None:
    """Show the entry's new state in its message (queued in the group: it counts there)."""
    await edit_message(
        services, cards_of(services).bot, chat_id, message_id,
        entry_html(services, entry), entry_buttons(services, entry),
    )  # fmt: skip


# --- buttons -------------------------------------------------------------------------------------
@staff_only
async def on_button(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None and query.message is not None
    services = context.services
    texts = services.texts
    _, parts = unpack(query.data or "")
    verb, arg = ([*parts, "", ""])[:2]
    try:
        toast = await _perform(services, update, verb, arg)
    except EntryFileError as exc:
        toast = texts.msg("kb_staf.ubah_gagal", alasan=str(exc))
    except DomainError as exc:  # the ticket of a "Jadikan FAQ" button is unknown
        toast = texts.error(exc)
    await query.answer(Markup(toast).striptags()[:200] if toast else None, show_alert=bool(toast))
    raise ApplicationHandlerStop


async def _perform(services: Services, update: Update, verb: str, arg: str) -> str | None:
    texts = services.texts
    kb = knowledge_of(services)
    query = update.callback_query
    assert query is not None and query.message is not None
    if verb == "jadi":
        return await make_faq(services, arg)
    entry = await kb.get(int(arg)) if arg.isdigit() else None
    if entry is None:
        return texts.msg("kb_staf.tidak_ada", id=arg)
    wanted = {"simpan": Status.ACTIVE, "aktif": Status.ACTIVE,
              "buang": Status.RETIRED, "pensiun": Status.RETIRED}.get(verb)  # fmt: skip
    if wanted is None:
        return None
    if entry.status is wanted:
        status = texts.plain_msg(f"kb_status.{wanted.value}")
        return texts.msg("kb_staf.sudah", id=entry.id, status=status)
    if wanted is Status.ACTIVE:
        checked(entry)
    was_draft = entry.status is Status.DRAFT
    await kb.set_status(entry, wanted, by_of(update))
    await _redraw(services, query.message.chat.id, query.message.message_id, entry)
    if wanted is Status.ACTIVE:
        return texts.msg("kb_staf.disimpan", id=entry.id, nama=entry.confirmed_by or "-")
    key = "kb_staf.dibuang" if was_draft else "kb_staf.dipensiunkan"
    return texts.msg(key, id=entry.id)


async def make_faq(services: Services, number: str) -> str | None:
    """ "Jadikan FAQ": a draft from the solved ticket's problem and solution, under its card."""
    workflow = services.workflow
    ticket = await workflow.get(number)
    texts = services.texts
    if ticket.state not in SOLVED:
        return texts.msg("kb_staf.belum_selesai", nomor=number)
    assert ticket.id is not None
    last = await services.tickets.last_event(ticket.id, tuple(SOLUTIONS))
    solution = str(last.details.get("text") or "") if last is not None else ""
    entry, created = await knowledge_of(services).draft_from_ticket(
        ticket.id, _draft_of(ticket, solution, Source.LOCAL_SOLUTION), Source.LOCAL_SOLUTION
    )
    await queue_entry(services, entry, ticket, proposal=created)
    if created:
        return None
    return texts.msg("kb_staf.draf_sudah_ada", nomor=number, id=entry.id)


# --- replies: edits ------------------------------------------------------------------------------
async def on_reply(update: Update, context: Context) -> None:
    """A reply to an entry's message edits the entry; anything else goes on to other handlers."""
    message = update.effective_message
    if message is None or message.reply_to_message is None:
        return
    services = context.services
    kb = knowledge_of(services)
    replied = message.reply_to_message.message_id
    entry_id = await kb.store.entry_of_message(message.chat_id, replied)
    if entry_id is None:
        return
    texts = services.texts
    entry = await kb.get(entry_id)
    fields = parse_edit(message.text or "")
    if entry is None or not fields:
        await reply_html(
            message,
            texts.msg("kb_staf.ubah_tanpa_kolom") + "\n" + texts.msg("kb_staf.ubah_petunjuk"),
        )
        raise ApplicationHandlerStop
    try:
        edited = apply_edit(entry, fields)
    except EntryFileError as exc:
        await reply_html(message, texts.msg("kb_staf.ubah_gagal", alasan=str(exc)))
        raise ApplicationHandlerStop from None
    await kb.save(edited, by_of(update))
    await _redraw(services, message.chat_id, replied, edited)
    await reply_html(message, texts.msg("kb_staf.diubah", id=entry_id, kolom=", ".join(fields)))
    raise ApplicationHandlerStop


# --- commands ------------------------------------------------------------------------------------
async def cmd_faq(update: Update, context: Context) -> None:
    """/faq [draf | <no> | ubah <no> | pensiun <no> | aktifkan <no>]."""
    services = context.services
    message = update.effective_message
    assert message is not None
    texts = services.texts
    kb = knowledge_of(services)
    args = context.args or []
    if not args or args[0].lower() == "draf":
        status = Status.DRAFT if args else Status.ACTIVE
        entries = list(reversed(await kb.entries((status,))))
        if not entries and not args:
            await reply_html(message, texts.msg("kb_staf.kosong"))
            return
        html = texts.render(
            "kb_daftar", entri=entries[:LISTED], jumlah=len(entries), draf=bool(args)
        )
        await cards_of(services).notifier.staff(html)
        return
    verb, raw = (args[0].lower(), args[1]) if len(args) > 1 else ("lihat", args[0])
    entry = await kb.get(int(raw.lstrip("#"))) if raw.lstrip("#").isdigit() else None
    if verb not in ("lihat", "ubah", "pensiun", "aktifkan") or entry is None:
        key = (
            "kb_staf.pakai_faq" if entry is not None or not raw.isdigit() else "kb_staf.tidak_ada"
        )
        await reply_html(message, texts.msg(key, id=raw))
        return
    if verb in ("pensiun", "aktifkan"):
        wanted = Status.RETIRED if verb == "pensiun" else Status.ACTIVE
        if wanted is Status.ACTIVE:
            try:
                checked(entry)
            except EntryFileError as exc:
                await reply_html(message, texts.msg("kb_staf.ubah_gagal", alasan=str(exc)))
                return
        await kb.set_status(entry, wanted, by_of(update))
        key = "kb_staf.dipensiunkan" if wanted is Status.RETIRED else "kb_staf.diaktifkan"
        await reply_html(message, texts.msg(key, id=entry.id))
        return
    await queue_entry(services, entry)
    if verb == "ubah":
        await reply_html(message, texts.msg("kb_staf.ubah_petunjuk"))


async def cmd_cari(update: Update, context: Context) -> None:
    """/cari <teks>: entries and solved tickets, for staff before they escalate."""
    services = context.services
    message = update.effective_message
    assert message is not None
    texts = services.texts
    text = " ".join(context.args or [])
    if not text.strip():
        await reply_html(message, texts.msg("kb_staf.pakai_cari"))
        return
    kb: KnowledgeBase = knowledge_of(services)
    entries = await kb.search(text, limit=5)
    tickets = await kb.search_tickets(text, limit=5)
    if not entries and not tickets:
        await reply_html(message, texts.msg("kb_staf.tidak_ditemukan", teks=text))
        return
    html = texts.render("kb_cari", teks=text, entri=entries, tiket=tickets)
    await cards_of(services).notifier.staff(html)


def final(handler: Any) -> Any:
    """``handler`` for the staff group only, and the last to see its update."""

    @staff_only
    async def run(update: Update, context: Context) -> None:
        await handler(update, context)
        raise ApplicationHandlerStop

    return run


# --- the component -------------------------------------------------------------------------------
def install(application: Application[Any, Any, Any, Any, Any, Any], services: Services) -> None:
    """Hook the knowledge base into the workflow, the outbox and the cards."""
    knowledge_of(services)
    services.workflow.add_listener(partial(on_step, services))
    if services.sender is not None:
        services.sender.add_text_kind(ENTRY_KIND, partial(_entry_sent, services))
    services.similar_for_card = partial(similar_for_card, services)
    services.card_buttons = partial(card_buttons, services)


async def start(
    application: Application[Any, Any, Any, Any, Any, Any], services: Services
) -> None:
    """Index tickets solved before the knowledge base existed, propose guides not yet shown.

    Also loads the stemmer and both vocabularies now, so the first user does not wait for them.
    """
    indexed = await index_solved(services)
    if indexed:
        log.info("indexed %d solved ticket(s) for the knowledge base", indexed)
    kb = knowledge_of(services)
    await kb.search("pemanasan")
    await kb.search_tickets("pemanasan")
    for entry_id in await kb.store.unposted_guides(ENTRY_KIND):
        entry = await kb.get(entry_id)
        if entry is None:
            continue
        ticket = await services.tickets.get(entry.ticket_number or "")
        await queue_entry(services, entry, ticket, proposal=True)


async def index_solved(services: Services, batch: int = 500) -> int:
    kb = knowledge_of(services)
    store = services.tickets
    states = (*(s.value for s in SOLVED), State.LPSE_AUTHORITY.value)
    done = 0
    while ids := await kb.store.unindexed_solved(states, batch):
        async with services.db.transaction():
            for ticket_id in ids:
                ticket = await store.get_by_id(ticket_id)
                if ticket is None:
                    continue
                last = await store.last_event(ticket_id, tuple(SOLUTIONS))
                text = str(last.details.get("text") or "") if last is not None else ""
                await kb.index_ticket(
                    ticket_id, ticket.title, ticket.description, text, ticket.application
                )
                done += 1
    return done
