"""The tree's shape: dependencies point down (service -> guardrails -> index -> models), runtime packages never
import the workshop (training/), and no import circles between modules. Every import counts, including those
inside functions and under TYPE_CHECKING: a lazy import is still a dependency."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNTIME = ("service", "guardrails", "index", "engines", "models")
LAYER = {"service": 3, "engines": 2, "guardrails": 2, "index": 1, "models": 0}  # may import lower or equal
LIMIT = 300  # lines per runtime module
# Composition roots: `python -m index build` hands the gateway's document rail to the build (index/cli.py says so);
# they may reach across to guardrails/, never up to service/ or into training/.
ENTRY_POINTS = {"index.cli"}


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, modules: set[str]) -> set[str]:
    """Project modules imported anywhere in `path` (`from a import b` counts a.b when that is a module)."""
    found: set[str] = set()
    package = _module(path) if path.name == "__init__.py" else _module(path).rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parent + ([base] if base else []))
            names = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
        else:
            continue
        for name in names:
            while name and name not in modules:
                name = name.rpartition(".")[0]
            if name:
                found.add(name)
    return found


def _graph() -> dict[str, set[str]]:
    files = {_module(p): p for pkg in (*RUNTIME, "training") for p in (ROOT / pkg).rglob("*.py")}
    modules = set(files)
    return {m: _imports(p, modules) - {m} for m, p in files.items()}


def test_runtime_never_imports_upward_or_the_workshop() -> None:
    wrong = []
    for module, deps in _graph().items():
        top = module.split(".")[0]
        if top not in LAYER:
            continue
        for dep in deps:
            other = dep.split(".")[0]
            upward = other in LAYER and (LAYER[other] > LAYER[top] or (other != top and LAYER[other] == LAYER[top]))
            if other in ("training", "service") and top != other or (upward and module not in ENTRY_POINTS):
                wrong.append(f"{module} -> {dep}")
    assert not wrong, "imports against the layering:\n" + "\n".join(sorted(wrong))


def test_no_import_circles() -> None:
    graph = _graph()
    circles: list[list[str]] = []
    state: dict[str, int] = {}  # 1 on the stack, 2 done

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for dep in sorted(graph.get(node, ())):
            if state.get(dep) == 1:
                circles.append(stack[stack.index(dep):] + [dep])
            elif dep not in state:
                visit(dep, [*stack, dep])
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert not circles, "import circles:\n" + "\n".join(" -> ".join(c) for c in circles)


def test_runtime_modules_stay_small() -> None:
    files = [p for pkg in ("service", "guardrails", "index") for p in (ROOT / pkg).rglob("*.py")]
    big = [f"{p.relative_to(ROOT)}: {n}" for p in files if (n := len(p.read_text().splitlines())) > LIMIT]
    assert not big, f"modules over {LIMIT} lines:\n" + "\n".join(big)
