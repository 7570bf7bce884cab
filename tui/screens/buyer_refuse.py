"""Seed 000: an order in transit can only be cancelled by refusing the delivery.
A warning first (refusing counts against the buyer: sellers are told to be careful
with them), then confirm. `core.services.refuse_delivery` does it."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Header, OptionList, Static
from textual.widgets.option_list import Option

from core import rules, services
from core.queries import orders as queries
from core.results import Success
from tui.screens.buyer_common import BuyerScreen, MovingOptionList


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

    def __init__(self, identity: str, order_id: str):
        super().__init__(identity)
        self.order_id = order_id
        self.done: Success | None = None
        self.refusals = 0
        self.title = "Refuse delivery"

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="refuse-warning")
        yield Static("The package to refuse:", id="refuse-label")
        yield PackageList(id="refuse-packages")
        yield Static(id="refuse-result")
        yield Footer()

    def on_mount(self) -> None:
        self.reload()
        self.query_one(OptionList).focus()

    def on_data_changed(self, message) -> None:
        if self.done is None:
            self.reload()

    def reload(self) -> None:
        with self.app.db.read() as session:
            view = queries.order_view(session, self.order_id, self.app.now())
            state = services.load_order(session, self.order_id, lock=False)
            refusable = [p for p in state.packages if rules.refuse_delivery(state.order, p).allowed]
            self.refusals = state.buyer.refusal_count
        titles = {line["id"]: line["title"] for line in view["lines"]}
        numbers = {p["id"]: n for n, p in enumerate(view["packages"], start=1)}
        lines_of = {p["id"]: p["line_ids"] for p in view["packages"]}
        warning = Text()
        warning.append("Think twice before refusing a delivery\n", style="bold yellow")
        warning.append(
            "This order is already with the carrier, so refusing it at the door is the only way to "
            "cancel it. Refusing costs the seller and the carrier a trip, and it counts against you: "
            "sellers see that you refused deliveries and may be careful with your future orders.\n")
        before = (f"You have refused {self.refusals} deliver{'y' if self.refusals == 1 else 'ies'} before."
                  if self.refusals else "You have not refused a delivery before.")
        warning.append(before + " ", style="bold")
        warning.append("When the package is back with the seller, its items are cancelled and refunded.")
        self.query_one("#refuse-warning", Static).update(warning)
        options = self.query_one(OptionList)
        options.clear_options()
        for package in refusable:
            names = ", ".join(titles[i] for i in lines_of[package.id])
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
            return self.done is None and self.query_one(OptionList).highlighted is not None
        return True

    def action_confirm(self) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is None:
            return
        package_id = options.get_option_at_index(options.highlighted).id
        result = services.refuse_delivery(self.app.db, package_id, now=self.app.now(), user=self.identity)
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
