"""Imports in ``bot/`` point down the layers and never run in a circle.

The layers, lowest first::

    domain ← storage ← workflow ← shared ← adapters ← entry points

A module may import its own layer and the layers below it, never one above: the SOP in
``bot.domain`` knows nothing of SQL, the stores know nothing of the workflow, and the workflow
knows nothing of Telegram, email, settings or texts. Within a layer (the adapters import each
other: the staff buttons preview the escalation with ``bot.mail.compose``, the mail bridge's
staff view uses ``bot.guards``), the imports must not form a cycle, neither between modules nor
between packages, so each part can be read, tested and changed from the bottom up.

Every import counts: at module level, inside a function (an import "placed late to avoid a
cycle" hides the cycle, it does not remove it), and under ``if TYPE_CHECKING:`` (a type that
has to be imported from above says the code depends on what is above; mypy resolves those
imports as real ones, so such a cycle is also where its errors become hard to read). The one
exception, with its reason, is :data:`TYPE_ONLY_EXEMPT`.

The walk reads the source with :mod:`ast`, so nothing is imported and the test is quick.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import bot

ROOT = Path(bot.__file__).resolve().parent

#: Each layer and the modules it holds, lowest first. A name covers the module or package and
#: everything under it (``bot`` itself only its ``__init__``); the longest name that matches a
#: module places it, and a new module placed nowhere fails :func:`test_every_module_has_a_layer`.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    # The SOP, tickets, time standards, the working calendar, the knowledge base's entries and
    # the wall clock: plain Python, no I/O but reading the packaged data files.
    ("domain", ("bot.domain", "bot.workdays", "bot.clock", "bot.data")),
    # SQL: the database, its migrations and one store per kind of row.
    ("storage", ("bot.storage",)),
    # Applying the SOP to stored tickets in one transaction.
    ("workflow", ("bot.workflow",)),
    # What every adapter is given: settings, texts, callback data, the services container.
    ("shared", ("bot.config", "bot.text", "bot.callbacks", "bot.services", "bot.logging_setup")),
    # Telegram, email, the deadline jobs, the dashboard, the knowledge base's use, health checks.
    (
        "adapters",
        (
            "bot.handlers",
            "bot.conversations",
            "bot.notify",
            "bot.outbox",
            "bot.update_processor",
            "bot.mail",
            "bot.deadlines",
            "bot.kb",
            "bot.web",
            "bot.health",
            "bot.guards",
            "bot.stale_buttons",
        ),
    ),
    # What starts the bot and wires the parts together.
    ("entry points", ("bot", "bot.app", "bot.cli", "bot.__main__")),
)

TYPE_CHECKING_TESTS = frozenset({"TYPE_CHECKING", "typing.TYPE_CHECKING"})
#: Modules whose ``if TYPE_CHECKING:`` imports are not counted, and why. Keep this short: every
#: other module's type-only imports count like any other.
TYPE_ONLY_EXEMPT: Mapping[str, str] = {
    # The services container names each component's class in its typed fields, and every
    # component takes the container: only a Protocol per component would remove that two-way
    # link. These imports are for the type checker alone and never run.
    "bot.services": "typed fields of the components it holds",
}


@dataclass(frozen=True, slots=True)
class Import:
    """One import of a ``bot`` module by another, where it is written."""

    source: str
    target: str
    path: Path
    line: int

    def where(self) -> str:
        return f"{self.path.relative_to(ROOT.parent)}:{self.line}"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in sorted(ROOT.rglob("*.py"))}


def _imported_names(node: ast.Import | ast.ImportFrom, package: str) -> Iterator[str]:
    """The dotted names an import statement may load (``from a import b``: ``a.b`` and ``a``)."""
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
        return
    if node.level:
        base = package.split(".")[: len(package.split(".")) - node.level + 1]
        module = ".".join([*base, node.module] if node.module else base)
    else:
        module = node.module or ""
    for alias in node.names:
        yield f"{module}.{alias.name}"


def _type_checking_lines(tree: ast.Module) -> set[int]:
    """Line numbers of the imports under ``if TYPE_CHECKING:`` (or ``typing.TYPE_CHECKING``)."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) in TYPE_CHECKING_TESTS:
            for inner in node.body:
                lines |= {
                    n.lineno for n in ast.walk(inner) if isinstance(n, ast.Import | ast.ImportFrom)
                }
    return lines


