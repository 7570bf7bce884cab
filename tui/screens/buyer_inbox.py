"""Inbox: the buyer's notifications (cancellation confirmations, request answers,
refused deliveries), newest first. Enter answers the notification's order, for the
flow to open it."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Footer, Header, OptionList, Static
from textual.widgets.option_list import Option

from tui import work
from tui.active import leave, when_active
from tui.lazy import lazy_import
from tui.screens.buyer_common import BuyerScreen, MovingOptionList, NavBar, when

if TYPE_CHECKING:
    from core.queries.buyer import Inbox

queries = lazy_import("core.queries.buyer")


class BuyerInboxScreen(BuyerScreen):
    DEFAULT_CSS = """
    BuyerInboxScreen #inbox-list { height: 1fr; border: round $primary; }
    BuyerInboxScreen #inbox-empty { padding: 1 2; color: $text-muted; }
    """

    def __init__(self, identity: str, inbox: Inbox):
        """`inbox`: as the flow read it."""
        super().__init__(identity)
        self.title = "Inbox"
        self.inbox = inbox

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Inbox", classes="screen-title")
        yield MovingOptionList(id="inbox-list")
        yield Static(id="inbox-empty")
        yield NavBar("Inbox", id="navbar")
        yield Footer()

    def on_mount(self) -> None:
        self.show(self.inbox)
        self.query_one(OptionList).focus()

    def on_data_changed(self, message) -> None:
        self.reload()

    def reload(self) -> None:
        work.read(self, partial(queries.inbox, username=self.identity), self.show, key="buyer.inbox")

    def show(self, inbox: Inbox) -> None:
        found = inbox.notices
        options = self.query_one(OptionList)
        keep = options.highlighted
        options.clear_options()
        for number, n in enumerate(found):
            if number:
                options.add_option(None)  # a line between notifications
            prompt = Text()
            prompt.append(n.title, style="bold")
            prompt.append(f"  {when(n.created_at)}", style="dim")
            prompt.append(f"\n{n.body}")
            if n.order_id:
                prompt.append(f"\nOrder {n.order_id}", style="dim")
            options.add_option(Option(prompt, id=f"{n.id}:{n.order_id or ''}"))
        if found:
            options.highlighted = min(keep or 0, options.option_count - 1)
        empty = self.query_one("#inbox-empty", Static)
        empty.update("No notifications yet.")
        empty.display = not found
        options.display = bool(found)
        self.query_one(NavBar).set_unread(inbox.unread)

    @when_active
    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        order_id = event.option.id.split(":", 1)[1]
        if order_id:
            leave(self, order_id)
