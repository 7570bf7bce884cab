"""`?`: every key of the screen below, with what it does.

Decisions where the issue is silent:
- Three groups, in this order: the screen's own actions (its bindings, then those of our
  widgets on it: the cards, a quantity picker), the keys that work everywhere (the app's:
  Quit, Help, the palette), and last the generic ones Textual's widgets bring (scrolling,
  moving focus, copying). Within a group, the order the bindings are declared in: the
  key bar's order (tui/widgets/key_bar.py), so the bar shows the start of this list.
- One row per action, with every key that does it ("↑ k").
- The box is as wide as its rows need, up to the whole terminal, and its text wraps rather
  than being cut; when the rows are more than the height, the box scrolls.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from rich.cells import cell_len
from rich.console import Group
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from tui.active import leave
from tui.widgets.key_bar import APP, GENERIC, SCREEN, WIDGETS, screen_keys

GROUPS = ("This screen", "Everywhere", "Moving around")
GROUP_OF = {SCREEN: GROUPS[0], WIDGETS: GROUPS[0], APP: GROUPS[1], GENERIC: GROUPS[2]}
FRAME = 5  # columns of the box around the rows: its border, padding and scroll bar
FRAME_ROWS = 4  # rows of the box besides the keys: its border, the title and the hint
MIN_MORE = 30  # columns the third column (more about a key) needs to be worth it


def key_label(app, key: str) -> str:
    return app.get_key_display(Binding(key, ""))


@dataclass
class Row:
    """One action of the screen below, as help lists it."""

    group: str
    keys: list[str]
    description: str
    tooltip: str

    @property
    def key_text(self) -> str:
        return " ".join(self.keys)


def rows_of(screen: Screen) -> list[Row]:
    """The keys of `screen`, grouped and ordered as help shows them (the key bar's order:
    tui/widgets/key_bar.screen_keys)."""
    return [Row(GROUP_OF[entry.place], [key_label(screen.app, key) for key in entry.keys],
                entry.description, entry.binding.tooltip or "")
            for entry in screen_keys(screen)]


def keys_view(rows: list[Row], *, stacked: bool = False) -> Group:
    """The rows under their groups' headings, as tables whose text wraps (never cut) in the
    width it is given: three columns (key, what it does, more), or `stacked`, the more
    under what it does. The key column is as wide in every group, so the columns line up."""
    key_width = max((cell_len(row.key_text) for row in rows), default=0)
    does_width = 0 if stacked else max((cell_len(row.description) for row in rows), default=0)
    parts = []
    for group in GROUPS:
        mine = [row for row in rows if row.group == group]
        if not mine:
            continue
        table = Table(box=None, show_header=False, padding=(0, 1), expand=False)
        table.add_column("Key", no_wrap=True, style="bold", min_width=key_width)
        table.add_column("Does", overflow="fold", min_width=does_width, no_wrap=not stacked)
        if not stacked:
            table.add_column("More", style="dim", overflow="fold")
        for row in mine:
            if stacked:
                table.add_row(row.key_text, Text(row.description).append(
                    f"\n{row.tooltip}" if row.tooltip else "", "dim"))
            else:
                table.add_row(row.key_text, row.description, row.tooltip)
        parts += [Text.assemble(" ", (group, "bold underline")), table]
    return Group(*parts)


class HelpScreen(ModalScreen):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > Vertical {
        max-width: 100%; height: auto; max-height: 100%;
        border: round $accent; background: $panel; padding: 0 1;
    }
    HelpScreen VerticalScroll { height: auto; scrollbar-gutter: stable; scrollbar-size-vertical: 1; }
    HelpScreen #help-hint { color: $text-muted; padding-left: 1; }
    """
    BINDINGS = [
        Binding("escape,question_mark,q", "close", "Close", id="help.close"),
    ]

    def __init__(self, screen: Screen):
        super().__init__()
        self.below = screen
        self.rows: list[Row] = []

    def compose(self) -> ComposeResult:
        self.rows = rows_of(self.below)
        with Vertical():
            yield Static(f"Keys: {self.below.title or self.below.__class__.__name__}", classes="screen-title")
            with VerticalScroll():
                yield Static(keys_view(self.rows), id="keys")
            yield Static("Escape closes · Ctrl+P: all actions", id="help-hint")

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()
        self.fit()

    def on_resize(self) -> None:
        self.fit()

    def fit(self) -> None:
        """As wide as the rows need, up to the whole screen; three columns when the
        descriptions then get at least MIN_MORE columns, else stacked. The rows scroll
        between the title and the hint when they are more than the height."""
        console = self.app.console
        options = console.options.update_width(10_000)
        width, height = self.size

        def needed(table: Group) -> int:
            return Measurement.get(console, options, table).maximum

        table = keys_view(self.rows)
        short = needed(keys_view([replace(row, tooltip="") for row in self.rows]))  # the first two columns
        if needed(table) + FRAME > width and width - FRAME - short < MIN_MORE:
            table = keys_view(self.rows, stacked=True)
        title = cell_len(str(self.query_one(".screen-title", Static).content)) + 2
        self.query_one("#keys", Static).update(table)
        self.query_one(Vertical).styles.width = max(needed(table), title) + FRAME
        self.query_one(VerticalScroll).styles.max_height = max(height - FRAME_ROWS, 1)

    def action_close(self) -> None:
        leave(self)
