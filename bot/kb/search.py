"""Ranking entries and solved tickets for a text written the way users write.

The query's words are analysed like the index (:mod:`bot.kb.analysis`); each word the index
does not know is replaced by its nearest known terms (typos); the terms are ORed into one FTS5
expression ranked by BM25 with per-column weights; an entry of the application the user named
(or chose at intake) gets a boost. Each hit also says how many of the query's words it
matched (``matched`` of ``words``), which decides whether a hit is good enough to offer
unasked at intake.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.kb.analysis import Vocabulary, analyse, is_protected, words
from bot.storage.kb import KnowledgeStore, RankedRow

APPLICATION_BOOST = 1.3
"""Score factor of an entry or ticket of the application the user named."""
APPLICATIONS = frozenset({"spse_", "sikap_", "sirup_", "ekatalog_", "inaproc_", "apendo_"})
"""Protected terms that name an application or module (for the boost)."""
CANDIDATES = 20
"""Rows ranked by FTS5 before coverage is computed for each."""


@dataclass(frozen=True, slots=True)
class Query:
    """The analysed query: one group of alternative terms per meaningful word."""

    groups: tuple[tuple[str, ...], ...]
    application: str | None

    @property
    def match(self) -> str:
        """The FTS5 expression: every alternative of every word, ORed (terms are [0-9a-z_])."""
        terms = dict.fromkeys(t for group in self.groups for t in group)
        return " OR ".join(f'"{t}"' for t in terms)

    def matched(self, terms: str) -> int:
        present = set(terms.split())
        return sum(1 for group in self.groups if present.intersection(group))


@dataclass(frozen=True, slots=True)
class Hit:
    """One search result. ``kind`` is ``entri`` or ``tiket``; ``ref`` the ticket number."""

    kind: str
    id: int
    title: str
    score: float
    matched: int
    words: int
    ref: str | None = None

    @property
    def coverage(self) -> float:
        return self.matched / self.words if self.words else 0.0

    def good(self) -> bool:
        """Good enough to offer without being asked: most words, or three or more, matched."""
        if self.words <= 2:
            return self.matched == self.words
        return self.matched >= 3 or self.coverage >= 0.6


def application_term(text: str | None) -> str | None:
    """The application a text names (``"SPSE (Aplikasi SPSE 4.5)"`` → ``spse_``), if any."""
    if not text:
        return None
    for term in analyse(text).split():
        if term in APPLICATIONS:
            return term
    return None


class Searcher:
    """Searches one index, keeping its vocabulary in memory for typo correction.

    Args:
        terms: Loads every term of the index (its ``fts5vocab`` table).
        rank: Ranks an FTS5 expression: ``(match, application, boost, limit)`` → rows.
    """

    def __init__(
        self,
        terms: Callable[[], Awaitable[list[str]]],
        rank: Callable[[str, str | None, float, int], Awaitable[list[RankedRow]]],
    ) -> None:
        self._terms = terms
        self._rank = rank
        self._vocabulary: Vocabulary | None = None
        self._added: set[str] = set()

    def changed(self, new_terms: str | None = None) -> None:
        """The index changed: reload the vocabulary, or just add ``new_terms`` to it."""
        if new_terms is None or self._vocabulary is None:
            self._vocabulary = None
            self._added.clear()
            return
        fresh = set(new_terms.split()) - self._vocabulary.terms
        if fresh:
            self._added |= fresh
            if len(self._added) > 100:  # rebuild the length buckets now and then
                self._vocabulary = None
                self._added.clear()

    async def vocabulary(self) -> Vocabulary:
        if self._vocabulary is None:
            self._vocabulary = Vocabulary(await self._terms())
        if self._added:
            self._vocabulary = Vocabulary(self._vocabulary.terms | self._added)
            self._added.clear()
        return self._vocabulary

    async def query(self, text: str, application: str | None = None) -> Query:
        vocabulary = await self.vocabulary()
        groups: dict[tuple[str, ...], None] = {}
        named = None
        for word in words(text):
            if is_protected(word.term) and word.term in APPLICATIONS and named is None:
                named = word.term
            groups.setdefault(tuple(vocabulary.alternatives(word)), None)
        return Query(tuple(groups), named or application_term(application))

    async def ranked(self, query: Query, limit: int) -> list[tuple[RankedRow, int]]:
        """(row, matched words) best first; nothing for a query without a meaningful word."""
        if not query.groups:
            return []
        rows = await self._rank(
            query.match, query.application, APPLICATION_BOOST, max(limit, CANDIDATES)
        )
        return [(row, query.matched(row.terms)) for row in rows[:limit]]


def entry_searcher(store: KnowledgeStore) -> Searcher:
    return Searcher(store.entry_terms, store.rank_entries)


def ticket_searcher(store: KnowledgeStore) -> Searcher:
    return Searcher(store.ticket_terms, store.rank_tickets)
