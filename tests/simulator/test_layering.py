"""The simulator's modules import one way: no cycle, and no import hidden inside a function."""

from __future__ import annotations

import ast
from pathlib import Path

import natmigrate.simulator

PACKAGE = Path(natmigrate.simulator.__file__).parent


def _imports(tree: ast.AST) -> list[tuple[str, bool]]:
    """(module imported, whether at module level) for every import of the package's modules."""
    top = {id(n) for n in getattr(tree, "body", [])}
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [f"{node.module}.{a.name}" for a in node.names] + [node.module]
            for name in names:
                if (
                    name.startswith("natmigrate.simulator.")
                    and (PACKAGE / f"{name.rsplit('.', 1)[1]}.py").exists()
                ):
                    out.append((name.rsplit(".", 1)[1], id(node) in top))
                    break
    return out


def test_no_function_level_imports_and_no_cycle() -> None:
    graph: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.glob("*.py")):
        if path.stem == "__init__":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found = _imports(tree)
        hidden = [name for name, at_top in found if not at_top]
        assert not hidden, f"{path.name} imports {hidden} inside a function or TYPE_CHECKING block"
        graph[path.stem] = {name for name, _ in found if name != path.stem}

    done: set[str] = set()

    def visit(module: str, stack: tuple[str, ...]) -> None:
        assert module not in stack, "import cycle: " + " -> ".join((*stack, module))
        if module in done:
            return
        for dep in graph.get(module, ()):
            visit(dep, (*stack, module))
        done.add(module)

    for module in graph:
        visit(module, ())
