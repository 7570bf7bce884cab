"""Inbox: the buyer's notifications (cancellation confirmations, request answers,
refused deliveries), newest first. Enter answers the notification's order, for the
flow to open it.

Reading marks read (issue 17: the Inbox count never went down): the message under the
cursor is the one being read, so it is marked read (the flow's command, off the UI
thread) and the unread count here and on the Profile goes down. Unread ones say "new"."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Header, OptionList, Static
from textual.widgets.option_list import Option

from tui import work
from tui.active import leave, when_active
from tui.lazy import lazy_import
from tui.screens.buyer_common import BuyerScreen, MovingOptionList, NavBar, when
from tui.widgets.key_bar import KeyBar

if TYPE_CHECKING:
    from core.queries.buyer import Inbox

queries = lazy_import("core.queries.buyer")


class BuyerInboxScreen(BuyerScreen):
    DEFAULT_CSS = """
    BuyerInboxScreen #inbox-list { height: 1fr; border: round $primary; }
    BuyerInboxScreen #inbox-empty { padding: 1 2; color: $text-muted; }
    """

    def __init__(self, identity: str, inbox: Inbox, mark_read: Callable[[int], Any] | None = None):
        """`inbox`: as the flow read it; `mark_read(notice_id)`: the command that marks one read."""
        super().__init__(identity)
        self.title = "Inbox"
        self.inbox, self.mark_read = inbox, mark_read
        self.marking: set[int] = set()  # marked read, or on the way

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Inbox", classes="screen-title")
        yield MovingOptionList(id="inbox-list")
        yield Static(id="inbox-empty")
        yield NavBar("Inbox", id="navbar")
        yield KeyBar()

    def on_mount(self) -> None:
        self.show(self.inbox)
        self.query_one(OptionList).focus()

    def on_data_changed(self, message) -> None:
        self.reload()

    def reload(self) -> None:
        work.read(self, partial(queries.inbox, username=self.identity), self.show, key="buyer.inbox")

    def show(self, inbox: Inbox) -> None:
        self.inbox = inbox
        found = inbox.notices
        options = self.query_one(OptionList)
        keep = options.highlighted
        options.clear_options()
        for number, n in enumerate(found):
            if number:
                options.add_option(None)  # a line between notifications
            prompt = Text()
            if not n.read and n.id not in self.marking:
                prompt.append("new ", style="bold reverse")
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
        self.query_one(NavBar).set_unread(sum(1 for n in found if not n.read and n.id not in self.marking))
        self.read_highlighted()

    def on_option_list_option_highlighted(self, _event: OptionList.OptionHighlighted) -> None:
        self.read_highlighted()

    def read_highlighted(self) -> None:
        """The message under the cursor is read: mark it so, once."""
        options = self.query_one(OptionList)
        if self.mark_read is None or options.highlighted is None or not options.option_count:
            return
        option = options.get_option_at_index(options.highlighted)
        notice_id = int(option.id.split(":", 1)[0]) if option.id else None
        notice = next((n for n in self.inbox.notices if n.id == notice_id), None)
        if notice is None or notice.read or notice_id in self.marking:
            return
        self.marking.add(notice_id)
        self.query_one(NavBar).set_unread(sum(1 for n in self.inbox.notices if not n.read and n.id not in self.marking))
        work.run(self, self.mark_read(notice_id), lambda _result: self.reload(), key=f"buyer.inbox.read.{notice_id}")

    @when_active
    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        order_id = event.option.id.split(":", 1)[1]
        if order_id:
            leave(self, order_id)
