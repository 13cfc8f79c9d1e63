"""The SOP's "Tabel Prioritas Penyelesaian Permasalahan SPSE", loaded from an editable file."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator


class PriorityTableError(ValueError):
    """The priority file cannot be used; the message says where and why, for start-up."""


@dataclass(frozen=True, slots=True)
class PriorityLevel:
    key: str
    name: str
    description: str
    target_working_days: int


class _Level(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1)
    description: str = Field(min_length=1)
    target_working_days: int = Field(ge=1, le=60)


class _Cell(BaseModel):
    model_config = ConfigDict(extra="forbid")
    urgency: str
    impact: str
    level: str


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")
    default: str
    urgencies: list[str] = Field(min_length=1)
    impacts: list[str] = Field(min_length=1)
    levels: dict[str, _Level] = Field(min_length=1)
    matrix: list[_Cell]

    @model_validator(mode="after")
    def _complete(self) -> _File:
        if self.default not in self.levels:
            raise ValueError(f"default {self.default!r} is not a level")
        seen: set[tuple[str, str]] = set()
        for cell in self.matrix:
            pair = (cell.urgency, cell.impact)
            if cell.urgency not in self.urgencies or cell.impact not in self.impacts:
                raise ValueError(f"matrix cell {pair} uses an unknown urgency or impact")
            if cell.level not in self.levels:
                raise ValueError(f"matrix cell {pair} names unknown level {cell.level!r}")
            if pair in seen:
                raise ValueError(f"matrix cell {pair} appears twice")
            seen.add(pair)
        missing = {(u, i) for u in self.urgencies for i in self.impacts} - seen
        if missing:
            raise ValueError(f"matrix misses {sorted(missing)}")
        return self


class PriorityTable:
    """Levels by key, and the urgency × impact matrix that picks one."""

    def __init__(self, data: _File) -> None:
        self.default = data.default
        self.urgencies = tuple(data.urgencies)
        self.impacts = tuple(data.impacts)
        self.levels = MappingProxyType(
            {
                key.lower(): PriorityLevel(
                    key.lower(), lvl.name, lvl.description, lvl.target_working_days
                )
                for key, lvl in data.levels.items()
            }
        )
        self._matrix = {(c.urgency, c.impact): c.level.lower() for c in data.matrix}

    def level(self, key: str) -> PriorityLevel:
        """The level for a key typed by staff, case-insensitively; KeyError if unknown."""
        return self.levels[key.strip().lower()]

    def classify(self, urgency: str, impact: str) -> PriorityLevel:
        """The level the matrix gives for an urgency and an impact."""
        return self.levels[self._matrix[(urgency, impact)]]

    @classmethod
    def from_mapping(cls, raw: dict[str, Any], source: str = "<data>") -> PriorityTable:
        try:
            return cls(_File.model_validate(raw))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "(root)"
            raise PriorityTableError(f"{source}: {where}: {first['msg']}") from None

    @classmethod
    def load(cls, path: Path | None = None) -> PriorityTable:
        """Load ``path``, or the shipped default table when ``path`` is ``None``."""
        if path is None:
            text = resources.files("bot.data").joinpath("prioritas.toml").read_text("utf-8")
            source = "prioritas.toml (bawaan)"
        else:
            try:
                text = path.read_text("utf-8")
            except OSError as exc:
                raise PriorityTableError(f"{path}: {exc.strerror}") from None
            source = str(path)
        try:
            raw = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise PriorityTableError(f"{source}: {exc}") from None
        return cls.from_mapping(raw, source)
