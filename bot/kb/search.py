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
APPLICATION_TERMS = frozenset({"spse_", "sikap_", "sirup_", "ekatalog_", "inaproc_", "apendo_"})
"""Protected terms that name an application or module (for the boost)."""
CANDIDATES = 20
"""Rows ranked by FTS5 before coverage is computed for each."""
COMMON_SHARE = 0.02
COMMON_FLOOR = 500
"""A term in more than 2 % of the documents (and at least 500) is *common*: BM25 gives it
almost no weight, yet ranking every row that holds it costs most of a search in a large ticket
history. Common words still count for ``matched``; they select rows only when the query has no
rarer word, and then every word must be present."""


GOOD_MATCHED = 3
GOOD_TITLE_SHARE = 0.6


def _any(group: tuple[str, ...]) -> str:
    """One word's alternatives as FTS5 (terms are ``[0-9a-z_]``, safe inside quotes)."""
    terms = " OR ".join(f'"{t}"' for t in group)
    return f"({terms})" if len(group) > 1 else terms


def match_expressions(groups: tuple[tuple[str, ...], ...], vocabulary: Vocabulary) -> list[str]:
    """FTS5 expressions to try in order: rare words ORed; else all words, then the rarest two."""
    if not groups:
        return []
    limit = max(COMMON_FLOOR, COMMON_SHARE * vocabulary.documents)
    frequency = {g: max(vocabulary.frequency.get(t, 0) for t in g) for g in groups}
    rare = [g for g in groups if frequency[g] <= limit]
    if rare:
        return [" OR ".join(_any(g) for g in rare)]
    ordered = sorted(groups, key=lambda g: frequency[g])
    found = [" AND ".join(_any(g) for g in ordered)]
    if len(ordered) > 2:
        found.append(" AND ".join(_any(g) for g in ordered[:2]))
    return found


@dataclass(frozen=True, slots=True)
class Query:
    """The analysed query: one group of alternative terms per meaningful word."""

    groups: tuple[tuple[str, ...], ...]
    application: str | None
    matches: tuple[str, ...] = ()

    def matched(self, terms: str) -> int:
        present = set(terms.split())
        return sum(1 for group in self.groups if present.intersection(group))

    def share_of(self, terms: str) -> float:
        """How much of ``terms`` (an entry's title) the query holds."""
        wanted = set(terms.split())
        asked = {t for group in self.groups for t in group}
        return len(wanted & asked) / len(wanted) if wanted else 0.0


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
    title_share: float = 0.0
    """How much of the hit's title the query holds."""

    @property
    def coverage(self) -> float:
        return self.matched / self.words if self.words else 0.0

    def good(self) -> bool:
        """Good enough to offer without being asked.

        A short question must be matched in most of its words. A whole report (title and
        description) shares a few common words with many entries, so it must also hold most of
        the entry's title.
        """
        if self.words <= 2:
            return self.matched == self.words
        if self.coverage >= 0.6:
            return True
        return self.matched >= GOOD_MATCHED and self.title_share >= GOOD_TITLE_SHARE


def application_term(text: str | None) -> str | None:
    """The application a text names (``"SPSE (Aplikasi SPSE 4.5)"`` → ``spse_``), if any."""
    if not text:
        return None
    for term in analyse(text).split():
        if term in APPLICATION_TERMS:
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
        terms: Callable[[], Awaitable[tuple[dict[str, int], int]]],
        rank: Callable[[str, str | None, float, int], Awaitable[list[RankedRow]]],
    ) -> None:
        self._terms = terms
        self._rank = rank
        self._vocabulary: Vocabulary | None = None
        self._added: set[str] = set()
        self._documents_added = 0

    def changed(self, new_terms: str | None = None) -> None:
        """The index changed: reload the vocabulary, or just add ``new_terms`` to it."""
        if new_terms is None or self._vocabulary is None:
            self._vocabulary = None
            self._added.clear()
            return
        self._documents_added += 1
        fresh = set(new_terms.split()) - self._vocabulary.terms
        if fresh:
            self._added |= fresh
            if len(self._added) > 100:  # rebuild the length buckets now and then
                self._vocabulary = None
                self._added.clear()

    async def vocabulary(self) -> Vocabulary:
        """The index's terms (loaded once, then kept up to date with the index's writes)."""
        if self._vocabulary is None:
            self._vocabulary = Vocabulary(*await self._terms())
            self._documents_added = 0
        if self._added or self._documents_added:
            frequency = dict.fromkeys(self._added, 1) | self._vocabulary.frequency
            documents = self._vocabulary.documents + self._documents_added
            self._vocabulary = Vocabulary(frequency, documents)
            self._added.clear()
            self._documents_added = 0
        return self._vocabulary

    async def query(self, text: str, application: str | None = None) -> Query:
        vocabulary = await self.vocabulary()
        groups: dict[tuple[str, ...], None] = {}
        named = None
        for word in words(text):
            if is_protected(word.term) and word.term in APPLICATION_TERMS and named is None:
                named = word.term
            groups.setdefault(tuple(vocabulary.alternatives(word)), None)
        found = tuple(groups)
        return Query(
            found,
            named or application_term(application),
            tuple(match_expressions(found, vocabulary)),
        )

    async def ranked(self, query: Query, limit: int) -> list[tuple[RankedRow, int]]:
        """(row, matched words) best first; nothing for a query without a meaningful word."""
        rows: list[RankedRow] = []
        for match in query.matches:
            rows = await self._rank(
                match, query.application, APPLICATION_BOOST, max(limit, CANDIDATES)
            )
            if rows:
                break
        return [(row, query.matched(row.terms)) for row in rows[:limit]]


def entry_searcher(store: KnowledgeStore) -> Searcher:
    return Searcher(store.entry_terms, store.rank_entries)


def ticket_searcher(store: KnowledgeStore) -> Searcher:
    return Searcher(store.ticket_terms, store.rank_tickets)
