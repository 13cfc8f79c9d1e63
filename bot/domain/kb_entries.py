"""A knowledge-base entry, its validation, and the TOML file an LPSE imports and exports.

The file is a list of ``[[entri]]`` tables with Indonesian keys (``judul``, ``gejala``,
``jawaban``, ``kata_kunci``, ``aplikasi``; an export also writes ``sumber``, ``tiket``,
``status`` and who confirmed the entry). An import is all or nothing: one entry that does not
validate is reported with its index and field, and nothing from the file is stored.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import tomli_w
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

MAX_TITLE = 150
MAX_SYMPTOM = 1000
MAX_ANSWER = 3000
"""An answer must fit one Telegram message with its title and buttons (4,096 characters)."""
MAX_KEYWORDS = 20
MAX_APPLICATION = 50
STARTER_FILE = "kb_awal.toml"
"""The starter set, package data of :mod:`bot.data`."""


class Source(StrEnum):
    """Where an entry's knowledge came from. Values are stored: never rename one."""

    CURATED = "kurasi"
    LKPP_GUIDE = "panduan_lkpp"
    LOCAL_SOLUTION = "solusi_lokal"


class Status(StrEnum):
    DRAFT = "draf"
    ACTIVE = "aktif"
    RETIRED = "pensiun"


@dataclass(slots=True)
class Entry:
    """One kind of problem and how it is solved."""

    title: str
    symptom: str
    answer: str
    keywords: list[str] = field(default_factory=list)
    application: str | None = None
    source: Source = Source.CURATED
    ticket_number: str | None = None
    status: Status = Status.ACTIVE
    confirmed_by: str | None = None
    confirmed_at: datetime | None = None
    id: int | None = None


class EntryFile(BaseModel):
    """One ``[[entri]]`` table as the file holds it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    judul: str = Field(min_length=3, max_length=MAX_TITLE)
    gejala: str = Field(min_length=3, max_length=MAX_SYMPTOM)
    jawaban: str = Field(min_length=10, max_length=MAX_ANSWER)
    kata_kunci: list[str] = Field(default_factory=list, max_length=MAX_KEYWORDS)
    aplikasi: str | None = Field(default=None, max_length=MAX_APPLICATION)
    sumber: Literal["kurasi", "panduan_lkpp", "solusi_lokal"] = "kurasi"
    tiket: str | None = None
    status: Literal["draf", "aktif", "pensiun"] = "aktif"
    dikonfirmasi_oleh: str | None = None
    dikonfirmasi_pada: datetime | None = None

    @field_validator("kata_kunci")
    @classmethod
    def _keywords(cls, value: list[str]) -> list[str]:
        cleaned = [k.strip() for k in value]
        if any(not k or len(k) > 60 for k in cleaned):
            raise ValueError("setiap kata kunci 1–60 karakter")
        return cleaned

    @field_validator("aplikasi")
    @classmethod
    def _application(cls, value: str | None) -> str | None:
        return value or None

    @field_validator("dikonfirmasi_pada")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("waktu harus dengan zona, mis. 2026-12-01T09:00:00+07:00")
        return value

    def entry(self) -> Entry:
        return Entry(
            title=self.judul,
            symptom=self.gejala,
            answer=self.jawaban,
            keywords=self.kata_kunci,
            application=self.aplikasi,
            source=Source(self.sumber),
            ticket_number=self.tiket,
            status=Status(self.status),
            confirmed_by=self.dikonfirmasi_oleh,
            confirmed_at=self.dikonfirmasi_pada,
        )


@dataclass(frozen=True, slots=True)
class Problem:
    """Why one entry of a file is refused: its 1-based index, the field and the reason."""

    index: int
    field: str
    reason: str

    def __str__(self) -> str:
        return f"entri ke-{self.index}, kolom {self.field}: {self.reason}"


class EntryFileError(Exception):
    """The file cannot be imported; ``problems`` says where, nothing was stored."""

    def __init__(self, problems: list[Problem], summary: str | None = None) -> None:
        self.problems = problems
        self.summary = summary
        lines = [summary] if summary else []
        lines += [str(p) for p in problems]
        super().__init__("\n".join(lines))


_REASONS = {
    "missing": "wajib diisi",
    "extra_forbidden": "kolom tidak dikenal",
    "string_too_short": "terlalu pendek",
    "string_too_long": "terlalu panjang",
    "too_long": "terlalu banyak isian",
    "string_type": "harus teks",
    "list_type": 'harus daftar teks, mis. ["a", "b"]',
    "literal_error": "nilai tidak dikenal",
}


def problems_of(index: int, exc: ValidationError) -> list[Problem]:
    found = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error["loc"]) or "-"
        reason = _REASONS.get(error["type"], error["msg"])
        if error["type"] == "literal_error":
            reason += f" ({error['ctx'].get('expected', '')})"
        found.append(Problem(index, where, reason))
    return found


def parse_entries(text: str) -> list[Entry]:
    """Every entry of a TOML document, or :class:`EntryFileError` naming each bad field."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise EntryFileError([], f"bukan TOML yang sah: {exc}") from None
    unknown = sorted(set(document) - {"entri"})
    tables = document.get("entri")
    if unknown or not isinstance(tables, list) or not tables:
        raise EntryFileError(
            [], "file harus berisi tabel [[entri]] (dan hanya itu)"
            + (f"; bagian tidak dikenal: {', '.join(unknown)}" if unknown else "")
        )  # fmt: skip
    entries: list[Entry] = []
    problems: list[Problem] = []
    titles: dict[str, int] = {}
    for index, table in enumerate(tables, start=1):
        try:
            entry = EntryFile.model_validate(table).entry()
        except ValidationError as exc:
            problems += problems_of(index, exc)
            continue
        key = entry.title.casefold()
        if key in titles:
            problems.append(Problem(index, "judul", f"sama dengan entri ke-{titles[key]}"))
        titles.setdefault(key, index)
        entries.append(entry)
    if problems:
        raise EntryFileError(problems, f"{len(problems)} masalah; tidak ada entri yang diimpor")
    return entries


def read_entries(path: Path) -> list[Entry]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise EntryFileError([], f"file {path} tidak dapat dibaca: {exc}") from None
    return parse_entries(text)


def starter_entries() -> list[Entry]:
    """The starter set shipped inside the package (found even in a non-editable install)."""
    text = resources.files("bot.data").joinpath(STARTER_FILE).read_text(encoding="utf-8")
    return parse_entries(text)


def _table(entry: Entry) -> dict[str, Any]:
    table: dict[str, Any] = {
        "judul": entry.title,
        "gejala": entry.symptom,
        "jawaban": entry.answer,
        "kata_kunci": list(entry.keywords),
    }
    optional = {
        "aplikasi": entry.application,
        "sumber": entry.source.value,
        "tiket": entry.ticket_number,
        "status": entry.status.value,
        "dikonfirmasi_oleh": entry.confirmed_by,
        "dikonfirmasi_pada": entry.confirmed_at,
    }
    table.update({key: value for key, value in optional.items() if value is not None})
    return table


def dump_entries(entries: list[Entry]) -> str:
    """Entries as the TOML document :func:`parse_entries` reads back."""
    return tomli_w.dumps({"entri": [_table(e) for e in entries]}, multiline_strings=True)
