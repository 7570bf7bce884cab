"""Tables whose amounts are never cut: the other columns give way first.

A screen's table gives each column what its cells need. When that is more than the width
there is, Rich (and a DataTable running off the screen's edge) cut whatever column comes
last or is widest, and the figures a person checks became "$…" or "$8" for $81.64. Here
the columns say what they are instead, and one function, `fit_widths`, decides for every
table of the app:

- a `keep` column (an amount, a quantity, a count) always gets its whole width;
- the other columns give way: first all narrowed together, each in proportion to what it
  has beyond its `least` width (its text then ends with "…"); if that is still too wide,
  left out altogether, one after the other in their `give` order (lowest first), what that
  frees going back to the narrowed ones still shown;
- a `whole` column (a text that may hold an amount: "Cancelled · refunded $84.89") is never
  narrowed, only left out;
- if the kept columns alone are wider than the screen, they are all still shown whole (the
  line runs past the edge rather than any amount being cut; at 40 columns every table of
  the app fits).

`FitTable` is a Rich renderable laid out by `fit_widths` in whatever width it is drawn in
(a Static re-renders it on every resize); `FitDataTable` is a Textual DataTable laid out
by it, again on every resize.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.table import Table
from rich.text import Text
from textual.widgets import DataTable

GAP = 1  # columns between two columns of a FitTable


@dataclass(frozen=True)
class Col:
    """A column: its header, whether it is kept whole, and how it gives way."""

    header: str
    keep: bool = False  # an amount or a count: never cut
    give: int = 0  # among the others: lowest gives way first
    least: int = 6  # narrowest it is shown (with "…") before it is left out
    whole: bool = False  # shown whole or left out, never narrowed (a text that may hold an amount)
    justify: str = "left"
    key: str | None = None  # a DataTable's column key


def money(header: str, key: str | None = None) -> Col:
    """An amount's (or a count's) column: kept whole, right-aligned."""
    return Col(header, keep=True, justify="right", key=key)


def text_width(cell) -> int:
    return cell.cell_len if isinstance(cell, Text) else cell_len(str(cell))


def fit_widths(columns: Sequence[Col], rows: Sequence[Sequence], width: int, gap: int = GAP) -> list[int]:
    """Each column's width in `width` columns (0: left out), by the rules of the module.
    Every shown column takes `gap` columns more (its padding)."""
    natural = [max([text_width(col.header), *(text_width(row[i]) for row in rows)])
               for i, col in enumerate(columns)]
    widths = list(natural)

    def excess() -> int:
        return sum(w + gap for w in widths if w) - width

    giving = sorted((i for i, col in enumerate(columns) if not col.keep), key=lambda i: columns[i].give)
    least = {i: natural[i] if columns[i].whole else min(columns[i].least, natural[i]) for i in giving}
    room = {i: natural[i] - least[i] for i in giving}
    if excess() > 0 and sum(room.values()):  # narrowed together, each as far as it has room...
        cut = min(excess(), sum(room.values()))
        total = sum(room.values())
        for i in giving:
            widths[i] -= cut * room[i] // total
        while excess() > 0 and any(widths[i] > least[i] for i in giving):  # (what rounding left)
            i = next(i for i in giving if widths[i] > least[i])
            widths[i] -= 1
    for i in giving:  # ...then left out, in their order
        if excess() <= 0:
            break
        widths[i] = 0
    for i in reversed(giving):  # and what leaving one out freed goes back to those still shown
        if widths[i] and excess() < 0:
            widths[i] = min(natural[i], widths[i] - excess())
    return widths


class FitTable:
    """A table (Rich renderable) laid out by `fit_widths` in the width it is drawn in."""

    def __init__(self, columns: Sequence[Col], rows: Sequence[Sequence], *, header_style: str = "dim"):
        self.columns, self.rows, self.header_style = list(columns), [list(row) for row in rows], header_style

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        widths = fit_widths(self.columns, self.rows, options.max_width)
        shown = [i for i, w in enumerate(widths) if w]
        table = Table(box=None, padding=(0, GAP, 0, 0), show_edge=False, header_style=self.header_style)
        for i in shown:
            col = self.columns[i]
            table.add_column(col.header, width=widths[i], no_wrap=True, overflow="ellipsis", justify=col.justify)
        for row in self.rows:
            table.add_row(*(row[i] for i in shown))
        yield table


def cell(value, width: int, col: Col) -> Text:
    """A DataTable cell: whole, or (a column that gave way) cut to `width` with "…"."""
    text = value.copy() if isinstance(value, Text) else Text(str(value))
    text.justify = col.justify
    if not col.keep:
        text.truncate(width, overflow="ellipsis")
    return text


class FitDataTable(DataTable):
    """A DataTable whose columns are laid out by `fit_widths` in its width, again whenever
    the width changes (the cursor stays on its row). Rows are given whole to `fill`; a
    column's key is its Col's `key`. Without columns it is a plain DataTable."""

    def __init__(self, columns: Sequence[Col] = (), **kwargs):
        super().__init__(**kwargs)
        self.columns_wanted = list(columns)
        self.values: list[list] = []
        self.row_keys: list[str] = []
        self.fitted_to: tuple[int, int] | None = None

    def fill(self, rows: Sequence[Sequence], keys: Sequence[str]) -> None:
        self.values, self.row_keys = [list(row) for row in rows], list(keys)
        self.fit()

    def set_value(self, row_key: str, column_key: str, value) -> None:
        """One cell's new value (a countdown's second), kept for the next fit too."""
        index = [col.key for col in self.columns_wanted].index(column_key)
        self.values[self.row_keys.index(row_key)][index] = value
        if column_key in self.columns:
            self.update_cell(row_key, column_key, cell(value, self.columns[column_key].width,
                                                       self.columns_wanted[index]))

    def fit(self) -> None:
        width = self.size.width
        if len(self.values) + int(self.show_header) > self.size.height:
            width -= self.styles.scrollbar_size_vertical
        self.fitted_to = self.size.width, self.size.height
        widths = fit_widths(self.columns_wanted, self.values, width, gap=2 * self.cell_padding)
        shown = [i for i, w in enumerate(widths) if w]
        row = self.cursor_row
        self.clear(columns=True)
        for i in shown:
            self.add_column(self.columns_wanted[i].header, width=widths[i], key=self.columns_wanted[i].key)
        for key, values in zip(self.row_keys, self.values):
            self.add_row(*(cell(values[i], widths[i], self.columns_wanted[i]) for i in shown), key=key)
        if self.values:
            self.move_cursor(row=min(row, len(self.values) - 1), animate=False)

    def on_resize(self) -> None:
        if self.columns_wanted and self.fitted_to != (self.size.width, self.size.height):
            self.fit()
