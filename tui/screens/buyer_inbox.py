"""Inbox: the buyer's notifications (cancellation confirmations, request answers,
refused deliveries), newest first. Enter opens the order."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Footer, Header, OptionList, Static
from textual.widgets.option_list import Option

from core.queries import orders as queries
from tui.active import when_active
from tui.screens.buyer_common import BuyerScreen, MovingOptionList, NavBar, when


class BuyerInboxScreen(BuyerScreen):
    DEFAULT_CSS = """
    BuyerInboxScreen #inbox-list { height: 1fr; border: round $primary; }
    BuyerInboxScreen #inbox-empty { padding: 1 2; color: $text-muted; }
    """

    def __init__(self, identity: str):
        super().__init__(identity)
        self.title = "Inbox"

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Inbox", classes="screen-title")
        yield MovingOptionList(id="inbox-list")
        yield Static(id="inbox-empty")
        yield NavBar("Inbox", id="navbar")
        yield Footer()

    def on_mount(self) -> None:
        self.reload()
        self.query_one(OptionList).focus()

    def on_data_changed(self, message) -> None:
        self.reload()

    def reload(self) -> None:
        with self.app.db.read() as session:
            found = queries.notifications(session, self.identity)
        options = self.query_one(OptionList)
        keep = options.highlighted
        options.clear_options()
        for number, n in enumerate(found):
            if number:
                options.add_option(None)  # a line between notifications
            prompt = Text()
            prompt.append(n["title"], style="bold")
            prompt.append(f"  {when(n['created_at'])}", style="dim")
            prompt.append(f"\n{n['body']}")
            if n["order_id"]:
                prompt.append(f"\nOrder {n['order_id']}", style="dim")
            options.add_option(Option(prompt, id=f"{n['id']}:{n['order_id'] or ''}"))
        if found:
            options.highlighted = min(keep or 0, options.option_count - 1)
        empty = self.query_one("#inbox-empty", Static)
        empty.update("No notifications yet.")
        empty.display = not found
        options.display = bool(found)
        self.query_one(NavBar).set_unread(sum(1 for n in found if not n["read"]))

    @when_active
    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        order_id = event.option.id.split(":", 1)[1]
        if order_id:
            from tui.screens.buyer_order import BuyerOrderScreen

            self.app.push_screen(BuyerOrderScreen(self.identity, order_id))
