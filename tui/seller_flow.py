"""What the seller's keys do to an order, shared by the board and the order screen.

Each action reads the order (core.queries.board.snapshot), asks the rules' verdicts that
come with it, and either opens the next screen or calls one core.services command
and shows its result. No rule is decided here.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from typing import TYPE_CHECKING

from textual.screen import Screen

from tui.lazy import lazy_import

if TYPE_CHECKING:
    from core.queries.board import OrderSnapshot

board = lazy_import("core.queries.board")
services = lazy_import("core.services")

ACTIONS = {  # the order card's action menu (seed 003), in its order
    "cancel": "Cancel order",
    "pack": "Pack",
    "handover": "Hand over to carrier",
    "split": "Split into packages",
    "details": "Details",
}


@dataclass
class CancelDraft:
    """The cancel wizard's choices so far, against the order as first read."""

    shop: str
    snap: OrderSnapshot
    origin: Screen  # where the wizard returns to
    reason: str | None = None
    scope: str | None = None  # order | package | items
    package_id: str | None = None
    items: dict[str, int] = field(default_factory=dict)
    idempotency_key: str = field(default_factory=lambda: f"tui-{uuid.uuid4()}")

    @property
    def order_id(self) -> str:
        return self.snap.order.id

    def preview(self) -> board.CancelPreview:
        return board.cancel_preview(self.snap, self.scope, package_id=self.package_id,
                                    items=self.items if self.scope == "items" else None)


def read_snapshot(screen: Screen, order_id: str) -> OrderSnapshot | None:
    with screen.app.db.read() as session:
        return board.snapshot(session, order_id)


def menu_choices(snap: OrderSnapshot) -> list[tuple[str, str, str | None]]:
    """(action, label, why not) for the action menu; why not is None when allowed."""
    out = []
    for action, label in ACTIONS.items():
        why = None
        if action == "cancel":
            verdicts = [snap.whole_order()] + [p for p in snap.package_choices()]
            if not any(v.allowed for v in verdicts):
                why = snap.whole_order().why_not
        elif action in ("pack", "handover"):
            choices = snap.logistics_choices(action)
            if not any(c.allowed for c in choices):
                why = next((c.why_not for c in choices if c.why_not), "Nothing to do.")
        elif action == "split":
            sources = snap.split_sources()
            if not any(c.allowed for c in sources):
                why = next((c.why_not for c in sources if c.why_not), "Nothing to split.")
        out.append((action, label, why))
    return out


def run_action(screen: Screen, shop: str, order_id: str, action: str) -> None:
    """Run one of the action menu's actions on an order, from `screen`."""
    snap = read_snapshot(screen, order_id)
    if snap is None:
        screen.notify(f"There is no order {order_id}.", severity="error")
        return
    why = dict((a, w) for a, _, w in menu_choices(snap)).get(action)
    if why:
        screen.notify(why, title=ACTIONS[action], severity="warning")
        return
    app = screen.app
    if action == "details":
        from tui.screens.seller_order import SellerOrderScreen
        app.push_screen(SellerOrderScreen(shop, order_id))
    elif action == "cancel":
        from tui.screens.seller_cancel_reason import CancelReasonScreen
        app.push_screen(CancelReasonScreen(CancelDraft(shop, snap, screen)))
    elif action in ("pack", "handover"):
        allowed = [c for c in snap.logistics_choices(action) if c.allowed]
        if len(allowed) == 1:
            move_package(screen, shop, action, allowed[0].id)
        else:
            from tui.screens.seller_package_pick import PackagePickScreen
            app.push_screen(PackagePickScreen(f"{ACTIONS[action]}: which package of order {order_id}?",
                                              snap.logistics_choices(action)),
                            lambda package_id: package_id and move_package(screen, shop, action, package_id))
    elif action == "split":
        from tui.screens.seller_split import SplitScreen
        allowed = [c for c in snap.split_sources() if c.allowed]
        if len(allowed) == 1:
            app.push_screen(SplitScreen(shop, snap, allowed[0].id))
        else:
            from tui.screens.seller_package_pick import PackagePickScreen
            app.push_screen(PackagePickScreen(f"Split: which package of order {order_id}?",
                                              snap.split_sources()),
                            lambda package_id: package_id and app.push_screen(SplitScreen(shop, snap, package_id)))


def move_package(screen: Screen, shop: str, action: str, package_id: str) -> None:
    command = {"pack": services.pack, "handover": services.handover}[action]
    result = command(screen.app.db, package_id, now=screen.app.now(), shop=shop)
    if result.ok:
        screen.notify(f"Package {package_id}: {result.message}", title=ACTIONS[action])
    else:
        screen.notify(result.message, title=f"{ACTIONS[action]}: not done", severity="error")
    refresh = getattr(screen, "reread", None)
    if refresh:
        refresh()
