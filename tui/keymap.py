"""The keymap setting: binding id -> keys, checked against the app's bindings.

Every binding of the app, its screens and its widgets has an id ("seller.board.search"),
so a person can move any key in the settings file (core/settings.py):

    [keymap]
    "seller.board.search" = "f"
    "quit" = "ctrl+q,ctrl+c"

Textual applies it (`App.set_keymap`); the footer, `?` and the command palette show the
keys as remapped. Textual silently ignores an id it does not know and a key no terminal
sends, so `problems` names them, for the app to warn about (a notification, never a crash).
"""

from __future__ import annotations

import pkgutil
from collections.abc import Iterator
from importlib import import_module

from textual.binding import Binding
from textual.dom import DOMNode
from textual.keys import Keys, _character_to_key

import tui.screens
import tui.widgets

MODIFIERS = frozenset({"ctrl", "shift", "alt", "meta", "super", "hyper"})
# Key names: Textual's (escape, f5, pageup, ...) and those of printable characters (question_mark).
KEY_NAMES = frozenset({key.value for key in Keys if "+" not in key.value}
                      | {_character_to_key(chr(code)) for code in range(32, 127)}
                      | {"space", "enter", "tab", "escape", "backspace", "delete", "newline"})


def is_key(key: str) -> bool:
    """Whether `key` ("f", "?", "ctrl+s", "question_mark") names a key a terminal can send."""
    key = key.strip()
    if len(key) == 1:
        return key.isprintable()
    *modifiers, name = key.split("+")
    return (set(modifiers) <= MODIFIERS and len(set(modifiers)) == len(modifiers)
            and (len(name) == 1 and name.isprintable() or name in KEY_NAMES))


def classes_with_bindings(app_class: type[DOMNode]) -> Iterator[type[DOMNode]]:
    """The app's class, then every class in tui.screens and tui.widgets that declares
    BINDINGS (their modules are imported: call it off the first frame's path)."""
    yield app_class
    for package in (tui.screens, tui.widgets):
        for info in pkgutil.iter_modules(package.__path__, f"{package.__name__}."):
            module = import_module(info.name)
            for value in vars(module).values():
                if (isinstance(value, type) and issubclass(value, DOMNode) and value.__module__ == module.__name__
                        and "BINDINGS" in vars(value)):
                    yield value


def bindings_of(node_class: type[DOMNode]) -> list[Binding]:
    """The bindings `node_class` declares itself (tuples made Bindings, as Textual does)."""
    return [binding if isinstance(binding, Binding) else Binding(*binding)
            for binding in vars(node_class).get("BINDINGS", [])]


def binding_ids(app_class: type[DOMNode]) -> set[str]:
    """Every binding id in the app."""
    return {binding.id for cls in classes_with_bindings(app_class) for binding in bindings_of(cls) if binding.id}


def problems(keymap: dict[str, str], known_ids: set[str]) -> list[str]:
    """What in `keymap` cannot work: ids no binding has, keys no terminal sends."""
    found = []
    for binding_id, keys in keymap.items():
        if binding_id not in known_ids:
            found.append(f"{binding_id!r} is no binding's id (`?` on a screen shows its keys)")
            continue
        bad = [key for key in keys.split(",") if not is_key(key)]
        if not keys.strip() or bad:
            found.append(f"{binding_id!r} = {keys!r}: {', '.join(map(repr, bad)) or 'no key'} is not a key "
                         "(e.g. f, ctrl+s, f5, question_mark)")
    return found
