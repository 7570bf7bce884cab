"""One order, whole, as the seller sees it (the card's Details; the scanner opens it
too): the buyer and their standing, the packages and what is in them, the amounts, a
buyer's pending request, every cancellation with its refund, the timeline, and what can
be done now; the card's actions as keys (the flow that showed it acts on them).

A read model (core.queries.details) in the seller's words, read off the UI thread and
again whenever the data changes; long titles wrap inside their column.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Header, Static

from core.money import format_money
from tui import work
from tui.active import leave
from tui.format import moment
from tui.lazy import lazy_import
from tui.widgets.key_bar import KeyBar

if TYPE_CHECKING:
    from core.queries.details import OrderDetails

details_query = lazy_import("core.queries.details")


class SellerOrderScreen(Screen):
    TITLE = "Order"
    BINDINGS = [
        Binding("escape", "back", "Back", id="order.back", tooltip="Back to the board"),
        Binding("c", "order('cancel')", "Cancel", id="order.cancel",
                tooltip="Cancel the order, a package, or (Out of Stock) some items"),
        Binding("p", "order('pack')", "Pack", id="order.pack", tooltip="Pack a package"),
        Binding("h", "order('handover')", "Hand over", id="order.handover",
                tooltip="Hand a package over to the carrier"),
        Binding("s", "order('split')", "Split", id="order.split", tooltip="Split into packages"),
        # rarer, and in the card's action menu too: in `?` and the palette, not the footer
        Binding("v", "order('deliver')", "Delivered", id="order.deliver", show=False,
                tooltip="Mark a package in transit delivered (asks first)"),
        Binding("r", "order('receive_return')", "Receive return", id="order.receive_return", show=False,
                tooltip="A refused package is back: cancel, restock and refund its items (asks first)"),
    ]

    def __init__(self, shop: str, order_id: str):
        super().__init__()
        self.shop, self.order_id = shop, order_id
        self.sub_title = f"{shop} · order {order_id}"
        self.details: OrderDetails | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="order-body"):
            yield Static(f"Order {self.order_id}", id="order-head", classes="screen-title")
            for part in ("buyer", "packages", "amounts", "request", "cancellations", "timeline", "actions"):
                yield Static(id=f"order-{part}")
        yield KeyBar()

    def on_mount(self) -> None:
        self.reread()

    def reread(self) -> None:
        read, order_id = details_query.order_details, self.order_id  # resolved on the UI thread (tui.lazy)
        work.read(self, lambda session, now: read(session, order_id), self.show, key="order.details")

    def on_data_changed(self, _message=None) -> None:
        self.reread()

    def on_screen_resume(self) -> None:
        self.reread()

    def show(self, details: OrderDetails | None) -> None:
        self.details = details
        if details is None:
            self.query_one("#order-head", Static).update(f"There is no order {self.order_id}.")
            for part in self.query("#order-body > Static").exclude("#order-head"):
                part.display = False
            return
        money = lambda minor: format_money(minor, details.currency)  # noqa: E731
        self.query_one("#order-head", Static).update(f"Order {details.id} · {details.status}")
        self.query_one("#order-buyer", Static).update(self._buyer(details))
        self.query_one("#order-packages", Static).update(self._packages(details, money))
        self.query_one("#order-amounts", Static).update(self._amounts(details, money))
        request = self.query_one("#order-request", Static)
        request.display = details.request is not None
        if details.request:
            request.update(Text.assemble((details.request, "bold yellow"), " · answer by ",
                                         (moment(details.request_deadline), "bold"),
                                         " (Requests: r on the board); unanswered, the system approves it"))
        cancellations = self.query_one("#order-cancellations", Static)
        cancellations.display = bool(details.cancellations)
        cancellations.update(self._cancellations(details, money))
        self.query_one("#order-timeline", Static).update(self._timeline(details))
        self.query_one("#order-actions", Static).update(self._actions(details))

    @staticmethod
    def _buyer(d: OrderDetails) -> Table:
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="dim", no_wrap=True)
        grid.add_column(ratio=1)
        grid.add_row("Buyer", Text.assemble(d.buyer, (f" ({d.buyer_name})", "dim"), " · ",
                                            (d.standing, "bold yellow" if d.buyer_refusals else "green"),
                                            justify="left"))
        grid.add_row("Ship to", f"{d.recipient}, {d.address}" if d.address else d.recipient or "—")
        dates = [f"placed {moment(d.created_at)}"]
        dates += [f"paid {moment(d.paid_at)}"] if d.paid_at else ["not paid yet"]
        dates += [f"ship by {moment(d.ship_by)}"] if d.ship_by else []
        grid.add_row("Dates", " · ".join(dates))
        return grid

    @staticmethod
    def _packages(d: OrderDetails, money) -> Group:
        parts = [Text("Packages", "bold")]
        sku_width = max((len(l.sku) for p in d.packages for l in p.lines), default=3) + 2
        for n, package in enumerate(d.packages, 1):  # a table each, with the same columns
            tracking = f" · tracking {package.tracking_number}" if package.tracking_number else ""
            parts.append(Text(f"Package {n} of {len(d.packages)}: {package.id} · {package.status} · "
                              f"{package.units}{tracking}", "bold", justify="left"))
            table = Table(box=None, padding=(0, 1), show_edge=False, header_style="dim", expand=True,
                          show_header=n == 1)
            table.add_column("  SKU", no_wrap=True, width=sku_width)
            table.add_column("Item", ratio=1)
            table.add_column("Units", justify="right", no_wrap=True, width=5)
            table.add_column("Cancelled", justify="right", no_wrap=True, width=9)
            table.add_column("Paid", justify="right", no_wrap=True, width=10)
            for line in package.lines:
                table.add_row(f"  {line.sku}", line.title, str(line.quantity),
                              str(line.cancelled) if line.cancelled else "", money(line.paid),
                              style="dim" if not line.live else None)
            parts.append(table)
        return Group(*parts)

    @staticmethod
    def _amounts(d: OrderDetails, money) -> Group:
        total = Text.assemble(("Total ", "bold"), (money(d.total), "bold"),
                              (f"  (items {money(d.subtotal)}, shipping {money(d.shipping)}, tax {money(d.tax)})",
                               "dim"), justify="left")
        if not d.refunded:
            return Group(total)
        return Group(total, Text.assemble(("Refunded ", "bold"), (money(d.refunded), "bold"), justify="left"))

    @staticmethod
    def _cancellations(d: OrderDetails, money) -> Group:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="dim", no_wrap=True)
        table.add_column(ratio=1)
        for c in d.cancellations:
            said = Text.assemble((c.summary, "bold"), f" · {c.reason}",
                                 ("" if c.status == "done" else f" · {c.status}", "yellow"), justify="left")
            said.append(f"\n{c.what}, by {c.by}", "dim")
            said.append_text(Text.assemble(("\nrefund ", "dim"), (money(c.refund_total), "bold"),
                                           (f" (items {money(c.refund_subtotal)}, shipping "
                                            f"{money(c.refund_shipping)}, tax {money(c.refund_tax)})", "dim")))
            for item in c.items:
                said.append(f"\n{item}", "dim")
            table.add_row(moment(c.at), said)
        return Group(Text("Cancellations", "bold"), table)

    @staticmethod
    def _timeline(d: OrderDetails) -> Group:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="dim", no_wrap=True)
        table.add_column(ratio=1)
        for event in d.timeline:
            table.add_row(moment(event.at), event.text)
        return Group(Text("Timeline", "bold"), table)

    @staticmethod
    def _actions(d: OrderDetails) -> Group:
        rows = [Text("What you can do now", "bold")]
        for action in d.actions:
            if action.action == "details":
                continue
            if action.allowed:
                rows.append(Text(f"  {action.label}"))
            else:
                rows.append(Text.assemble((f"  {action.label}: ", "dim"), (action.why_not, "dim italic")))
        return Group(*rows)

    def action_back(self) -> None:
        leave(self)

    def action_order(self, action: str) -> None:
        leave(self, action)  # the flow that showed the order acts on it
