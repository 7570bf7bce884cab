"""The Textual app: a launcher to pick who you are, then that identity's orders.

Screens ask `core.queries` for read models and call `core.services` commands;
they hold no business rules.
"""

from __future__ import annotations

from datetime import datetime

from textual.app import App
from textual.binding import Binding

from core.clock import current_time
from core.db import Database
from tui.screens.launcher import LauncherScreen
from tui.screens.orders import OrdersScreen


class OrderDeskApp(App):
    CSS_PATH = "app.tcss"
    TITLE = "orderdesk"
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", id="quit", tooltip="Leave orderdesk"),
    ]

    def __init__(self, db: Database, *, now_text: str | None = None, role: str | None = None,
                 identity: str | None = None, app_version: str | None = None):
        super().__init__()
        self.db = db
        self.now_text = now_text
        self.start = (role, identity)
        self.app_version = app_version

    def now(self) -> datetime:
        with self.db.read() as session:
            return current_time(session, self.now_text)

    def on_mount(self) -> None:
        self.push_screen(LauncherScreen())
        role, identity = self.start
        if role and identity:
            self.push_screen(OrdersScreen(role, identity))
