"""The seller's cancel wizard, one flow (seed 003): reason → what (the whole order, a
package, or with Out of Stock some items) → how many of each item → review → Submit,
then done, or "failed" with the order as it is now.

Each step is a screen that answers and leaves; this flow decides what comes next, so
Escape on a step is "back" to the one before it (the choice made there is kept), and
on the first step leaves the wizard. Every choice is checked against the order as
first read (its version): Submit sends that version and the reviewed refund, and the
core refuses rather than refund another figure.
"""

from __future__ import annotations

import uuid
from dataclasses import replace

from core import services
from core.money import format_money
from core.queries import board
from core.queries import orders
from tui import work
from tui.format import order_text
from tui.screens.seller_cancel_failed import CancelFailedScreen
from tui.screens.seller_cancel_items import CancelItemsScreen
from tui.screens.seller_cancel_reason import CancelReasonScreen
from tui.screens.seller_cancel_review import CancelReviewScreen
from tui.screens.seller_cancel_scope import CancelScopeScreen

TITLE = "Cancel order"


def submit_command(draft: board.CancelDraft):
    """The core command Submit runs, as `command(db, now)` (tui.work)."""
    def command(db, now):
        return services.seller_cancel(
            db, draft.order_id, draft.reason, now=now, shop=draft.shop,
            package_id=draft.package_id if draft.scope == "package" else None,
            items=dict(draft.items) if draft.scope == "items" else None,
            idempotency_key=draft.idempotency_key, expected_version=draft.snap.version,
            expected_refund=draft.preview.refund.total)
    return command


def steps(draft: board.CancelDraft, step: str) -> list[str]:
    """The steps this cancellation goes through, as known at `step`: "items" only for
    some items, which is decided on "scope"; before that (on "reason" and "scope",
    also when coming back to change it) it counts while it could still be chosen."""
    if step in ("reason", "scope"):
        snap = draft.snap
        reasons = [draft.reason] if step == "scope" else list(snap.seller_reasons)
        items = any(snap.items_allowed(r).allowed for r in reasons)
    else:
        items = draft.scope == "items"
    return ["reason", "scope", *(["items"] if items else []), "review"]


def step_text(draft: board.CancelDraft, step: str) -> str:
    """"step 2 of 4", right on every step (the screens show what the flow says)."""
    path = steps(draft, step)
    return f"step {path.index(step) + 1} of {len(path)}"


def new_draft(shop: str, snap: board.OrderSnapshot, reason: str | None = None) -> board.CancelDraft:
    return board.CancelDraft(shop, snap, f"tui-{uuid.uuid4()}", reason=reason)


async def cancel(app, shop: str, snap: board.OrderSnapshot) -> None:
    """The wizard on an order as read (`snap`), from its first step."""
    draft = new_draft(shop, snap)
    step = "reason"
    while step:
        if step == "reason":
            reason = await work.ask(app, CancelReasonScreen(draft, step_text(draft, step)))
            if reason is None:
                return
            draft, step = replace(draft, reason=reason), "scope"
        elif step == "scope":
            scope = await work.ask(app, CancelScopeScreen(draft, step_text(draft, step)))
            if scope is None:
                step = "reason"
            elif scope == "items":
                draft, step = replace(draft, scope="items", package_id=None), "items"
            elif scope.startswith("package:"):
                draft, step = replace(draft, scope="package", package_id=scope.split(":", 1)[1], items={}), "review"
            else:
                draft, step = replace(draft, scope="order", package_id=None, items={}), "review"
        elif step == "items":
            items = await work.ask(app, CancelItemsScreen(draft, step_text(draft, step)))
            if items is None:
                step = "scope"
            else:
                draft, step = replace(draft, items=items), "review"
        elif step == "review":
            result = await work.ask(app, CancelReviewScreen(draft, submit_command(draft), step_text(draft, step)))
            if result is None:
                step = "items" if draft.scope == "items" else "scope"
            elif result.ok:
                done(app, draft, result)
                return
            else:
                draft = await failed(app, draft, result)
                step = "reason" if draft is not None else None


async def out_of_stock(app, shop: str, snap: board.OrderSnapshot, items: dict[str, int]) -> bool:
    """The Out of Stock item cancellation already filled with `items` ({line: units}, the
    units a packer found short): its review with the refund, where Enter submits. True
    when it was done; refused, it shows why and the order now (`failed`), and the caller
    reads the order again."""
    draft = replace(new_draft(shop, snap, "out_of_stock"), scope="items", items=dict(items))
    result = await work.ask(app, CancelReviewScreen(draft, submit_command(draft), "units short on the shelf"))
    if result is None:
        return False
    if result.ok:
        done(app, draft, result)
        return True
    await failed(app, draft, result)
    return False


def done(app, draft: board.CancelDraft, result) -> None:
    refund = format_money(result.record["refund"]["total"], draft.snap.order.currency)
    app.notify(f"Refund {refund}. The customer's email is queued in the outbox.",
               title=f"Order {draft.order_id}: {draft.preview.summary}")


async def failed(app, draft: board.CancelDraft, refusal) -> board.CancelDraft | None:
    """Submit was refused: show why and the order now; a new draft to start again from
    (the reason kept), or None."""
    order_id = draft.order_id
    view = await work.fetch(app, lambda session, now: orders.read_order(session, order_id, now))
    answer = await work.ask(app, CancelFailedScreen(draft.shop, order_id, refusal, order_text(view) if view else ""))
    if answer != "again":
        return None
    snap = await work.fetch(app, lambda session, now: board.snapshot(session, order_id))
    if snap is None or not snap.seller_reasons:
        app.notify(f"Order {order_id} can't be cancelled now.", title=TITLE, severity="warning")
        return None
    return new_draft(draft.shop, snap, draft.reason)
