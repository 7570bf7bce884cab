"""Side by side: two `orderdesk` apps in one terminal (the SSH demo's buyer and seller).

A small terminal multiplexer: each side is its own `orderdesk` process on a pty of its own
(tui/ptys.py), its output read at most READ_BYTES at a time into a pyte screen of the pane's
size, drawn into a Textual pane. Both sides open the same database (the environment this
process was given), so what one side does shows on the other at its next look (the app's
change watcher looks twice a second).

Decisions where the spec is silent:
- Keys go to the focused side as a terminal sends them (xterm sequences); F6 or Ctrl+O switch
  sides (no orderdesk screen uses either), and a click on a side focuses it. The mouse is not
  passed on: the apps are driven by keys.
- Sides sit left and right when the terminal has room for two SIDE_MIN_COLUMNS-column apps,
  else one above the other. A resize reaches each side's pty (SIGWINCH).
- Keys are sent in order and never dropped: a side whose app is not reading holds back only
  its own keys (each pane has its own message queue), never the other side.
- A side whose app quits says so; the view ends when both have quit (or on a hang-up, which
  ends both apps).
"""

from __future__ import annotations

import asyncio
import os
from functools import lru_cache

import pyte
from rich.segment import Segment
from rich.style import Style
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Container, Vertical
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Static

from tui import ptys

SWITCH_KEYS = ("f6", "ctrl+o")
SIDE_MIN_COLUMNS = 80


# -- keys as a terminal sends them --------------------------------------------------------------
_CSI_LETTER = {"up": "A", "down": "B", "right": "C", "left": "D", "home": "H", "end": "F"}
_SS3_LETTER = {"f1": "P", "f2": "Q", "f3": "R", "f4": "S"}
_CSI_NUMBER = {"insert": 2, "delete": 3, "pageup": 5, "pagedown": 6, "f5": 15, "f6": 17, "f7": 18,
               "f8": 19, "f9": 20, "f10": 21, "f11": 23, "f12": 24}
_MODIFIER_BITS = {"shift": 1, "alt": 2, "ctrl": 4}


def key_bytes(key: str, character: str | None) -> bytes:
    """What an xterm sends for a Textual key (b"" for a key it has no bytes for)."""
    *modifiers, name = key.split("+")
    if modifiers == ["alt"] and character:
        return b"\x1b" + character.encode()
    if name == "tab" and modifiers == ["shift"]:
        return b"\x1b[Z"
    if character is not None and name not in _CSI_LETTER and name not in _CSI_NUMBER:
        return character.encode()
    code = 1 + sum(_MODIFIER_BITS.get(m, 0) for m in modifiers)
    if name in _CSI_LETTER:
        return f"\x1b[{'1;%d' % code if code > 1 else ''}{_CSI_LETTER[name]}".encode()
    if name in _SS3_LETTER:
        return (f"\x1b[1;{code}{_SS3_LETTER[name]}" if code > 1 else f"\x1bO{_SS3_LETTER[name]}").encode()
    if name in _CSI_NUMBER:
        return f"\x1b[{_CSI_NUMBER[name]}{';%d' % code if code > 1 else ''}~".encode()
    return b""


# -- a pyte screen as Textual draws it -----------------------------------------------------------
def _color(value: str) -> str | None:
    """A pyte colour as Rich names it: "default", a name ("brown" is yellow), or hex."""
    if value == "default":
        return None
    if len(value) == 6 and all(c in "0123456789abcdefABCDEF" for c in value):
        return f"#{value}"
    bright = value.startswith("bright")
    name = value.removeprefix("bright").replace("brown", "yellow")
    return f"bright_{name}" if bright else name


@lru_cache(maxsize=4096)
def _style(fg: str, bg: str, bold: bool, italics: bool, underscore: bool, strikethrough: bool,
           reverse: bool) -> Style:
    return Style(color=_color(fg), bgcolor=_color(bg), bold=bold, italic=italics, underline=underscore,
                 strike=strikethrough, reverse=reverse)


def screen_line(screen: pyte.Screen, y: int) -> list[Segment]:
    """Line `y` of a pyte screen as segments, one per run of cells in the same style."""
    row = screen.buffer[y]
    segments: list[Segment] = []
    text, style = [], None
    for x in range(screen.columns):
        char = row[x]
        if not char.data:  # the second cell of a wide character
            continue
        cell_style = _style(char.fg, char.bg, char.bold, char.italics, char.underscore,
                            char.strikethrough, char.reverse)
        if cell_style is not style and text:
            segments.append(Segment("".join(text), style))
            text = []
        style = cell_style
        text.append(char.data)
    if text:
        segments.append(Segment("".join(text), style))
    return segments


