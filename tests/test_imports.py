"""How the modules import each other (issue 14), beside pyproject's import-linter contracts:
no import cycle among tui/'s modules, and no import inside a function in tui/ or core/ (the
usual way to dodge a cycle) except of an optional heavy library, each with its reason.

Both read the source with `ast`: an import inside a function, or one hidden in a string
(`lazy_import("tui.x")`), counts as much as one at the top. An import under
`if TYPE_CHECKING:` runs only for the type checker and counts for neither.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path


ROOT = Path(__file__).resolve().parents[1]

# Libraries a function may import, and why: each costs time on a path that mostly does not
# need it (the first frame, a command that never uses it), or is not there on every machine.
HEAVY_OPTIONAL = {
    "tomlkit": "only when the app remembers a setting (core/config_file.py); 24 ms the first frame must not pay",
    "platformdirs": "only when no path was given (core/paths.py, core/logs.py); not on the first frame",
    "psycopg": "PostgreSQL only (core/watch.py's LISTEN connection); SQLite stations never load it",
    "openpyxl": "only for spreadsheet import/export; 150 ms of imports every other command skips",
    "asyncssh": "only for `serve ssh`; a heavy library the other commands never use",
    "textual_serve": "only for `serve web`",
    "aiohttp": "only for `serve web` (textual-serve's web server)",
    "argon2": "only for `serve` password hashing",
    "cairosvg": "only where a snapshot is turned into a picture",
    "pytest_textual_snapshot": "a test dependency: the walkthroughs' pytest plugin records in its report when it is there",
    "alembic": "only when a database must be made or upgraded (core/db.py): every other open skips it",
}


def modules(package: str) -> dict[str, Path]:
    """Every module of a package: dotted name -> file."""
    found = {}
    for file in sorted((ROOT / package).rglob("*.py")):
        parts = list(file.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = file
    return found


def is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
           (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports(file: Path, module: str):
    """(imported name, line, inside a function) for every import the module runs, with
    `from a import b` giving "a.b" (b may be a submodule) and lazy_import("x") giving "x"."""
    package = module if file.name == "__init__.py" else module.rpartition(".")[0]

    def visit(node: ast.AST, in_function: bool):
        if isinstance(node, ast.If) and is_type_checking(node):
            for child in node.orelse:
                yield from visit(child, in_function)
            return
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno, in_function
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[:len(package.split(".")) - node.level + 1] + ([base] if base else []))
            for alias in node.names:
                yield f"{base}.{alias.name}", node.lineno, in_function
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "lazy_import"
              and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            yield node.args[0].value, node.lineno, in_function
        inside = in_function or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
        for child in ast.iter_child_nodes(node):
            yield from visit(child, inside)

    yield from visit(ast.parse(file.read_text(encoding="utf-8"), str(file)), False)


def resolve(name: str, known: set[str]) -> str | None:
    """The module of ours that importing `name` runs: `tui.work` for "tui.work" and for "tui.work.read"."""
    while name:
        if name in known:
            return name
        name = name.rpartition(".")[0]
    return None


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, found, counter = {}, {}, [], set(), [], [0]

    def connect(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
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

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10_000))
    try:
        for node in sorted(graph):
            if node not in index:
                connect(node)
    finally:
        sys.setrecursionlimit(limit)
    return found


def tui_graph() -> dict[str, set[str]]:
    ours = modules("tui")
    known = set(ours)
    graph = {name: set() for name in ours}
    for name, file in ours.items():
        for imported, _, _ in imports(file, name):
            target = resolve(imported, known)
            if target is not None and target != name:
                graph[name].add(target)
    return graph


def function_imports(package: str) -> list[tuple[str, int, str]]:
    """(module, line, imported) for every import inside a function in `package` that the
    allow-list does not allow."""
    return [(name, line, imported) for name, file in modules(package).items()
            for imported, line, in_function in imports(file, name)
            if in_function and imported.split(".")[0] not in HEAVY_OPTIONAL]


# -- the checks work (they are what the real checks rely on) -----------------------------------
def test_a_cycle_is_found_through_a_function_level_import_and_a_lazy_import(tmp_path):
    code = {"a": "import b\n", "b": "def f():\n    from c import x\n", "c": "lazy_import('a')\n",
            "d": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import a\n", "e": "import d\n"}
    graph = {}
    for name, source in code.items():
        file = tmp_path / f"{name}.py"
        file.write_text(source)
        graph[name] = {resolve(i, set(code)) for i, _, _ in imports(file, name)} - {None}
    assert cycles(graph) == [["a", "b", "c"]]  # d's import of a is for the type checker only
    assert [(i, f) for i, _, f in imports(tmp_path / "b.py", "b")] == [("c.x", True)]


def test_relative_imports_resolve_to_our_modules(tmp_path):
    file = tmp_path / "m.py"
    file.write_text("from . import work\nfrom .screens import help\n")
    assert [i for i, _, _ in imports(file, "tui.m")] == ["tui.work", "tui.screens.help"]


# -- the rules -------------------------------------------------------------------------------
def test_no_import_cycle_among_tuis_modules():
    """Flows choose the next screen, so screens never import each other."""
    assert cycles(tui_graph()) == []


def test_no_import_inside_a_function_except_optional_heavy_libraries():
    """A module that must stay off a path (the first frame, a command that never uses it)
    names it with `lazy_import` at its top."""
    found = function_imports("tui") + function_imports("core")
    assert [f"{module}:{line} imports {imported}" for module, line, imported in found] == []
