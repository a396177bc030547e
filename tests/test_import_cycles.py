"""No import cycle inside the package, function-level imports included.

Every ``import`` statement of every module (at any depth: module level, in functions, in
``try`` blocks) is an edge to the package module it names; ``from pkg import name`` goes to
the submodule ``pkg.name`` when there is one, else to ``pkg``. Python's implicit import of
parent packages is not an edge.
"""

from __future__ import annotations

import ast
from pathlib import Path

import hyperspy_symmetry

ROOT = Path(hyperspy_symmetry.__file__).parent
PACKAGE = "hyperspy_symmetry"


def _modules() -> dict[str, Path]:
    out = {}
    for path in ROOT.rglob("*.py"):
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _edges(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    is_package = path.name == "__init__.py"
    package = name if is_package else name.rpartition(".")[0]
    targets = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            for alias in node.names:
                sub = f"{module}.{alias.name}"
                targets.add(sub if sub in modules else module)
    return {t for t in targets if t in modules and t != name}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    cycles, state = [], {}

    def visit(node, stack):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                cycles.append(stack[stack.index(nxt) :] + [nxt])
            elif nxt not in state:
                visit(nxt, stack)
        stack.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [])
    return cycles


def test_the_walk_sees_function_level_imports():
    modules = _modules()
    edges = _edges(
        "hyperspy_symmetry.signals.probabilities",
        modules["hyperspy_symmetry.signals.probabilities"],
        modules,
    )
    assert "hyperspy_symmetry.plotting" in edges  # imported inside plot_class_map
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]


def test_no_import_cycle():
    modules = _modules()
    graph = {name: _edges(name, path, modules) for name, path in modules.items()}
    assert _cycles(graph) == []
