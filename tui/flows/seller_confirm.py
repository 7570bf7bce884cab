"""Confirm what can't be undone (issue 15): approving a buyer's request, receiving a
returned package, marking a package delivered. Each flow reads the order (its snapshot:
core.queries.board), shows what will happen with the refund it computes (the figure
core.refunds gives, the same the command computes), and runs the command only after
Enter, with that refund as `expected_refund`: if the order changed meanwhile the command
refuses (`conflict`) rather than refund another figure. Escape changes nothing.
The commands are the ones the command line runs (`orderdesk requests approve`,
`receive-return`, `deliver`), off the UI thread (tui.work)."""

from __future__ import annotations

from rich.console import Group
from rich.text import Text

from core import services
from core.money import format_money
from core.queries import board
from core.words import plural
from tui import work
from tui.format import reason_text, status_label
from tui.messages import DataChanged
from tui.screens.confirm import ConfirmScreen
from tui.widgets.refund import refund_table


def changed(app) -> None:
    app.screen.post_message(DataChanged())


def approve_command(request_id: str, shop: str, expected_refund: int | None = None):
    return lambda db, now: services.approve_request(db, request_id, now=now, shop=shop,
                                                    expected_refund=expected_refund)


def move_command(action: str, package_id: str, shop: str, expected_refund: int | None = None):
    if action == "receive_return":
        return lambda db, now: services.receive_return(db, package_id, now=now, shop=shop,
                                                       expected_refund=expected_refund)
    return lambda db, now: services.deliver(db, package_id, now=now, shop=shop)


async def approve(app, shop: str, request) -> None:
    """Approve a buyer's request: the whole order is cancelled with the buyer's reason and
    refunded; shown first, done on Enter."""
    snap = await work.fetch(app, lambda session, now: board.snapshot(session, request.order_id))
    if snap is None:
        app.notify(f"There is no order {request.order_id}.", severity="error")
        return
    refund = snap.preview("order").refund
    cur = snap.order.currency
    body = Group(
        Text.assemble(("Buyer   ", "dim"), f"{request.buyer_name} ({request.buyer})"),
        Text.assemble(("Reason  ", "dim"), request.reason_text),
        Text.assemble(("Order   ", "dim"), status_label(snap.order.status), ", ",
                      f"{plural(snap.live_units(), 'unit')} still live"),
        Text(""),
        refund_table(refund, cur),
        Text(""),
        Text("The whole order is cancelled and refunded; the buyer gets an email. This can't be undone.",
             "italic"),
    )
    confirmed = await work.ask(app, ConfirmScreen(f"Approve the cancellation of order {request.order_id}?",
                                                  body, confirm=f"approve and refund {format_money(refund.total, cur)}"))
    if not confirmed:
        return
    result = await work.perform(app, approve_command(request.id, shop, refund.total))
    if result.ok:
        app.notify(f"Order {request.order_id} cancelled as the buyer asked; "
                   f"{format_money(refund.total, cur)} refunded, the customer's email is queued in the outbox.",
                   title="Request approved")
    else:
        app.notify(result.message, title="Not approved", severity="error")
    changed(app)


async def move(app, shop: str, snap: board.OrderSnapshot, action: str, package_id: str) -> None:
    """Mark a package delivered, or receive a refused package back (its units are then
    cancelled with "Package rejected", restocked and refunded): shown first, done on Enter."""
    cur = snap.order.currency
    units = snap.live_units(package_id)
    if action == "receive_return":
        refund = snap.preview("package", package_id=package_id).refund
        title = f"Receive package {package_id} back?"
        body = Group(
            Text(f"The refused package is back at the warehouse. Its {plural(units, 'unit')} {'is' if units == 1 else 'are'} cancelled, "
                 f"restocked and refunded to the buyer; reason: {reason_text('package_rejected')}."),
            Text(""), refund_table(refund, cur), Text(""),
            Text("The buyer gets an email. This can't be undone.", "italic"))
        confirm, expected = f"receive and refund {format_money(refund.total, cur)}", refund.total
    else:
        title = f"Mark package {package_id} delivered?"
        body = Text(f"Order {snap.order.id}: the package ({plural(units, 'unit')}) reached the buyer. The order's "
                    "return window starts now. This can't be undone.")
        confirm, expected = "mark it delivered", None
    if not await work.ask(app, ConfirmScreen(title, body, confirm=confirm)):
        return
    result = await work.perform(app, move_command(action, package_id, shop, expected))
    label = board.ACTIONS[action]
    if result.ok:
        app.notify(f"Package {package_id}: {result.message}", title=label)
    else:
        app.notify(result.message, title=f"{label}: not done", severity="error")
    changed(app)
