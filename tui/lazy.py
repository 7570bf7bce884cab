"""Modules the first frame does not need, imported at their first use.

Opening the database needs SQLAlchemy and SQLModel (about 300 ms of imports), so the
app paints its first frame without them and opens the database right after it
(`OrderDeskApp.open_database`). The modules on that path (the CLI, the app, the
launcher and the two start screens) name the heavy parts of `core` through
`lazy_import`, which is the standard library's `importlib.util.LazyLoader`: the
module object exists at once and is executed at its first attribute access.

Only one thread may touch such a module first (LazyLoader is not thread-safe before
Python 3.12.3): the app's opening worker loads every one of them (`load_pending`) before
the screens may read (tui/app.py), and no other thread touches them before that.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
from types import ModuleType


def lazy_import(name: str) -> ModuleType:
    """The module `name`, executed at its first attribute access. A submodule's package
    is made lazy too, and found without executing it (its `__spec__` is read past the
    lazy module's attribute hook)."""
    if name in sys.modules:
        return sys.modules[name]
    parent_name, _, child = name.rpartition(".")
    parent = lazy_import(parent_name) if parent_name else None
    path = object.__getattribute__(parent, "__spec__").submodule_search_locations if parent else None
    spec = importlib.machinery.PathFinder.find_spec(name, path)
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError(f"No module named {name!r}", name=name)
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    if parent is not None:
        setattr(parent, child, module)
    return module


def load_pending() -> None:
    """Execute every lazy module not executed yet (any attribute access does it)."""
    for module in list(sys.modules.values()):
        if isinstance(module, importlib.util._LazyModule):
            getattr(module, "__name__", None)