# -- one side ----------------------------------------------------------------------------------
class Side:
    """One app on a pty of its own; its screen as a terminal would show it."""

    def __init__(self, role: str, identity: str, argv: list[str]):
        self.role, self.identity, self.argv = role, identity, argv
        self.screen = pyte.Screen(SIDE_MIN_COLUMNS, 24)
        self.stream = pyte.ByteStream(self.screen)
        self.program: ptys.Program | None = None
        self.ended = asyncio.Event()

    async def start(self, width: int, height: int, on_output) -> None:
        """Start the app at this size; `on_output()` after each piece of its output is drawn
        (and once it has ended)."""
        self.screen.resize(height, width)
        program = self.program = await ptys.Program.start(self.argv, dict(os.environ), width, height)
        loop = asyncio.get_running_loop()

        def read() -> None:
            data = program.read()
            if data is None:
                return
            if data:
                self.stream.feed(data)
            else:
                loop.remove_reader(program.master)
                self.ended.set()
            on_output()

        loop.add_reader(program.master, read)

    async def send(self, data: bytes) -> None:
        if self.program is not None and not self.ended.is_set() and data:
            await self.program.send(data)

    def resize(self, width: int, height: int) -> None:
        width, height = ptys.clamped_size(width, height)
        self.screen.resize(height, width)
        if self.program is not None:
            self.program.resize(width, height)

    async def close(self) -> None:
        if self.program is not None:
            if not self.ended.is_set():
                asyncio.get_running_loop().remove_reader(self.program.master)
            await self.program.end()


class SidePane(Widget, can_focus=True):
    """Draws a side's screen; keys pressed while it has focus go to its app."""

    DEFAULT_CSS = "SidePane { width: 1fr; height: 1fr; }"

    def __init__(self, side: Side):
        super().__init__()
        self.side = side

    async def on_resize(self) -> None:
        width, height = self.size
        if width < 1 or height < 1:
            return
        if self.side.program is None:
            await self.side.start(width, height, self._output)
        else:
            self.side.resize(width, height)
        self.refresh()

    def _output(self) -> None:
        if self.side.ended.is_set():
            self.app.side_ended(self)
        self.refresh()

    def render_line(self, y: int) -> Strip:
        screen = self.side.screen
        if y >= screen.lines:
            return Strip.blank(self.size.width)
        return Strip(screen_line(screen, y)).adjust_cell_length(self.size.width)

    async def on_key(self, event) -> None:
        event.stop()
        event.prevent_default()
        await self.side.send(key_bytes(event.key, event.character))

    async def on_paste(self, event) -> None:
        event.stop()
        await self.side.send(event.text.encode())

    def on_click(self) -> None:
        self.focus()


class SideBySide(App, inherit_bindings=False):
    """Two sides, each (role, identity, argv); every key but the switch goes to a side."""

    ENABLE_COMMAND_PALETTE = False
    # A priority binding switches before the next key is passed on, so that key goes to the new side.
    BINDINGS = [Binding(",".join(SWITCH_KEYS), "switch_side", priority=True, id="side_by_side.switch")]
    CSS = """
    #sides { layout: horizontal; height: 1fr; }
    #sides.stacked { layout: vertical; }
    .side { width: 1fr; height: 1fr; }
    .side-title { height: 1; background: $panel; color: $text-muted; padding: 0 1; }
    .side:focus-within .side-title { background: $accent; color: $text; text-style: bold; }
    #help { height: 1; background: $panel; padding: 0 1; }
    """

    def __init__(self, sides: list[tuple[str, str, list[str]]]):
        super().__init__()
        self.sides = [Side(*spec) for spec in sides]

    def compose(self) -> ComposeResult:
        with Container(id="sides"):
            for side in self.sides:
                with Vertical(classes="side"):
                    yield Static(self._title(side), classes="side-title")
                    yield SidePane(side)
        yield Static("F6 or Ctrl+O: switch sides · each side quits on its own (Ctrl+Q); "
                     "this view ends when both have", id="help")

    def _title(self, side: Side) -> str:
        return f"{side.role}: {side.identity}" + (" (quit)" if side.ended.is_set() else "")

    def on_mount(self) -> None:
        self.query(SidePane).first().focus()

    def on_resize(self, event) -> None:
        self.query_one("#sides").set_class(event.size.width < 2 * SIDE_MIN_COLUMNS, "stacked")

    def action_switch_side(self) -> None:
        """Focus the next side whose app runs, at once (Widget.focus waits for the next turn,
        and the key after the switch would still go to the old side)."""
        panes = list(self.query(SidePane))
        current = panes.index(self.focused) if self.focused in panes else -1
        for step in range(1, len(panes) + 1):
            pane = panes[(current + step) % len(panes)]
            if not pane.side.ended.is_set() or step == len(panes):
                self.set_focus(pane)
                return

    def side_ended(self, pane: SidePane) -> None:
        pane.parent.query_one(".side-title", Static).update(self._title(pane.side))
        if all(side.ended.is_set() for side in self.sides):
            self.exit()
        elif self.focused is pane:
            self.action_switch_side()

    async def on_unmount(self) -> None:
        await asyncio.gather(*(side.close() for side in self.sides))
