"""Which package? (pack, hand over or split an order with several packages).

Each package with what is in it (its lines and live units: the way to tell packages
apart at a packing table), and why one can't be chosen. The picker sits at the bottom
of the screen without dimming it, so the order's card it is about stays in sight
above it."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from core.queries.board import PackageChoice
from core.words import plural
from tui.active import leave, when_active
from tui.format import status_label


class PackagePickScreen(ModalScreen[str | None]):
    BINDINGS = [Binding("escape", "close", "Close", id="pick.close", tooltip="Choose nothing")]

    def __init__(self, title: str, choices: list[PackageChoice]):
        super().__init__()
        self.title_text, self.choices = title, choices

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.title_text, classes="screen-title")
            yield OptionList(*[Option(self._prompt(n, c), id=c.id, disabled=not c.allowed)
                               for n, c in enumerate(self.choices, 1)])
            yield Static("Enter choose · Escape close", classes="hint")

    def _prompt(self, n: int, choice: PackageChoice) -> Text:
        """"Package 2 of 3: ID · status · 3 units", then a line per item ("2 × title (SKU)"),
        then why not, when it can't be chosen."""
        head = (f"Package {n} of {len(self.choices)}: {choice.id} · {status_label(choice.status)} · "
                f"{plural(choice.live_units, 'unit')}")
        items = [f"  {l.live} × {l.title} ({l.sku})" for l in choice.lines if l.live] or ["  nothing left in it"]
        style = "" if choice.allowed else "dim"
        prompt = Text.assemble((head, f"bold {style}".strip()), *(("\n" + item, style or "") for item in items))
        if not choice.allowed:
            prompt.append(f"\n  {choice.why_not}", "dim italic")
        return prompt

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
