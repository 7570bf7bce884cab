"""Seed 000: an order in transit can only be cancelled by refusing the delivery.
A warning first (refusing counts against the buyer: sellers are told to be careful
with them), then confirm: the command the flow gives (`core.services.refuse_delivery`)
runs off the UI thread, the package list busy until its answer is shown here."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Header, OptionList, Static
from textual.widgets.option_list import Option

from core.results import Success
from tui import work
from tui.lazy import lazy_import
from tui.screens.buyer_common import BuyerScreen, MovingOptionList
from tui.widgets.key_bar import KeyBar

if TYPE_CHECKING:
    from core.queries.orders import OrderView

queries = lazy_import("core.queries.buyer")


class PackageList(MovingOptionList):
    BINDINGS = [Binding("enter", "select", "Pick", show=False, id="buyer.refuse.pick")]


class BuyerRefuseScreen(BuyerScreen):
    DEFAULT_CSS = """
    BuyerRefuseScreen #refuse-warning {
        padding: 0 1; margin: 0 1; border: round $warning; height: auto;
    }
    BuyerRefuseScreen #refuse-label { padding: 0 1; margin-top: 1; text-style: bold; }
    BuyerRefuseScreen #refuse-packages { border: round $primary; }
    BuyerRefuseScreen #refuse-result { padding: 0 1; height: auto; }
    """
    BINDINGS = [
        Binding("y", "confirm", "Yes, refuse delivery", id="buyer.refuse.confirm",
                tooltip="Refuse the highlighted package when the carrier brings it"),
    ]

    def __init__(self, identity: str, order: OrderView, refuse: Callable[[str], Any]):
        """`refuse(package_id)`: the command that refuses that package."""
        super().__init__(identity)
        self.order, self.order_id, self.refuse = order, order.id, refuse
        self.done: Success | None = None
        self.title = "Refuse delivery"

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="refuse-warning")
        yield Static("The package to refuse:", id="refuse-label")
        yield PackageList(id="refuse-packages")
        yield Static(id="refuse-result")
        yield KeyBar()

    def on_mount(self) -> None:
        self.draw()
        self.query_one(OptionList).focus()

    def on_data_changed(self, message) -> None:
        if self.done is None:
            work.read(self, partial(queries.order, order_id=self.order_id), self.reread, key="buyer.refuse")

    def reread(self, order: OrderView | None) -> None:
        if order is not None and self.done is None and order != self.order:
            self.order = order
            self.draw()

    def draw(self) -> None:
        view = self.order
        refusals = view.buyer_refusals
        refusable = [p for p in view.packages if p.refusable]
        titles = view.titles()
        numbers = {p.id: n for n, p in enumerate(view.packages, start=1)}
        warning = Text()
        warning.append("Think twice before refusing a delivery\n", style="bold yellow")
        warning.append(
            "This order is already with the carrier, so refusing it at the door is the only way to "
            "cancel it. Refusing costs the seller and the carrier a trip, and it counts against you: "
            "sellers see that you refused deliveries and may be careful with your future orders.\n")
        before = (f"You have refused {refusals} deliver{'y' if refusals == 1 else 'ies'} before."
                  if refusals else "You have not refused a delivery before.")
        warning.append(before + " ", style="bold")
        warning.append("When the package is back with the seller, its items are cancelled and refunded.")
        self.query_one("#refuse-warning", Static).update(warning)
        options = self.query_one(OptionList)
        options.clear_options()
        for package in refusable:
            names = ", ".join(titles[i] for i in package.line_ids)
            options.add_option(Option(f"Package {numbers[package.id]} · {package.tracking_number or 'no tracking'}"
                                      f" · {names}", id=package.id))
        options.styles.height = max(1, len(refusable)) + 2
        if refusable:
            options.highlighted = 0
        else:
            self.query_one("#refuse-result", Static).update(
                "Nothing of this order is on its way any more, so there is nothing to refuse.")
        self.refresh_bindings()

    def check_action(self, action: str, parameters) -> bool | None:
        if action == "confirm":
            options = self.query_one(OptionList)
            return self.done is None and options.highlighted is not None and not options.loading
        return True

    def action_confirm(self) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is None:
            return
        package_id = options.get_option_at_index(options.highlighted).id
        work.run(self, self.refuse(package_id), self.refused, key="buyer.refuse.confirm", busy=options)

    def refused(self, result) -> None:
        options = self.query_one(OptionList)
        out = Text()
        if isinstance(result, Success):
            self.done = result
            out.append("Delivery refused\n", style="bold green")
            out.append("Tell the carrier you refuse the package when they bring it. Once it is back with "
                       "the seller, its items are cancelled and refunded; your Inbox has a note. "
                       "Press Esc to go back to the order.")
            options.disabled = True
        else:
            out.append("Could not refuse the delivery\n", style="bold red")
            out.append(result.message)
        self.query_one("#refuse-result", Static).update(out)
        self.refresh_bindings()
