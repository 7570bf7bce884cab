"""Which package? (pack, hand over or split an order with several packages)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from core.queries.board import PackageChoice
from tui.active import leave, when_active
from tui.format import status_label


class PackagePickScreen(ModalScreen[str | None]):
    CSS = """
    PackagePickScreen { align: center middle; background: $background 60%; }
    PackagePickScreen > Vertical {
        width: 76; max-width: 95%; height: auto; max-height: 90%;
        border: round $accent; background: $panel; padding: 0 1;
    }
    PackagePickScreen OptionList { height: auto; max-height: 16; border: none; }
    """
    BINDINGS = [Binding("escape", "close", "Close", id="pick.close", tooltip="Choose nothing")]

    def __init__(self, title: str, choices: list[PackageChoice]):
        super().__init__()
        self.title_text, self.choices = title, choices

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.title_text, classes="screen-title")
            options = []
            for c in self.choices:
                label = f"Package {c.id} · {status_label(c.status)}"
                prompt = Text(label) if c.allowed else Text.assemble(
                    (label, "dim"), "\n", (f"  {c.why_not}", "dim italic"))
                options.append(Option(prompt, id=c.id, disabled=not c.allowed))
            yield OptionList(*options)
            yield Static("Enter choose · Escape close", classes="hint")

    def on_mount(self) -> None:
        menu = self.query_one(OptionList)
        first = next((i for i, c in enumerate(self.choices) if c.allowed), None)
        if first is not None:
            menu.highlighted = first
        menu.focus()

    @when_active
    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        leave(self, event.option.id)

    def action_close(self) -> None:
        leave(self)
