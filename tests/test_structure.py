"""The shape of the house (docs/architecture.md): every module fits on a few screens, and imports run one
way — io → rules → analyses → pipeline → reporting → api/cli — with no circle and no private name taken
from another module.

Every import counts, the ones inside functions too: a lazy import that dodges a circle is still a circle.
Only an import under ``if TYPE_CHECKING:`` (a type named in an annotation, never executed) does not.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "perfkit"
MAX_LINES = 650
# modules another helper of issue 28 is still splitting: exempt by name, each with its reason; remove the
# entry when the split lands (the test then holds the module to MAX_LINES like any other)
EXEMPT = {
}
# modules whose private names another module of the same work takes, while that work is under way
PRIVATE_EXEMPT: dict[str, str] = {
}
# import edges that close a circle in files another helper is editing: exempt by name, with the way out;
# remove the entry when it is gone (test_the_exempt_edges_still_exist says so)
EDGE_EXEMPT: dict[tuple[str, str], str] = {
}
# the floor of each part of the package; a module may import its own floor and the ones below
FLOORS = {"perfkit": 0, "perfkit.io": 1, "perfkit.rules": 2, "perfkit.analyses": 3, "perfkit.pipeline": 4,
          "perfkit.reporting": 5, "perfkit.demo": 5, "perfkit.api": 6, "perfkit.cli": 6, "perfkit.__main__": 6}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def floor(module: str) -> int:
    """The floor of ``module``: that of the longest prefix named in FLOORS."""
    parts = module.split(".")
    for n in range(len(parts), 0, -1):
        if ".".join(parts[:n]) in FLOORS:
            return FLOORS[".".join(parts[:n])]
    raise AssertionError(f"{module} is on no floor: add its part of the package to FLOORS (and docs/architecture.md)")


def executed(tree: ast.AST):
    """Every node of ``tree`` except what lies under ``if TYPE_CHECKING:``."""
    todo = [tree]
    while todo:
        node = todo.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                todo.extend(child.orelse)
                continue
            todo.append(child)


def imports(module: str) -> list[tuple[str, list[str], int]]:
    """(imported perfkit module, names taken from it, line) for every import in ``module``, at any depth."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in executed(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(a.name, [], node.lineno) for a in node.names if a.name.split(".")[0] == "perfkit"]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from . import x / from .y import z
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            if base.split(".")[0] != "perfkit":
                continue
            for alias in node.names:  # from perfkit.io import values: the module perfkit.io.values
                sub = f"{base}.{alias.name}"
                if sub in MODULES:
                    found.append((sub, [], node.lineno))
                else:
                    found.append((base, [alias.name], node.lineno))
    return found


def test_no_module_is_longer_than_a_few_screens() -> None:
    long = {}
    for path in MODULES.values():
        rel = path.relative_to(ROOT).as_posix()
        n = len(path.read_text(encoding="utf-8").splitlines())
        if n > MAX_LINES and rel not in EXEMPT:
            long[rel] = n
    assert not long, f"modules over {MAX_LINES} lines (split them by what they hold): {long}"


def test_the_exemptions_name_files_that_exist_and_are_still_long() -> None:
    """An exemption whose file has been split (or shortened) is removed, so the limit holds it again
    (perfkit/reporting/explorer.py was one: it is now the package perfkit/reporting/explorer/)."""
    stale = [rel for rel in EXEMPT if not (ROOT / rel).is_file()
             or len((ROOT / rel).read_text(encoding="utf-8").splitlines()) <= MAX_LINES]
    assert not stale, f"exempt but no longer over {MAX_LINES} lines — remove from EXEMPT: {stale}"


def test_imports_run_one_way() -> None:
    upward = []
    for module in MODULES:
        for target, _, line in imports(module):
            if floor(target) > floor(module):
                upward.append(f"{module}:{line} imports {target} (floor {floor(module)} → {floor(target)})")
    assert not upward, "imports that run upward:\n" + "\n".join(upward)


def test_the_floors_are_checked_as_the_docs_say() -> None:
    """The checks above would catch the arrows issue 28 found: io → analyses and analyses → reporting
    are upward, an api ↔ analyses pair is a circle."""
    assert floor("perfkit.io.load") < floor("perfkit.analyses.evaluation") < floor("perfkit.pipeline.stages") \
        < floor("perfkit.reporting.feedback") < floor("perfkit.api")
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) is not None
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One circle of ``graph`` (module → modules it imports), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_no_circle() -> None:
    # a module importing its own package (perfkit, for __version__) is not a circle with it
    graph = {m: {t for t, _, _ in imports(m) if t in MODULES and t != m and not m.startswith(t + ".")
                 and (m, t) not in EDGE_EXEMPT} for m in MODULES}
    cycle = find_cycle(graph)
    assert cycle is None, "a circle of imports: " + " → ".join(cycle or [])


def test_no_private_name_crosses_a_module_boundary() -> None:
    crossing = [f"{module}:{line} takes {name} from {target}" for module in MODULES
                for target, names, line in imports(module) for name in names
                if name.startswith("_") and not name.startswith("__")
                and not any(module.startswith(p) and target.startswith(p) for p in PRIVATE_EXEMPT)]
    assert not crossing, "\n".join(crossing)


@pytest.mark.parametrize("source, expected", [
    ("from perfkit.analyses.evaluation import score_projects\n", ["perfkit.analyses.evaluation"]),
    ("def f():\n    from perfkit.reporting import feedback\n", ["perfkit.reporting.feedback"]),
    ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from perfkit.analyses import review\n", []),
])
def test_an_upward_import_is_found_at_any_depth(tmp_path, monkeypatch, source: str, expected: list[str]) -> None:
    """The checks can fail: an io module importing an analysis, even inside a function, is reported (a
    type named only for annotations is not an import that runs)."""
    fake = tmp_path / "perfkit" / "io" / "fake.py"
    fake.parent.mkdir(parents=True)
    fake.write_text(source, encoding="utf-8")
    monkeypatch.setitem(MODULES, "perfkit.io.fake", fake)
    assert [t for t, _, _ in imports("perfkit.io.fake")] == expected
    assert all(floor(e) > floor("perfkit.io.fake") for e in expected)


def test_the_exempt_edges_still_exist() -> None:
    edges = {(m, t) for m in MODULES for t, _, _ in imports(m)}
    gone = [e for e in EDGE_EXEMPT if e not in edges]
    assert not gone, f"no longer imported — remove from EDGE_EXEMPT: {gone}"