def _imports(modules: Mapping[str, Path]) -> list[Import]:
    """Every import of one ``bot`` module by another: module level, late and TYPE_CHECKING.

    The type-only imports of :data:`TYPE_ONLY_EXEMPT` are left out.
    """
    found: list[Import] = []
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        type_only = _type_checking_lines(tree) if name in TYPE_ONLY_EXEMPT else set()
        for node in ast.walk(tree):
            if not isinstance(node, ast.Import | ast.ImportFrom) or node.lineno in type_only:
                continue
            for dotted in _imported_names(node, package):
                target = dotted
                while target and target not in modules:  # ``a.b`` a name in ``a``: the module
                    target = target.rpartition(".")[0]
                if target and target != name:
                    found.append(Import(name, target, path, node.lineno))
    return list(dict.fromkeys(found))


def _layer_of(module: str) -> int | None:
    best: tuple[int, int] | None = None  # (length of the matching name, layer index)
    for index, (_, names) in enumerate(LAYERS):
        for prefix in names:
            covers = module == prefix or (prefix != "bot" and module.startswith(prefix + "."))
            if covers and (best is None or len(prefix) > best[0]):
                best = (len(prefix), index)
    return None if best is None else best[1]


def _find_cycles(edges: Mapping[str, Mapping[str, Import]]) -> list[list[Import]]:
    """Cycles through every node of each strongly connected group (Tarjan), as imports.

    Each node's shortest way back to itself is one cycle; the same cycle found from two of its
    nodes is given once, so each distinct cycle to be broken is shown.
    """
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, {})):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group: set[str] = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(group)

    for node in sorted(edges):
        if node not in index:
            visit(node)
    cycles: dict[frozenset[Import], list[Import]] = {}
    for group in groups:
        for start in sorted(group):
            cycle = _cycle_in(start, group, edges)
            cycles.setdefault(frozenset(cycle), cycle)
    return list(cycles.values())


def _cycle_in(
    start: str, group: set[str], edges: Mapping[str, Mapping[str, Import]]
) -> list[Import]:
    """The shortest way from ``start`` back to itself, inside its group."""
    paths: dict[str, list[Import]] = {start: []}
    frontier = [start]
    while frontier:
        following: list[str] = []
        for node in frontier:
            for nxt, imp in sorted(edges.get(node, {}).items()):
                if nxt not in group:
                    continue
                if nxt == start:
                    return [*paths[node], imp]
                if nxt not in paths:
                    paths[nxt] = [*paths[node], imp]
                    following.append(nxt)
        frontier = following
    raise AssertionError(f"no cycle in {group}")  # pragma: no cover - Tarjan found one


def _chain(cycle: list[Import], node: Callable[[str], str] = str) -> str:
    """``a → b → a`` and, below it, the import behind each arrow."""
    names = [node(cycle[0].source), *(node(imp.target) for imp in cycle)]
    lines = [f"    {imp.source} imports {imp.target} ({imp.where()})" for imp in cycle]
    return " → ".join(names) + "\n" + "\n".join(lines)


def _component(module: str, package: str) -> str:
    """The child of ``package`` that ``module`` is or lies in."""
    rest = module[len(package) + 1 :].split(".")
    return f"{package}.{rest[0]}"


def _packages(modules: Mapping[str, Path]) -> list[str]:
    return sorted(name for name, path in modules.items() if path.name == "__init__.py")


MODULES = _modules()
IMPORTS = _imports(MODULES)


def test_the_walk_sees_the_imports_it_must_judge() -> None:
    """The walk resolves the forms of import the code uses (a guard against a silent pass)."""
    pairs = {(imp.source, imp.target) for imp in IMPORTS}
    assert ("bot.workflow", "bot.domain.sop") in pairs  # from bot.domain.sop import …
    assert ("bot.cli", "bot.app") in pairs  # imported inside a function
    assert ("bot.handlers.user", "bot.conversations.report") in pairs  # from package import mod
    assert ("bot.outbox.queue", "bot.services") in pairs  # under if TYPE_CHECKING:
    assert len(MODULES) > 100
    assert len(IMPORTS) > 400


