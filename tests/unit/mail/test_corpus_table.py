"""The corpus table (``tests/fixtures/eml/make_corpus.py``) writes exactly the committed files.

The ``.eml`` fixtures are committed so that a test never depends on the generator; this test
keeps the two from drifting apart: edit a row, run the generator, commit both.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

CORPUS = Path(__file__).resolve().parents[2] / "fixtures" / "eml"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_corpus", CORPUS / "make_corpus.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


GENERATED: dict[str, bytes] = _generator().corpus()


def test_the_table_names_every_committed_file_and_no_other() -> None:
    committed = {p.name for p in CORPUS.iterdir() if p.suffix in {".eml", ".json"}}
    assert set(GENERATED) == committed


@pytest.mark.parametrize("name", sorted(GENERATED))
def test_each_file_is_generated_byte_for_byte(name: str) -> None:
    assert GENERATED[name] == (CORPUS / name).read_bytes(), f"run make_corpus.py ({name})"
