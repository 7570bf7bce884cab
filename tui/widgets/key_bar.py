"""The key bar: the keys that matter on this screen, as many as the width holds, and `?`.

Every screen's bottom line is a KeyBar (Textual's Footer, choosing what it shows). Textual's
Footer lays every shown binding out in a row and lets the row run off the right edge, where
it was cut mid-word ("? Hel") and the command palette's key, docked right, drew over it
("^ppa l ette u"). The key bar instead picks, in priority order, the keys whose whole label
fits, and always ends with the Help key at the right edge: `?` lists every key of the screen
(tui/screens/help.py), so what did not fit is one key away.

Priority (decisions where the issue is silent):
1. the screen's own bindings, in the order its BINDINGS declare them (a screen puts its
   main actions first);
2. then those of the focused widget and its containers (a quantity picker's +1 and −1);
3. then the app's (Quit), then the command palette's key;
4. the Help key is not in the race: it is always shown, last, ending at the right edge.
A binding shows when it has a description and `show=True`, greyed when its action is not
available yet (check_action answering None), as in the Footer. Several keys for one action
show as the first (Enter or Ctrl+S: Submit shows one). A key is shown whole or not at all;
when the width changes, the bar chooses again. Help is not shown where `?` would not open
it (a focused text box takes the key as a character).
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.cells import cell_len
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.dom import DOMNode
from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

HELP_ACTION = "help"
PALETTE_ACTION = "command_palette"
GAP = 1  # columns between two keys (the compact footer's margin)


SCREEN, WIDGETS, APP, GENERIC = range(4)  # where a binding comes from, in priority order


@dataclass
class ScreenKey:
    """One action bound on a screen, with every key that does it."""

    node: DOMNode  # whose binding: the screen, a widget on it, the app
    binding: Binding  # the first of its bindings (keymap applied)
    keys: list[str]
    enabled: bool
    place: int  # SCREEN, WIDGETS, APP or GENERIC

    @property
    def description(self) -> str:
        return self.binding.description

    @property
    def width(self) -> int:
        """Columns the key bar takes to show it (its first key and description), the gap
        after it not counted."""
        return cell_len(self.display) + 1 + cell_len(self.binding.description)

    @property
    def display(self) -> str:
        return self.node.app.get_key_display(self.binding)


def place_of(node: DOMNode, binding: Binding, screen: Screen) -> int:
    """Where a binding comes from. Every binding of ours has an id (the keymap's); Textual's
    own (scrolling, moving focus, copying) have none: they are the generic keys."""
    if binding.id is None:
        return GENERIC
    if node is screen.app:
        return APP
    return SCREEN if node is screen else WIDGETS


def declared(node: DOMNode) -> dict[str, tuple[int, int]]:
    """The order `node`'s class declares its actions in: a base class's first, each in its
    BINDINGS' order, an action a subclass declares again where the subclass puts it. (A
    keymap entry moves a binding to the end of the node's map: the declared order stays
    what counts.)"""
    order: dict[str, tuple[int, int]] = {}
    for level, cls in enumerate(reversed(type(node).__mro__)):
        for index, binding in enumerate(vars(cls).get("BINDINGS", ())):
            action = binding.action if isinstance(binding, Binding) else binding[1]
            order.pop(action, None)
            order[action] = (level, index)
    return order


def screen_keys(screen: Screen) -> list[ScreenKey]:
    """Every action with a description bound on `screen` (one per node and action), in
    priority order: the screen's own, our widgets' on it (the focused one's chain), the
    app's, then Textual's generic ones; each node's in the order its class declares them."""
    found: dict[tuple[int, str], ScreenKey] = {}
    for key, (node, binding, enabled, _tooltip) in screen.active_bindings.items():
        if not binding.description:
            continue
        entry = found.get((id(node), binding.action))
        if entry is None:
            found[id(node), binding.action] = ScreenKey(node, binding, [key], enabled,
                                                        place_of(node, binding, screen))
        elif key not in entry.keys:
            entry.keys.append(key)
    chain = {id(entry.node): n for n, entry in reversed(list(enumerate(found.values())))}  # focused first
    orders: dict[int, dict[str, tuple[int, int]]] = {}

    def rank(entry: ScreenKey) -> tuple[int, int, tuple[int, int]]:
        order = orders.setdefault(id(entry.node), declared(entry.node))
        return entry.place, chain[id(entry.node)], order.get(entry.binding.action, (len(order), 0))

    return sorted(found.values(), key=rank)


def fitting(keys: list[ScreenKey], width: int) -> list[ScreenKey]:
    """The keys to show in `width` columns: the first ones, in priority order, that fit
    whole (a less important key never takes the place of a more important one)."""
    shown, used = [], 0
    for key in keys:
        used += key.width + GAP
        if used > width:
            break
        shown.append(key)
    return shown


class KeyBar(Footer):
    """The screen's keys in the width there is, always ending with `? Help`."""

    DEFAULT_CSS = """
    KeyBar.-compact FooterKey.-help { dock: right; margin-right: 0; }
    """

    def __init__(self) -> None:
        super().__init__(compact=True, show_command_palette=False)
        self.chosen_for = -1  # the width the shown keys were chosen for

    def keys(self) -> tuple[list[ScreenKey], ScreenKey | None]:
        """The keys the bar may show, in priority order (see the module), and the Help key
        (None where `?` would not reach it)."""
        keys, palette, help_key, actions = [], [], None, set()
        for entry in screen_keys(self.screen):
            action = entry.binding.action
            if action in actions:  # bound on two nodes: the first one's
                continue
            actions.add(action)
            if action == HELP_ACTION:
                help_key = entry
            elif action == PALETTE_ACTION:
                palette.append(entry)
            elif entry.place != GENERIC and entry.binding.show:
                keys.append(entry)
        return keys + palette, help_key

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        width = self.size.width
        self.chosen_for = width
        keys, help_key = self.keys()
        room = width - (help_key.width if help_key else 0)
        for key in fitting(keys, room):
            yield self.footer_key(key)
        if help_key is not None and help_key.width <= width:
            yield self.footer_key(help_key, "-help")

    def footer_key(self, key: ScreenKey, classes: str = "") -> FooterKey:
        binding = key.binding
        return FooterKey(binding.key, key.display, binding.description, binding.action, disabled=not key.enabled,
                         tooltip=binding.tooltip, classes=classes).data_bind(compact=Footer.compact)

    def on_resize(self, event: events.Resize) -> None:
        if self._bindings_ready and event.size.width != self.chosen_for:
            self.call_after_refresh(self.recompose)