def test_every_module_has_a_layer() -> None:
    unplaced = sorted(name for name in MODULES if _layer_of(name) is None)
    assert not unplaced, f"place these modules in a layer of LAYERS: {unplaced}"


def test_imports_point_down_the_layers() -> None:
    upward = []
    for imp in IMPORTS:
        source, target = _layer_of(imp.source), _layer_of(imp.target)
        if source is not None and target is not None and target > source:
            upward.append(
                f"{imp.source} ({LAYERS[source][0]}) imports {imp.target} "
                f"({LAYERS[target][0]}) at {imp.where()}"
            )
    assert not upward, "imports that point up a layer:\n" + "\n".join(upward)


def test_no_import_cycle_between_modules() -> None:
    edges: dict[str, dict[str, Import]] = {}
    for imp in IMPORTS:
        edges.setdefault(imp.source, {}).setdefault(imp.target, imp)
    cycles = _find_cycles(edges)
    assert not cycles, "import cycles between modules:\n" + "\n".join(
        _chain(cycle) for cycle in cycles
    )


def test_no_import_cycle_between_packages() -> None:
    """Within each package, its sub-packages and modules import each other in one direction.

    ``bot.handlers`` → ``bot.conversations`` and back is a cycle even when no single module of
    one imports a module of the other that imports it back.
    """
    found = []
    for package in _packages(MODULES):

        def node(module: str, package: str = package) -> str:
            return _component(module, package)

        edges: dict[str, dict[str, Import]] = {}
        for imp in IMPORTS:
            if imp.source.startswith(package + ".") and imp.target.startswith(package + "."):
                source, target = node(imp.source), node(imp.target)
                if source != target:
                    edges.setdefault(source, {}).setdefault(target, imp)
        for cycle in _find_cycles(edges):
            # A cycle of plain modules is the module test's to report.
            if any(MODULES[node(imp.source)].name == "__init__.py" for imp in cycle):
                found.append(_chain(cycle, node))
    assert not found, "import cycles between packages:\n" + "\n".join(found)


def test_a_planted_cycle_is_found_and_printed_as_its_chain() -> None:
    """The cycle finder on a made-up graph: every distinct cycle, each with its imports."""
    path = ROOT / "x.py"

    def imp(source: str, target: str, line: int) -> Import:
        return Import(source, target, path, line)

    edges = {
        "bot.a": {"bot.b": imp("bot.a", "bot.b", 1)},
        "bot.b": {"bot.c": imp("bot.b", "bot.c", 2), "bot.a": imp("bot.b", "bot.a", 3)},
        "bot.c": {"bot.a": imp("bot.c", "bot.a", 4)},
        "bot.d": {"bot.a": imp("bot.d", "bot.a", 5)},  # into the cycle, not part of it
    }
    chains = sorted(_chain(cycle) for cycle in _find_cycles(edges))
    assert chains == [
        "bot.a → bot.b → bot.a\n    bot.a imports bot.b (bot/x.py:1)\n"
        "    bot.b imports bot.a (bot/x.py:3)",
        "bot.c → bot.a → bot.b → bot.c\n    bot.c imports bot.a (bot/x.py:4)\n"
        "    bot.a imports bot.b (bot/x.py:1)\n    bot.b imports bot.c (bot/x.py:2)",
    ]
    assert _find_cycles({"bot.a": {"bot.b": imp("bot.a", "bot.b", 1)}}) == []


def test_layers_place_a_module_by_its_longest_name() -> None:
    names = [name for name, _ in LAYERS]
    assert names[_layer_of("bot.domain.sop") or 0] == "domain"
    assert names[_layer_of("bot.storage.migrations.m001_core") or 0] == "storage"
    assert names[_layer_of("bot.mail.staff_view") or 0] == "adapters"
    assert names[_layer_of("bot") or 0] == "entry points"
    assert _layer_of("bot.somewhere_new") is None  # bot itself covers only its __init__
