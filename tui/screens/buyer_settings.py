"""Seed 000, step 2: Settings and Privacy, a list of sections; Orders among them.
Answers "orders" when Orders is opened."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Header, OptionList, Static
from textual.widgets.option_list import Option

from tui.active import leave, when_active
from tui.screens.buyer_common import BuyerScreen, MovingOptionList
from tui.widgets.key_bar import KeyBar

# The sections of the buyer app's Settings and Privacy. Only Orders belongs to this app;
# the others are shown (so the list looks like the one the buyer knows) but can't be opened.
SECTIONS = (
    ("account", "Account"),
    ("privacy", "Privacy"),
    ("security", "Security and permissions"),
    ("orders", "Orders"),
    ("addresses", "Addresses"),
    ("payment", "Payment methods"),
    ("notifications", "Notifications"),
    ("language", "Language"),
    ("help", "Report a problem"),
)


class BuyerSettingsScreen(BuyerScreen):
    DEFAULT_CSS = """
    BuyerSettingsScreen #settings-list { height: 1fr; border: round $primary; }
    BuyerSettingsScreen .hint { padding: 0 1; color: $text-muted; }
    """

    def __init__(self, identity: str):
        super().__init__(identity)
        self.title = "Settings and Privacy"

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Settings and Privacy", classes="screen-title")
        yield Static("↑/↓ or j/k choose · Enter open · Esc back. Only Orders opens in this app.",
                     classes="hint")
        yield MovingOptionList(*[Option(title if key == "orders" else f"{title}  ·  not in this app",
                                        id=key, disabled=key != "orders")
                                 for key, title in SECTIONS], id="settings-list")
        yield KeyBar()

    def on_mount(self) -> None:
        sections = self.query_one(OptionList)
        sections.highlighted = sections.get_option_index("orders")
        sections.focus()

    @when_active
    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id == "orders":
            leave(self, "orders")
