"""Numbered schema migrations, discovered from the ``mNNN_*.py`` modules of this package.

Each module defines ``STATEMENTS``: a list of single SQL statements run in order inside one
transaction (never ``executescript``, which would commit on its own). The module number is the
schema version recorded in ``PRAGMA user_version``; numbers are unique and applied in order.
Never edit a migration that has shipped: add the next number. Reserved: 2 Telegram, 3 mail,
4 deadlines.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    statements: tuple[str, ...]


def _discover() -> tuple[Migration, ...]:
    found = []
    for info in pkgutil.iter_modules(__path__):
        match = re.fullmatch(r"m(\d{3})_(\w+)", info.name)
        if match is None:
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        found.append(Migration(int(match[1]), match[2], tuple(module.STATEMENTS)))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"two migrations share a number: {versions}")
    return tuple(found)


MIGRATIONS: tuple[Migration, ...] = _discover()
LATEST = MIGRATIONS[-1].version if MIGRATIONS else 0
