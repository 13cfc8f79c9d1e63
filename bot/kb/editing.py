"""Editing an entry from a staff reply: ``kolom: nilai`` lines, checked like an imported entry.

Staff reply to an entry's message with lines such as::

    judul: Lupa kata sandi akun SPSE
    jawaban: 1. Klik Lupa Password
    2. Buka email …
    kata_kunci: lupa password, reset sandi

A line that starts with a known field name and a colon starts that field; the lines after it
belong to it until the next field. The result must pass the same rules as an imported entry.
"""

from __future__ import annotations

import re
from dataclasses import replace

from pydantic import ValidationError

from bot.domain.kb_entries import Entry, EntryFile, EntryFileError, problems_of

FIELDS = ("judul", "gejala", "jawaban", "kata_kunci", "aplikasi")
_START = re.compile(rf"^\s*({'|'.join(FIELDS)})\s*:\s?(.*)$", re.IGNORECASE)


def parse_edit(text: str) -> dict[str, str]:
    """The fields a reply sets (field → raw text); empty when no line names a field."""
    found: dict[str, list[str]] = {}
    current: str | None = None
    for line in text.splitlines():
        match = _START.match(line)
        if match:
            current = match[1].lower()
            found[current] = [match[2]]
        elif current is not None:
            found[current].append(line)
    return {field: "\n".join(lines).strip() for field, lines in found.items()}


def checked(entry: Entry) -> Entry:
    """``entry`` if it passes the import rules, else :class:`EntryFileError` naming the field."""
    table = {
        "judul": entry.title,
        "gejala": entry.symptom,
        "jawaban": entry.answer,
        "kata_kunci": entry.keywords,
        "aplikasi": entry.application,
    }
    try:
        EntryFile.model_validate(table)
    except ValidationError as exc:
        raise EntryFileError(problems_of(1, exc)) from None
    return entry


def apply_edit(entry: Entry, fields: dict[str, str]) -> Entry:
    """A copy of ``entry`` with the replied fields, validated."""
    changes: dict[str, object] = {}
    if "judul" in fields:
        changes["title"] = fields["judul"]
    if "gejala" in fields:
        changes["symptom"] = fields["gejala"]
    if "jawaban" in fields:
        changes["answer"] = fields["jawaban"]
    if "kata_kunci" in fields:
        changes["keywords"] = [k.strip() for k in fields["kata_kunci"].split(",") if k.strip()]
    if "aplikasi" in fields:
        changes["application"] = fields["aplikasi"] or None
    return checked(replace(entry, **changes))  # type: ignore[arg-type]
