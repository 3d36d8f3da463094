"""No import cycles in the project's own code (issue 12).

Every `import` counts, wherever it stands: at the top of a module, inside a function, or at the bottom of a
module (an import moved into a function still ties the two modules together; it only hides the loop from
Python until the function runs). Imports under `if TYPE_CHECKING:` are left out: they never run.
"""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("articles", "kzarchive")


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST):
    """Every Import/ImportFrom node, skipping `if TYPE_CHECKING:` bodies."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def import_graph(root: Path, packages=PACKAGES) -> dict[str, set[str]]:
    """{module: the project's modules it imports}; migrations are left out (Django loads them by name)."""
    files = {}
    for package in packages:
        for path in (root / package).rglob("*.py"):
            if "migrations" not in path.parts:
                files[module_name(path, root)] = path
    known = set(files)
    package_modules = {m for m, p in files.items() if p.name == "__init__.py"}

    def resolve(name: str) -> str | None:
        """The deepest module of the tree that `name` names (a.b.c -> a.b when c is a name in a.b)."""
        while name and name not in known:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {m: set() for m in files}
    for module, path in files.items():
        here = module if module in package_modules else module.rpartition(".")[0]
        for node in _imports(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = node.module or ""
                if node.level:
                    anchor = here.split(".")
                    anchor = anchor[: len(anchor) - (node.level - 1)]
                    base = ".".join([*anchor, base] if base else anchor)
                targets = [f"{base}.{alias.name}" for alias in node.names]
            for target in targets:
                resolved = resolve(target)
                if resolved and resolved != module:
                    graph[module].add(resolved)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def visit(start: str) -> None:
        nonlocal counter
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return found


def describe(graph: dict[str, set[str]], component: list[str]) -> str:
    members = set(component)
    return "; ".join(f"{m} -> {', '.join(sorted(graph[m] & members))}" for m in component)


def test_the_project_has_no_import_cycle():
    graph = import_graph(REPO)
    assert len(graph) > 50  # the tree was read
    assert "articles.names.models" in graph["articles.models"]  # a bottom-of-module import counts
    found = cycles(graph)
    assert not found, "import cycles: " + " | ".join(describe(graph, c) for c in found)


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_a_cycle_through_imports_inside_functions_and_at_the_bottom_is_found(tmp_path):
    # The shape issue 12 left: models imports names.models at its bottom; names.models imports from models,
    # and from names.mentions inside a method; names.mentions imports indexing.entries inside a function,
    # which imports models inside another.
    _write(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/models.py": "X = 1\nfrom app.names.models import Entity  # noqa\n",
            "app/names/__init__.py": "",
            "app/names/models.py": (
                "from app.models import X\n\nclass Entity:\n    def clean(self):\n"
                "        from app.names.mentions import name_keys\n"
            ),
            "app/names/mentions.py": "def name_keys():\n    from app.indexing.entries import reindex\n",
            "app/indexing/__init__.py": "",
            "app/indexing/entries.py": "def reindex():\n    from app.models import X\n",
            "app/typing_only.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from app import models\n",
            "app/relative.py": "from . import models\nfrom .names import mentions\n",
        },
    )
    graph = import_graph(tmp_path, packages=("app",))
    assert graph["app.typing_only"] == set()
    assert graph["app.relative"] == {"app.models", "app.names.mentions"}
    assert cycles(graph) == [["app.indexing.entries", "app.models", "app.names.mentions", "app.names.models"]]
    # Breaking one link (name_keys moved out of mentions) breaks the loop.
    _write(tmp_path, {"app/names/models.py": "from app.models import X\n"})
    assert cycles(import_graph(tmp_path, packages=("app",))) == [["app.models", "app.names.models"]]
