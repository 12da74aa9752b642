"""The app imports only what a plain install of it brings: its runtime dependencies."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _named(requirement: str) -> str:
    """The distribution a requirement ('requests>=2.31; ...') names, normalised."""
    name = re.split(r"[<>=!~ \[;(]", requirement, maxsplit=1)[0]
    return re.sub(r"[-_.]+", "-", name).lower()


def _installed_with(names: set[str]) -> set[str]:
    """The distributions a plain install of ``names`` brings: they and what they require,
    extras left out."""
    found: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name in found:
            continue
        found.add(name)
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        todo += [_named(r) for r in requires if not re.search(r"extra\s*==", r)]
    return found


def _run_time_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node of a module but those under ``if TYPE_CHECKING:``."""
    nodes = []
    todo = [tree]
    while todo:
        node = todo.pop()
        nodes.append(node)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            todo.extend(node.orelse)
        else:
            todo.extend(ast.iter_child_nodes(node))
    return nodes


def _imported_modules() -> dict[str, set[str]]:
    """Top-level module -> the files of desktop_app that import it (absolute imports)."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / "desktop_app").rglob("*.py")):
        for node in _run_time_nodes(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                found.setdefault(name.split(".")[0], set()).add(str(path.relative_to(ROOT)))
    return found


def test_every_imported_library_is_a_runtime_dependency() -> None:
    """A library only the tests install (upstream python-calamine, pandas) is never
    imported by the app: a plain install would fail on it."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    runtime = _installed_with({_named(d) for d in project["dependencies"]})
    providers = metadata.packages_distributions()
    missing = {}
    for module, files in _imported_modules().items():
        if module in sys.stdlib_module_names or module in ("desktop_app", "__future__"):
            continue
        if not {_named(d) for d in providers.get(module, [module])} & runtime:
            missing[module] = sorted(files)
    assert missing == {}, f"imported, but not among the runtime dependencies: {missing}"
