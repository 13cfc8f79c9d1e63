"""SQL for the knowledge base: entries, their FTS5 index, solved tickets, uses, staff messages.

Writers take the connection of an open transaction, so an entry and its index row always commit
together; readers use the :class:`Database`. The index rows hold analysed text made by
:mod:`bot.kb.analysis`: this module stores and ranks it, it does not analyse.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from bot.domain.kb_entries import Entry, Source, Status
from bot.storage.db import Database, Row
from bot.storage.timefmt import from_db_opt, to_db

#: BM25 column weights of ``kb_entry_index`` (title, symptom, answer, keywords, application):
#: how users describe a problem is in the symptom and keywords, not in the steps.
ENTRY_WEIGHTS = (3.0, 2.5, 0.6, 3.0, 1.0)
#: ``kb_ticket_index`` (title, problem, solution, application).
TICKET_WEIGHTS = (3.0, 1.5, 0.8, 1.0)

_ENTRY_COLUMNS = (
    "e.id, e.title, e.symptom, e.answer, e.keywords, e.application, e.source, e.status, "
    "e.confirmed_by_name, e.confirmed_at, t.number AS ticket_number"
)


@dataclass(frozen=True, slots=True)
class IndexedText:
    """The analysed columns of one index row."""

    columns: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RankedRow:
    """A search candidate: its id, BM25 score (higher is better) and analysed text."""

    id: int
    score: float
    terms: str
    title: str = ""


@dataclass(frozen=True, slots=True)
class UseCount:
    entry_id: int
    title: str
    count: int


def _entry(row: Row) -> Entry:
    return Entry(
        id=row["id"],
        title=row["title"],
        symptom=row["symptom"],
        answer=row["answer"],
        keywords=json.loads(row["keywords"]),
        application=row["application"],
        source=Source(row["source"]),
        status=Status(row["status"]),
        confirmed_by=row["confirmed_by_name"],
        confirmed_at=from_db_opt(row["confirmed_at"]),
        ticket_number=row["ticket_number"],
    )


class KnowledgeStore:
    """Every SQL statement about the knowledge base lives here."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # --- entries (writes inside a transaction) -------------------------------------------
    async def insert(
        self,
        entry: Entry,
        index: IndexedText,
        at: datetime,
        ticket_id: int | None = None,
        confirmed_by_id: int | None = None,
    ) -> int:
        conn = self.db.conn
        cursor = await conn.execute(
            "INSERT INTO kb_entries (title, symptom, answer, keywords, application, source, "
            "ticket_id, status, confirmed_by_id, confirmed_by_name, confirmed_at, created_at, "
            "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                entry.title, entry.symptom, entry.answer,
                json.dumps(entry.keywords, ensure_ascii=False), entry.application,
                entry.source.value, ticket_id, entry.status.value, confirmed_by_id,
                entry.confirmed_by,
                to_db(entry.confirmed_at) if entry.confirmed_at else None, to_db(at), to_db(at),
            ),
        )  # fmt: skip
        assert cursor.lastrowid is not None
        entry.id = cursor.lastrowid
        await self._index(entry, index)
        return entry.id

    async def update(
        self,
        entry: Entry,
        index: IndexedText,
        at: datetime,
        confirmed_by_id: int | None = None,
    ) -> None:
        conn = self.db.conn
        assert entry.id is not None
        await conn.execute(
            "UPDATE kb_entries SET title = ?, symptom = ?, answer = ?, keywords = ?, "
            "application = ?, status = ?, confirmed_by_id = COALESCE(?, confirmed_by_id), "
            "confirmed_by_name = ?, confirmed_at = ?, updated_at = ? WHERE id = ?",
            (
                entry.title, entry.symptom, entry.answer,
                json.dumps(entry.keywords, ensure_ascii=False), entry.application,
                entry.status.value, confirmed_by_id, entry.confirmed_by,
                to_db(entry.confirmed_at) if entry.confirmed_at else None, to_db(at), entry.id,
            ),
        )  # fmt: skip
        await self._index(entry, index)

    async def _index(self, entry: Entry, index: IndexedText) -> None:
        """Only active entries are searchable: drafts and retired ones leave the index."""
        conn = self.db.conn
        await conn.execute("DELETE FROM kb_entry_index WHERE rowid = ?", (entry.id,))
        if entry.status is Status.ACTIVE:
            await conn.execute(
                "INSERT INTO kb_entry_index (rowid, title, symptom, answer, keywords, "
                "application) VALUES (?, ?, ?, ?, ?, ?)",
                (entry.id, *index.columns),
            )

    async def index_ticket(self, ticket_id: int, index: IndexedText) -> None:
        conn = self.db.conn
        await conn.execute("DELETE FROM kb_ticket_index WHERE rowid = ?", (ticket_id,))
        await conn.execute(
            "INSERT INTO kb_ticket_index (rowid, title, problem, solution, application) "
            "VALUES (?, ?, ?, ?, ?)",
            (ticket_id, *index.columns),
        )

    async def unindex_ticket(self, ticket_id: int) -> None:
        conn = self.db.conn
        await conn.execute("DELETE FROM kb_ticket_index WHERE rowid = ?", (ticket_id,))

    # --- entries (reads) -------------------------------------------------------------------
    async def get(self, entry_id: int) -> Entry | None:
        row = await self.db.fetchone(
            f"SELECT {_ENTRY_COLUMNS} FROM kb_entries e LEFT JOIN tickets t ON t.id = e.ticket_id "
            "WHERE e.id = ?",
            (entry_id,),
        )
        return None if row is None else _entry(row)

    async def entries(self, statuses: tuple[Status, ...] = tuple(Status)) -> list[Entry]:
        marks = ", ".join("?" for _ in statuses)
        rows = await self.db.fetchall(
            f"SELECT {_ENTRY_COLUMNS} FROM kb_entries e LEFT JOIN tickets t ON t.id = e.ticket_id "
            f"WHERE e.status IN ({marks}) ORDER BY e.id",
            [s.value for s in statuses],
        )
        return [_entry(row) for row in rows]

    async def id_by_title(self, title: str) -> int | None:
        conn = self.db.conn
        async with conn.execute(
            "SELECT id FROM kb_entries WHERE lower(title) = lower(?) AND status != 'pensiun' "
            "ORDER BY id LIMIT 1",
            (title,),
        ) as cursor:
            row = await cursor.fetchone()
        return None if row is None else int(row[0])

    async def ticket_id(self, number: str) -> int | None:
        conn = self.db.conn
        async with conn.execute("SELECT id FROM tickets WHERE number = ?", (number,)) as cursor:
            row = await cursor.fetchone()
        return None if row is None else int(row[0])

    async def draft_of_ticket(self, ticket_id: int, source: Source) -> Entry | None:
        """The entry already drafted from a ticket, so a second press edits, not duplicates."""
        row = await self.db.fetchone(
            f"SELECT {_ENTRY_COLUMNS} FROM kb_entries e LEFT JOIN tickets t ON t.id = e.ticket_id "
            "WHERE e.ticket_id = ? AND e.source = ? ORDER BY e.id DESC LIMIT 1",
            (ticket_id, source.value),
        )
        return None if row is None else _entry(row)

    # --- ranking ---------------------------------------------------------------------------
    async def rank_entries(
        self, match: str, application: str | None, boost: float, limit: int
    ) -> list[RankedRow]:
        """Active entries matching the FTS5 expression, best first; ``application`` boosted."""
        weights = ", ".join(str(w) for w in ENTRY_WEIGHTS)
        return await self._rank(
            "kb_entry_index", weights, "title, symptom, keywords, application",
            match, application, boost, limit,
        )  # fmt: skip

    async def rank_tickets(
        self, match: str, application: str | None, boost: float, limit: int
    ) -> list[RankedRow]:
        weights = ", ".join(str(w) for w in TICKET_WEIGHTS)
        return await self._rank(
            "kb_ticket_index", weights, "title, problem, application",
            match, application, boost, limit,
        )  # fmt: skip

    async def _rank(
        self,
        index: str,
        weights: str,
        columns: str,
        match: str,
        application: str | None,
        boost: float,
        limit: int,
    ) -> list[RankedRow]:
        """BM25 over the matching rows; then, for the best ``2 × limit`` only, the boost and
        the analysed text.

        Reading a row's text costs far more than scoring it (SQLite computes every output column
        before it sorts), so the inner query ranks with ids and scores alone; the application
        boost then reorders that short list.
        """
        text = " || ' ' || ".join(f"i.{c}" for c in columns.split(", "))
        rows = await self.db.fetchall(
            f"SELECT r.id, r.score * CASE WHEN ? IS NOT NULL AND instr(i.application, ?) > 0 "
            f"THEN ? ELSE 1.0 END AS boosted, {text}, i.title FROM ("
            f"SELECT rowid AS id, -bm25({index}, {weights}) AS score "
            f"FROM {index} WHERE {index} MATCH ? ORDER BY score DESC LIMIT ?"
            f") r JOIN {index} i ON i.rowid = r.id ORDER BY boosted DESC, r.id LIMIT ?",
            (application, application, boost, match, 2 * limit, limit),
        )
        return [RankedRow(int(r[0]), float(r[1]), r[2], r[3]) for r in rows]

    async def entry_terms(self) -> tuple[dict[str, int], int]:
        """Every term of the entry index with the number of entries holding it; entry count."""
        return await self._terms("kb_entry_terms", "kb_entry_index")

    async def ticket_terms(self) -> tuple[dict[str, int], int]:
        return await self._terms("kb_ticket_terms", "kb_ticket_index")

    async def _terms(self, vocabulary: str, index: str) -> tuple[dict[str, int], int]:
        rows = await self.db.fetchall(f"SELECT term, doc FROM {vocabulary}")
        total = await self.db.fetchval(f"SELECT count(*) FROM {index}")
        return {r[0]: int(r[1]) for r in rows}, int(total or 0)

    async def titles(self, entry_ids: list[int]) -> dict[int, tuple[str, str | None]]:
        marks = ", ".join("?" for _ in entry_ids)
        rows = await self.db.fetchall(
            f"SELECT id, title, application FROM kb_entries WHERE id IN ({marks})", entry_ids
        )
        return {int(r[0]): (r[1], r[2]) for r in rows}

    async def ticket_titles(self, ticket_ids: list[int]) -> dict[int, tuple[str, str]]:
        marks = ", ".join("?" for _ in ticket_ids)
        rows = await self.db.fetchall(
            f"SELECT id, number, title FROM tickets WHERE id IN ({marks})", ticket_ids
        )
        return {int(r[0]): (r[1], r[2]) for r in rows}

    async def unindexed_solved(self, states: tuple[str, ...], limit: int) -> list[int]:
        """Solved tickets not yet in the index (solved before the knowledge base existed)."""
        marks = ", ".join("?" for _ in states)
        rows = await self.db.fetchall(
            f"SELECT id FROM tickets WHERE state IN ({marks}) AND id NOT IN "
            "(SELECT rowid FROM kb_ticket_index) ORDER BY id LIMIT ?",
            (*states, limit),
        )
        return [int(r[0]) for r in rows]

    async def unposted_guides(self, kind: str) -> list[int]:
        """LKPP-guide drafts never shown to staff nor queued as outbox rows of ``kind``.

        Drafts stored before their proposal was queued in the step's own transaction.
        """
        rows = await self.db.fetchall(
            "SELECT id FROM kb_entries WHERE status = 'draf' AND source = 'panduan_lkpp' "
            "AND id NOT IN (SELECT entry_id FROM kb_staff_messages) "
            "AND id NOT IN (SELECT json_extract(payload, '$.entry') FROM telegram_outbox "
            "WHERE kind = ?) ORDER BY id",
            (kind,),
        )
        return [int(r[0]) for r in rows]

    # --- uses ------------------------------------------------------------------------------
    async def record_use(
        self,
        entry_id: int,
        chat_id: int,
        channel: str,
        outcome: str,
        at: datetime,
    ) -> None:
        conn = self.db.conn
        await conn.execute(
            "INSERT INTO kb_uses (entry_id, chat_id, channel, outcome, at) VALUES (?, ?, ?, ?, ?)",
            (entry_id, chat_id, channel, outcome, to_db(at)),
        )

    async def use_counts(self, start: datetime, end: datetime) -> dict[tuple[str, str], int]:
        """(channel, outcome) → count of uses in ``[start, end)``."""
        rows = await self.db.fetchall(
            "SELECT channel, outcome, count(*) FROM kb_uses WHERE at >= ? AND at < ? "
            "GROUP BY channel, outcome",
            (to_db(start), to_db(end)),
        )
        return {(r[0], r[1]): int(r[2]) for r in rows}

    async def most_used(self, start: datetime, end: datetime, limit: int) -> list[UseCount]:
        """Entries that answered most problems in ``[start, end)`` (then most read)."""
        rows = await self.db.fetchall(
            "SELECT u.entry_id, e.title, "
            "sum(u.outcome = 'terjawab') AS answered, sum(u.outcome = 'dibaca') AS read "
            "FROM kb_uses u JOIN kb_entries e ON e.id = u.entry_id "
            "WHERE u.at >= ? AND u.at < ? AND u.outcome != 'ditampilkan' "
            "GROUP BY u.entry_id ORDER BY answered DESC, read DESC, u.entry_id LIMIT ?",
            (to_db(start), to_db(end), limit),
        )
        return [UseCount(int(r[0]), r[1], int(r[2])) for r in rows]

    # --- staff editor messages -----------------------------------------------------------
    async def remember_message(
        self, chat_id: int, message_id: int, entry_id: int,
        at: datetime,
    ) -> None:  # fmt: skip
        """In the transaction that marks the entry's outbox row sent: replies to it edit it."""
        conn = self.db.conn
        await conn.execute(
            "INSERT OR REPLACE INTO kb_staff_messages (chat_id, message_id, entry_id, "
            "created_at) VALUES (?, ?, ?, ?)",
            (chat_id, message_id, entry_id, to_db(at)),
        )

    async def entry_of_message(self, chat_id: int, message_id: int) -> int | None:
        value = await self.db.fetchval(
            "SELECT entry_id FROM kb_staff_messages WHERE chat_id = ? AND message_id = ?",
            (chat_id, message_id),
        )
        return None if value is None else int(value)
