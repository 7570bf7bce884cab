"""Modules a caller does not need yet, imported at their first use.

Opening the database needs SQLAlchemy and SQLModel (about 300 ms of imports), so the
app paints its first frame without them and opens the database right after it
(`OrderDeskApp.open_database`). The modules on that path (the CLI, the app, the
launcher and the two start screens, and the parts of `core` they use, e.g. core.clock)
name the heavy parts of `core` through `lazy_import`, which is the standard library's
`importlib.util.LazyLoader`: the module object exists at once and is executed at its
first attribute access. It lives in `core` so that core's own light modules can use it
(core never imports the UI); `tui.lazy` is the same function.

Any thread may touch such a module first (the app's database work runs in threads:
tui/work.py). Python 3.11's LazyLoader is not safe for that: the first access marks the
module loaded before executing it, so a second thread meanwhile finds a module half
executed (`AttributeError: module 'core.settings' has no attribute 'load'`). `_LazyModule`
here is the standard one as Python 3.12.3 fixed it: the module is executed under a lock
and stays lazy, other threads waiting, until it has been executed whole.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
import threading
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
    spec.loader_state.update(lock=threading.RLock(), loading=False)
    module.__class__ = _LazyModule
    if parent is not None:
        setattr(parent, child, module)
    return module


class _LazyModule(ModuleType):
    """A module executed at its first attribute access, by one thread, the others waiting."""

    def __getattribute__(self, attr):
        spec = object.__getattribute__(self, "__spec__")
        state = spec.loader_state
        with state["lock"]:
            if object.__getattribute__(self, "__class__") is _LazyModule:
                if state["loading"]:  # this very thread, executing the module: what it has so far
                    return ModuleType.__getattribute__(self, attr)
                state["loading"] = True
                namespace = object.__getattribute__(self, "__dict__")
                then = state["__dict__"]
                changed = {key: value for key, value in namespace.items()
                           if key not in then or then[key] is not value}  # set on the lazy module
                spec.loader.exec_module(self)
                if sys.modules.get(spec.name, self) is not self:
                    raise ValueError(f"module object for {spec.name!r} substituted in sys.modules during a lazy load")
                namespace.update(changed)
                self.__class__ = ModuleType
        return getattr(self, attr)
