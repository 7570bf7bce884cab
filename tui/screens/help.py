"""`?`: every key of the screen below, with what it does."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Static

from tui.active import leave


def key_label(app, key: str) -> str:
    return app.get_key_display(Binding(key, ""))


class HelpScreen(ModalScreen):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > Vertical {
        width: 76; max-width: 95%; height: auto; max-height: 90%;
        border: round $accent; background: $panel; padding: 0 1;
    }
    HelpScreen DataTable { height: auto; max-height: 20; }
    HelpScreen .hint { color: $text-muted; }
    """
    BINDINGS = [
        Binding("escape,question_mark,q", "close", "Close", id="help.close"),
    ]

    def __init__(self, screen: Screen):
        super().__init__()
        self.below = screen

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(f"Keys: {self.below.title or self.below.__class__.__name__}", classes="screen-title")
            yield DataTable(cursor_type="row", show_cursor=False)
            yield Static("Escape or ? closes. Ctrl+P lists every action too.", classes="hint")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Key", "Does", "")
        seen = set()
        for key, active in self.below.active_bindings.items():
            binding = active.binding
            if not binding.description or (binding.action, binding.description) in seen:
                continue
            seen.add((binding.action, binding.description))
            table.add_row(key_label(self.app, key), binding.description, binding.tooltip or "")

    def action_close(self) -> None:
        leave(self)
