"""Confirm what can't be undone (issue 15): what is about to happen, with its figures, and
two ways out: Enter does it, Escape changes nothing. Answers True, or None.

Used for approving a buyer's request (the refund), receiving a returned package (the
refund), marking a package delivered, and taking a package over from another station.
The screen only shows what the flow read and answers; the flow runs the command."""

from __future__ import annotations

from rich.console import RenderableType
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.active import leave


class ConfirmScreen(ModalScreen[bool | None]):
    BINDINGS = [
        Binding("enter", "confirm", "Confirm", id="confirm.yes", tooltip="Do it"),
        Binding("escape", "back", "Back", id="confirm.back", tooltip="Change nothing"),
    ]

    def __init__(self, title: str, body: RenderableType, *, confirm: str):
        """`confirm`: what Enter does, in words ("Approve and refund $12.34")."""
        super().__init__()
        self.heading, self.body, self.confirm = title, body, confirm

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.heading, classes="screen-title", markup=False)
            with VerticalScroll():
                yield Static(self.body, id="confirm-body")
            yield Static(Text.assemble(("Enter ", "bold"), self.confirm, ("  ·  ", "dim"),
                                       ("Escape ", "bold"), "back, nothing changes"), classes="hint")

    def action_confirm(self) -> None:
        leave(self, True)

    def action_back(self) -> None:
        leave(self)
