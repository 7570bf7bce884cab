"""Keys that outrun the screens.

A terminal delivers keys as fast as they are typed (or held down, or batched by an SSH
connection), and Textual hands each one on before the one before it has finished its
work: a second Enter on a menu is turned into a second "selected" message while the
first is still closing the menu; a command picked in the palette runs after the screen
it was offered for has gone. Run late, such work would dismiss whichever screen is on
top now (until `ScreenStackError: Can't pop screen`), or query the widgets of a screen
that has been taken down (`NoMatches`).

The rule, in one place: a screen acts only while it is the active one (the top of the
stack, what the person sees).
- `leave(screen, result)` dismisses a screen, or does nothing if it has already gone:
  a screen closes itself with it, never with `dismiss` or `app.pop_screen` (an action
  that goes back past several screens to where a flow began runs only while its screen
  is active, below).
- `@when_active` on a screen's handler of a list's Enter (an option, a row, a submitted
  input) drops the late ones.
- Actions (keys, palette commands) aimed at a screen that is no longer active are
  dropped by `OrderDeskApp.run_action`, using `is_active`.
- The command palette (ours, below) closes by the same rule, and Ctrl+P is not a
  priority binding: it waits its turn behind the keys typed before it.
A late key is not lost to the screen now on top: Textual resolves it against that
screen's keys, as if it had been pressed there.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import textual.command
from textual.await_complete import AwaitComplete
from textual.dom import DOMNode
from textual.screen import Screen

Handler = TypeVar("Handler", bound=Callable[..., Any])


def is_active(node: DOMNode) -> bool:
    """Whether `node` is (on) the active screen: on top of the stack, and mounted. A
    screen just pushed is not active until it is mounted: a late key resolved against
    it meanwhile would take it down half built (Textual's Header then queries a title
    that is gone: NoMatches)."""
    if not node.is_attached:
        return False
    screen = node if isinstance(node, Screen) else node.screen
    return screen.is_active and screen.is_mounted


def leave(screen: Screen, result: Any = None) -> bool:
    """Dismiss `screen` (its callback gets `result`) if it is still the active screen;
    False, and nothing done, if it has already gone or another is on top of it, or if
    the app keeps it (`OrderDeskApp.keeps`: the start screen of a locked app; a bell)."""
    if not is_active(screen):
        return False
    keeps = getattr(screen.app, "keeps", None)
    if keeps is not None and keeps(screen):
        screen.app.bell()
        return False
    screen.dismiss(result)
    return True


def when_active(handler: Handler) -> Handler:
    """Run a screen's handler only while the screen is the active one."""

    @wraps(handler)
    def guarded(screen: Screen, *args: Any, **kwargs: Any) -> Any:
        if is_active(screen):
            return handler(screen, *args, **kwargs)
        return None

    return guarded  # type: ignore[return-value]


class CommandPalette(textual.command.CommandPalette):
    """Textual's command palette, closing only while it is the active screen: a second
    Enter on a command must not close the screen below it too."""

    def dismiss(self, result: Any = None) -> AwaitComplete:
        if not is_active(self):
            return AwaitComplete(asyncio.sleep(0))
        self._cancel_gather_commands()  # its search must not outlive it
        return super().dismiss(result)
