"""The core's structure, enforced: the engine wrapper imports only SpiffWorkflow and itself, no import cycles
anywhere in processes/, and no import tucked inside a function (the way cycles were dodged before)."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORE = ROOT / "processes"


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _core_modules() -> dict[str, Path]:
    return {_module_name(p): p for p in CORE.rglob("*.py") if "migrations" not in p.parts}


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports_of(module: str, path: Path, modules: dict[str, Path]) -> list[tuple[str, int, bool]]:
    """(imported module, line, at module level?) for every import of a processes module, names resolved to the
    module they live in (`from . import rollup` is processes.rollup)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top = set(map(id, tree.body))
    found = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(module, path.name == "__init__.py", node)
            names = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
        else:
            continue
        for name in names:
            if name.startswith("processes"):
                found.append((name, node.lineno, id(node) in top))
    return found


@pytest.fixture(scope="module")
def graph():
    modules = _core_modules()
    return modules, {m: imports_of(m, p, modules) for m, p in modules.items()}


def test_the_engine_imports_nothing_of_the_domain(graph):
    _, edges = graph
    outside = [(m, target, line) for m, found in edges.items() if m.startswith("processes.engine")
               for target, line, _ in found if not target.startswith("processes.engine")]
    assert outside == [], f"processes/engine/ must import only SpiffWorkflow and itself: {outside}"


def test_no_import_inside_a_function(graph):
    _, edges = graph
    nested = [(m, target, line) for m, found in edges.items() for target, line, top in found if not top]
    assert nested == [], f"imports placed inside functions (cycles dodged?): {nested}"


def test_no_import_cycles(graph):
    modules, edges = graph
    adjacency = {m: sorted({t for t, _, _ in found if t in modules and t != m}) for m, found in edges.items()}
    # a package's submodule importing its package's __init__ is how Python loads it, not a cycle of ours
    for m in adjacency:
        adjacency[m] = [t for t in adjacency[m] if not m.startswith(t + ".")]
    cycles, state, stack = [], {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in adjacency[node]:
            if state.get(nxt) == "open":
                cycles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = "done"

    for module in sorted(adjacency):
        if module not in state:
            visit(module)
    assert cycles == [], "import cycles in processes/: " + "; ".join(" → ".join(c) for c in cycles)


def test_the_walk_finds_a_planted_cycle(tmp_path):
    """The checks above can fail: a cycle and a function-level import written into a scratch package are found."""
    pkg = tmp_path / "processes"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from . import b\n")
    (pkg / "b.py").write_text("def f():\n    from . import a\n")
    modules = {"processes": pkg / "__init__.py", "processes.a": pkg / "a.py", "processes.b": pkg / "b.py"}
    global ROOT
    saved, ROOT = ROOT, tmp_path
    try:
        edges = {m: imports_of(m, p, modules) for m, p in modules.items()}
    finally:
        ROOT = saved
    assert ("processes.b", 1, True) in edges["processes.a"]
    assert ("processes.a", 2, False) in edges["processes.b"]
