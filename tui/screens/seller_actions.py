"""The order card's action menu (seed 003: "the drop-down menu on the right side
of the order card"): Cancel order, Pack, Hand over, Split, Details; what can't be
done now is greyed out with why."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from core.queries.board import OrderSnapshot
from tui.active import leave, when_active


class ActionMenuScreen(ModalScreen[str | None]):
    BINDINGS = [Binding("escape", "dismiss_menu", "Close", id="menu.close", tooltip="Close the menu")]

    def __init__(self, snap: OrderSnapshot):
        super().__init__()
        self.snap, self.choices = snap, snap.actions

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(f"Order {self.snap.order.id}", classes="screen-title")
            options = []
            for choice in self.choices:
                prompt = Text(choice.label)
                if not choice.allowed:
                    prompt = Text.assemble((choice.label, "dim"), "\n", (f"  {choice.why_not}", "dim italic"))
                options.append(Option(prompt, id=choice.action, disabled=not choice.allowed))
            yield OptionList(*options, id="menu")
            yield Static("Enter choose · Escape close", classes="hint")

    def on_mount(self) -> None:
        menu = self.query_one(OptionList)
        first = next((i for i, choice in enumerate(self.choices) if choice.allowed), None)
        if first is not None:
            menu.highlighted = first
        menu.focus()

    @when_active
    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        leave(self, event.option.id)

    def action_dismiss_menu(self) -> None:
        leave(self)
