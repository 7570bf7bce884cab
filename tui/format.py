"""Plain-text renderings shared by the CLI and the screens."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from core import rules
from core.clock import as_utc
from core.money import format_money

if TYPE_CHECKING:
    from core.queries.orders import OrderView

# The read models' keys in words (`orders show` and the failed-cancel screen print them).
ACTION_WORDS = {
    "cancel": "cancel", "request_cancel": "ask the shop to cancel", "refuse_delivery": "refuse the delivery",
    "buy_again": "buy again", "cancel_order": "cancel the order", "cancel_package": "cancel a package",
    "cancel_items": "cancel items (Out of Stock)", "pack": "pack", "handover": "hand over to the carrier",
    "deliver": "mark delivered",
}
ROLE_WORDS = {"seller": "shop", "buyer": "buyer", "system": "system"}
CANCELLATION_WORDS = {"success": "done", "complete": "done", "request_pending": "requested, waiting for the shop",
                      "closed": "closed", "failed": "failed"}


def order_text(o: OrderView) -> str:
    """An order, whole, as a few lines of text."""
    cur = o.currency
    out = [f"Order {o.id}: {o.status_text}", f"  {o.shop} · buyer {o.buyer}"]
    title_width = max((len(line.title) for line in o.lines), default=0)  # whole titles, never cut
    for p in o.packages:
        out.append(f"  Package {p.id} ({p.status_text})")
        for line in o.lines:
            if line.package_id == p.id:
                why = line.item_cancel.why_not
                out.append(f"    {line.id}  {line.sku:<14} {line.title:<{title_width}} "
                           f"x{line.quantity} (cancelled {line.cancelled_quantity})"
                           + ("" if line.item_cancel.allowed else f"  - {why}"))
    t = o.totals
    out.append(f"  Total {format_money(t.total, cur)} (items {format_money(t.subtotal, cur)}, "
               f"shipping {format_money(t.shipping, cur)}, tax {format_money(t.tax, cur)}); "
               f"refunded {format_money(t.refunded, cur)}")
    out.append(f"  The buyer can: {', '.join(ACTION_WORDS[a] for a in o.actions.buyer) or 'nothing now'}")
    out.append(f"  The shop can: {', '.join(ACTION_WORDS[a] for a in o.actions.seller) or 'nothing now'}")
    if o.pending_request:
        out.append(f"  Cancellation requested ({o.pending_request.id}), seller must answer by "
                   f"{o.pending_request.deadline_at}")
    for c in o.cancellations:
        out.append(f"  Cancellation {c.id} by the {ROLE_WORDS.get(c.role, c.role)}: {c.reason_text} · "
                   f"{CANCELLATION_WORDS.get(c.status, c.status)} · refund {format_money(c.refund.total, cur)}")
    return "\n".join(out)


def status_label(status: str) -> str:
    """An order's or package's status as the seller centre words it."""
    return rules.STATUS_LABELS[status]


def reason_text(reason: str) -> str:
    """A cancellation reason as a person reads it."""
    return rules.REASON_TEXT[reason]


def moment(when: datetime | None) -> str:
    """An instant as a person reads it: "Nov 20, 11:37" (UTC), "—" for none."""
    if when is None:
        return "—"
    when = as_utc(when)
    return f"{when:%b} {when.day}, {when:%H:%M}"
