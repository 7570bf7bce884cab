"""Reject a buyer's cancellation request: choose a reject reason that is true of
the order (rules.reasons_for("reject", order, packages))."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tui.active import leave, when_active


class RejectReasonScreen(ModalScreen[str | None]):
    BINDINGS = [Binding("escape", "close", "Cancel", id="reject.close", tooltip="Don't reject")]

    def __init__(self, order_id: str, reasons: dict[str, str]):
        super().__init__()
        self.order_id, self.reasons = order_id, reasons

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(f"Reject the request for order {self.order_id}: why?", classes="screen-title")
            if self.reasons:
                yield OptionList(*[Option(text, id=key) for key, text in self.reasons.items()])
            else:
                yield Static("No reject reason fits this order now: approve the request instead.")
            yield Static("Enter reject · Escape cancel", classes="hint")

    def on_mount(self) -> None:
        for options in self.query(OptionList):
            options.highlighted = 0
            options.focus()

    @when_active
    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        leave(self, event.option.id)

    def action_close(self) -> None:
        leave(self)
