"""What the seller's keys do to an order, and the board's other ways out: each is a
flow (tui.work.flow) that reads the order's snapshot (core.queries.board: every verdict
with it), asks the screens it needs, runs one core.services command off the UI thread,
and says how it went. No rule is decided here; screens only answer.
"""

from __future__ import annotations

from collections.abc import Callable

from core import services
from core.queries import board
from tui import work
from tui.flows import claims, seller_cancel, seller_confirm, seller_pack
from tui.messages import DataChanged
from tui.screens.seller_actions import ActionMenuScreen
from tui.screens.seller_order import SellerOrderScreen
from tui.screens.seller_outbox import SellerOutboxScreen
from tui.screens.seller_package_pick import PackagePickScreen
from tui.screens.seller_products import ProductPickScreen
from tui.screens.seller_reject import RejectReasonScreen
from tui.screens.seller_requests import SellerRequestsScreen
from tui.screens.seller_split import SplitScreen
from tui.widgets.card_list import CardList


def start(app, flow) -> None:
    """Start a flow of this module, e.g. `start(app, menu(app, shop, order_id))`."""
    work.flow(app, flow)


def changed(app) -> None:
    """A command here changed the data: the screen on top shows it at once (the
    watcher would within a second)."""
    app.screen.post_message(DataChanged())


def read_snapshot(order_id: str):
    return lambda session, now: board.snapshot(session, order_id)


# -- commands, as `command(db, now)` (tui.work) ------------------------------------------
def move_command(action: str, package_id: str, shop: str, *, station: str | None):
    """Pack or hand over, at `station` (`app.station`; required: a pack at no station is
    refused while any station's claim holds the package, this one's too)."""
    if action == "pack":
        return lambda db, now: services.pack(db, package_id, now=now, shop=shop, station=station)
    return lambda db, now: services.handover(db, package_id, now=now, shop=shop)


def split_command(package_id: str, shop: str) -> Callable:
    """For the split screen: the command that moves `moves` ({line: units})."""
    return lambda moves: lambda db, now: services.split_package(db, package_id, moves, now=now, shop=shop)


def reject_command(request_id: str, reason: str, shop: str):
    return lambda db, now: services.reject_request(db, request_id, reason, now=now, shop=shop)


# -- flows ---------------------------------------------------------------------------
async def menu(app, shop: str, order_id: str) -> None:
    """The order card's action menu, then the action chosen."""
    snap = await work.fetch(app, read_snapshot(order_id))
    if snap is None:
        app.notify(f"There is no order {order_id}.", severity="error")
        return
    action = await work.ask(app, ActionMenuScreen(snap))
    if action:
        await act_on(app, shop, snap, action)


async def act(app, shop: str, order_id: str, action: str) -> None:
    """One of the action menu's actions (cancel, pack, handover, split, details), by its key."""
    snap = await work.fetch(app, read_snapshot(order_id))
    if snap is None:
        app.notify(f"There is no order {order_id}.", severity="error")
        return
    await act_on(app, shop, snap, action)


async def act_on(app, shop: str, snap: board.OrderSnapshot, action: str) -> None:
    why = snap.why_not(action)
    if why:
        app.notify(why, title=board.ACTIONS[action], severity="warning")
        return
    order_id = snap.order.id
    if action == "details":
        await details(app, shop, order_id)
    elif action == "cancel":
        await seller_cancel.cancel(app, shop, snap)
    elif action == "pack":
        package_id = await pick_package(app, f"Pack: which package of order {order_id}?", snap.logistics[action])
        if package_id:
            await pack(app, shop, package_id)
    elif action == "handover":
        package_id = await pick_package(app, f"{board.ACTIONS[action]}: which package of order {order_id}?",
                                        snap.logistics[action])
        if package_id:
            result = await work.perform(app, move_command(action, package_id, shop, station=app.station))
            if result.ok:
                app.notify(f"Package {package_id}: {result.message}", title=board.ACTIONS[action])
            else:
                app.notify(result.message, title=f"{board.ACTIONS[action]}: not done", severity="error")
            changed(app)
    elif action in ("deliver", "receive_return"):
        package_id = await pick_package(app, f"{board.ACTIONS[action]}: which package of order {order_id}?",
                                        snap.logistics[action])
        if package_id:
            await seller_confirm.move(app, shop, snap, action, package_id)
    elif action == "split":
        package_id = await pick_package(app, f"Split: which package of order {order_id}?", snap.split_sources)
        if package_id:
            result = await work.ask(app, SplitScreen(shop, snap, package_id, split_command(package_id, shop)))
            if result is not None:
                app.notify(f"New package {result.record['id']} for order {order_id}.", title="Split")
                changed(app)


async def pack(app, shop: str, package_id: str) -> None:
    """Open a package to pack it: the one way in (the board's and the order's Pack, a
    scanned package label), so what opening a package means is decided here: this
    station claims it first (tui/flows/claims.py), then its pack check opens."""
    if not await claims.claim(app, shop, package_id):
        changed(app)
        return
    if await seller_pack.pack(app, shop, package_id, station=app.station):
        changed(app)


async def pick_package(app, title: str, choices) -> str | None:
    """The one package the action can apply to, or the one the seller picks (the picker
    sits at the bottom: the board shows the order's card first, above it)."""
    allowed = [c for c in choices if c.allowed]
    if len(allowed) == 1:
        return allowed[0].id
    for cards in app.screen.query(CardList):
        cards.current_to_top()
    return await work.ask(app, PackagePickScreen(title, choices))


async def details(app, shop: str, order_id: str) -> None:
    """The whole order; its keys (cancel, pack...) act on it, then it shows again."""
    while (action := await work.ask(app, SellerOrderScreen(shop, order_id))) is not None:
        await act(app, shop, order_id, action)


async def products(app, shop_id: int, chosen: frozenset[str], then: Callable[[frozenset[str]], None]) -> None:
    """The product filter: the shop's SKUs to pick from; `then(picked)` unless cancelled."""
    skus = await work.fetch(app, lambda session, now: board.shop_skus(session, shop_id))
    picked = await work.ask(app, ProductPickScreen(skus, chosen))
    if picked is not None:
        then(picked)


def requests_screen(app, shop: str) -> None:
    """The buyers' requests: approve there; reject and details are flows over it."""
    app.push_screen(SellerRequestsScreen(
        shop, approve=lambda request: start(app, seller_confirm.approve(app, shop, request)),
        reject=lambda request: start(app, reject(app, shop, request)),
        details=lambda request: start(app, details(app, shop, request.order_id))))


def outbox_screen(app, shop: str) -> None:
    app.push_screen(SellerOutboxScreen(shop))


async def reject(app, shop: str, request) -> None:
    """Reject a buyer's request with a reject reason that is true of the order."""
    snap = await work.fetch(app, read_snapshot(request.order_id))
    reason = await work.ask(app, RejectReasonScreen(request.order_id, snap.reject_reasons if snap else {}))
    if not reason:
        return
    result = await work.perform(app, reject_command(request.id, reason, shop))
    if result.ok:
        app.notify(f"The buyer of order {request.order_id} is told why.", title="Request rejected")
    else:
        app.notify(result.message, title="Not rejected", severity="error")
    changed(app)
