"""The knowledge base's use cases: import, export, edit, confirm, search, count a use.

Adapters (the CLI, the intake step, ``/faq``, the staff group) go through
:class:`KnowledgeBase`; the SQL is in :mod:`bot.storage.kb`, the text analysis in
:mod:`bot.kb.analysis`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from bot.clock import Now
from bot.domain.kb_entries import Entry, Source, Status
from bot.kb.analysis import analyse
from bot.kb.search import Hit, Searcher, entry_searcher, ticket_searcher
from bot.storage.db import Database
from bot.storage.kb import IndexedText, KnowledgeStore, UseCount
from bot.workflow import By

if TYPE_CHECKING:
    from bot.services import Services

INTAKE = "lapor"
FAQ = "faq"
SHOWN = "ditampilkan"
READ = "dibaca"
ANSWERED = "terjawab"


def entry_index(entry: Entry) -> IndexedText:
    return IndexedText(
        (
            analyse(entry.title),
            analyse(entry.symptom),
            analyse(entry.answer),
            analyse(" ".join(entry.keywords)),
            analyse(entry.application or ""),
        )
    )


def ticket_index(title: str, problem: str, solution: str, application: str) -> IndexedText:
    return IndexedText((analyse(title), analyse(problem), analyse(solution), analyse(application)))


@dataclass(frozen=True, slots=True)
class ImportResult:
    added: int
    updated: int


@dataclass(frozen=True, slots=True)
class UsageFigures:
    """What the knowledge base did in a period, for the report."""

    answered_intake: int
    answered_faq: int
    shown_intake: int
    read: int
    top: list[UseCount]

    @property
    def answered(self) -> int:
        return self.answered_intake + self.answered_faq


class KnowledgeBase:
    """Entries and the searches over them and over solved tickets.

    Args:
        db: The bot's database.
        clock: Stamps edits, confirmations and uses.
    """

    def __init__(self, db: Database, clock: Now) -> None:
        self.db = db
        self.clock = clock
        self.store = KnowledgeStore(db)
        self.entry_search: Searcher = entry_searcher(self.store)
        self.ticket_search: Searcher = ticket_searcher(self.store)

    # --- entries ---------------------------------------------------------------------------
    async def import_entries(
        self, entries: list[Entry], origin: str | None = None
    ) -> ImportResult:
        """Add the entries (one with the title of an existing one replaces it), all at once.

        Args:
            origin: Recorded as who confirmed an active entry the file does not say confirmed
                (``impor kb_awal.toml``): the person who imports a file vouches for it.
        """
        now = self.clock()
        added = updated = 0
        async with self.db.transaction():
            for entry in entries:
                if origin and entry.status is Status.ACTIVE and not entry.confirmed_by:
                    entry.confirmed_by, entry.confirmed_at = origin, now
                ticket_id = (
                    await self.store.ticket_id(entry.ticket_number)
                    if entry.ticket_number
                    else None
                )
                existing = await self.store.id_by_title(entry.title)
                if existing is None:
                    await self.store.insert(entry, entry_index(entry), now, ticket_id)
                    added += 1
                else:
                    entry.id = existing
                    await self.store.update(entry, entry_index(entry), now)
                    updated += 1
        self.entry_search.changed()
        return ImportResult(added, updated)

    async def entries(self, statuses: tuple[Status, ...] = tuple(Status)) -> list[Entry]:
        return await self.store.entries(statuses)

    async def get(self, entry_id: int) -> Entry | None:
        return await self.store.get(entry_id)

    async def draft(self, entry: Entry, ticket_id: int | None) -> int:
        """Store ``entry`` as a draft inside the caller's transaction (not yet searchable)."""
        entry.status = Status.DRAFT
        entry_id = await self.store.insert(entry, entry_index(entry), self.clock(), ticket_id)
        return entry_id

    async def draft_from_ticket(
        self, ticket_id: int, entry: Entry, source: Source
    ) -> tuple[Entry, bool]:
        """The ticket's draft entry: the existing one, or ``entry`` stored as a new draft."""
        existing = await self.store.draft_of_ticket(ticket_id, source)
        if existing is not None:
            return existing, False
        async with self.db.transaction():
            await self.draft(entry, ticket_id)
        return entry, True

    async def save(self, entry: Entry, by: By | None = None) -> None:
        """Store an edited entry; a staff member's edit of an active entry confirms it."""
        now = self.clock()
        if by is not None and entry.status is Status.ACTIVE:
            entry.confirmed_by, entry.confirmed_at = by.name, now
        async with self.db.transaction():
            await self.store.update(
                entry, entry_index(entry), now, by.id if by is not None else None
            )
        self.entry_search.changed()

    async def set_status(self, entry: Entry, status: Status, by: By) -> None:
        """Confirm (active), retire, or bring back an entry; who and when are recorded."""
        entry.status = status
        if status is Status.ACTIVE:
            await self.save(entry, by)
        else:
            await self.save(entry)

    # --- solved tickets --------------------------------------------------------------------
    async def index_ticket(
        self,
        ticket_id: int,
        title: str,
        problem: str,
        solution: str,
        application: str,
    ) -> None:
        """Make a solved ticket findable by staff (inside the transaction that solved it)."""
        index = ticket_index(title, problem, solution, application)
        await self.store.index_ticket(ticket_id, index)
        self.ticket_search.changed(" ".join(index.columns))

    # --- searching -------------------------------------------------------------------------
    async def search(self, text: str, application: str | None = None, limit: int = 5) -> list[Hit]:
        """Active entries for ``text``, best first."""
        query = await self.entry_search.query(text, application)
        ranked = await self.entry_search.ranked(query, limit)
        if not ranked:
            return []
        titles = await self.store.titles([row.id for row, _ in ranked])
        return [
            Hit(
                "entri",
                row.id,
                titles[row.id][0],
                row.score,
                matched,
                len(query.groups),
                title_share=query.share_of(row.title),
            )
            for row, matched in ranked
            if row.id in titles
        ]

    async def search_tickets(
        self,
        text: str,
        application: str | None = None,
        limit: int = 5,
        exclude: int | None = None,
    ) -> list[Hit]:
        """Solved tickets for ``text``, best first (``exclude``: the ticket being looked at)."""
        query = await self.ticket_search.query(text, application)
        ranked = await self.ticket_search.ranked(query, limit + 1)
        ranked = [(row, matched) for row, matched in ranked if row.id != exclude][:limit]
        if not ranked:
            return []
        titles = await self.store.ticket_titles([row.id for row, _ in ranked])
        return [
            Hit("tiket", row.id, titles[row.id][1], row.score, matched, len(query.groups),
                ref=titles[row.id][0], title_share=query.share_of(row.title))
            for row, matched in ranked
            if row.id in titles
        ]  # fmt: skip

    async def similar(
        self, text: str, application: str | None, exclude: int | None, limit: int = 3
    ) -> list[Hit]:
        """Up to ``limit`` good entries and solved tickets for a ticket's card, best first."""
        entries = [h for h in await self.search(text, application, limit) if h.good()]
        tickets = [
            h for h in await self.search_tickets(text, application, limit, exclude) if h.good()
        ]
        ranked = sorted(entries + tickets, key=lambda h: (-h.coverage, -h.score))
        return ranked[:limit]

    # --- uses ------------------------------------------------------------------------------
    async def record_use(
        self, entry_ids: list[int], chat_id: int, channel: str, outcome: str
    ) -> None:
        now = self.clock()
        async with self.db.transaction():
            for entry_id in entry_ids:
                await self.store.record_use(entry_id, chat_id, channel, outcome, now)

    async def usage(self, start: datetime, end: datetime, top: int = 5) -> UsageFigures:
        counts = await self.store.use_counts(start, end)
        return UsageFigures(
            answered_intake=counts.get((INTAKE, ANSWERED), 0),
            answered_faq=counts.get((FAQ, ANSWERED), 0),
            shown_intake=counts.get((INTAKE, SHOWN), 0),
            read=counts.get((INTAKE, READ), 0) + counts.get((FAQ, READ), 0),
            top=await self.store.most_used(start, end, top),
        )


def knowledge_of(services: Services) -> KnowledgeBase:
    """The bot's one :class:`KnowledgeBase` (its vocabularies are cached in it)."""
    if services.knowledge is None:
        services.knowledge = KnowledgeBase(services.db, services.clock)
    return services.knowledge
