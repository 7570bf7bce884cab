"""A quantity for each line, bounded by what the rules allow; lines that may not
be chosen are greyed out with why (seed 003). Used by the cancel wizard's Items
step and by Split."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widget import Widget

if TYPE_CHECKING:
    from core.queries.board import LineChoice


class QuantityPicker(Widget, can_focus=True):
    DEFAULT_CSS = """
    QuantityPicker { height: auto; padding: 0 1; }
    QuantityPicker > .picker--cursor { background: $primary 40%; }
    QuantityPicker > .picker--dim { color: $text-muted; }
    QuantityPicker > .picker--why { color: $text-muted; text-style: italic; }
    QuantityPicker > .picker--qty { color: $accent; text-style: bold; }
    """
    COMPONENT_CLASSES = {"picker--cursor", "picker--dim", "picker--why", "picker--qty"}
    BINDINGS = [
        Binding("up,k", "move(-1)", "Previous item", id="picker.up", show=False,
                tooltip="Move to the item above"),
        Binding("down,j", "move(1)", "Next item", id="picker.down", show=False,
                tooltip="Move to the item below"),
        Binding("plus,right,equals_sign", "change(1)", "+1", id="picker.more",
                tooltip="One more unit of this item"),
        Binding("minus,left", "change(-1)", "−1", id="picker.less",
                tooltip="One unit fewer of this item"),
        Binding("a", "all", "All units", id="picker.all",
                tooltip="Every unit of this item that may be chosen"),
        Binding("0", "none", "None", id="picker.none", show=False,
                tooltip="None of this item"),
    ]

    class Changed(Message):
        pass

    def __init__(self, choices: list[LineChoice], *, verb: str = "Cancel", id: str | None = None):
        super().__init__(id=id)
        self.choices = choices
        self.verb = verb
        self.quantities = {c.id: 0 for c in choices}
        self.cursor = next((i for i, c in enumerate(choices) if c.allowed), 0)

    @property
    def chosen(self) -> dict[str, int]:
        return {k: v for k, v in self.quantities.items() if v}

    @property
    def current(self) -> LineChoice | None:
        return self.choices[self.cursor] if self.choices else None

    def set_quantity(self, line_id: str, quantity: int) -> None:
        choice = next(c for c in self.choices if c.id == line_id)
        self.quantities[line_id] = max(0, min(quantity, choice.max_quantity))
        self.refresh(layout=True)
        self.post_message(self.Changed())

    def action_move(self, delta: int) -> None:
        if self.choices:
            self.cursor = max(0, min(self.cursor + delta, len(self.choices) - 1))
            self.refresh()

    def action_change(self, delta: int) -> None:
        choice = self.current
        if choice is None:
            return
        if not choice.allowed:
            self.app.bell()
            self.notify(choice.why_not or "This item can't be chosen.", severity="warning")
            return
        self.set_quantity(choice.id, self.quantities[choice.id] + delta)

    def action_all(self) -> None:
        choice = self.current
        if choice is not None and choice.allowed:
            self.set_quantity(choice.id, choice.max_quantity)

    def action_none(self) -> None:
        choice = self.current
        if choice is not None:
            self.set_quantity(choice.id, 0)

    def render(self) -> Table:
        style = self.get_component_rich_style
        table = Table.grid(padding=(0, 1), expand=True)
        table.add_column(width=1)
        table.add_column("SKU", no_wrap=True)
        table.add_column("Item", ratio=1, overflow="fold")
        table.add_column("Qty", justify="right", no_wrap=True)
        table.add_column("Cancelled", justify="right", no_wrap=True)
        table.add_column(self.verb, justify="right", no_wrap=True)
        table.add_row("", Text("SKU", style("picker--dim")), Text("Item", style("picker--dim")),
                      Text("Qty", style("picker--dim")), Text("Cancelled", style("picker--dim")),
                      Text(self.verb, style("picker--dim")))
        for i, c in enumerate(self.choices):
            row_style = style("picker--cursor") if i == self.cursor and self.has_focus else None
            mark = "▸" if i == self.cursor else " "
            if c.allowed:
                qty = Text.assemble(("− ", style("picker--dim")), (f"{self.quantities[c.id]}", style("picker--qty")),
                                    (" +", style("picker--dim")), (f"  of {c.max_quantity}", style("picker--dim")))
                table.add_row(mark, c.sku, c.title, str(c.quantity), str(c.cancelled_quantity), qty,
                              style=row_style)
            else:
                dim = style("picker--dim")
                table.add_row(mark, Text(c.sku, dim), Text(c.title, dim), Text(str(c.quantity), dim),
                              Text(str(c.cancelled_quantity), dim), Text("—", dim), style=row_style)
                table.add_row("", "", Text(c.why_not or "", style("picker--why")), "", "", "",
                              style=row_style)
        return table

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()
