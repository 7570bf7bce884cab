"""The rulebook: who may cancel what, when, and why not.

Everything here is data or a pure function of an order's state; services ask
these functions before changing anything and screens show their answers
(allowed, max quantity, why not, the way out). Sources: seed 000 (buyer),
seed 003 (seller), ../shared/DOMAIN.md.

Decisions where the seeds are silent (also in the README):
- A seller may cancel one package whenever the package is Awaiting Shipment or
  Awaiting Collection and the order is paid and past its hold, or on hold.
- Item (quantity) cancellation needs the *order* and the line's *package* both to
  be Awaiting Shipment (seed 003: "orders and packages with an Awaiting Shipment
  status"), and the reason Out of Stock.
- A `returned` package (delivery refused, on its way back) counts as collected.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from core import words
from core.words import plural

# -- statuses ---------------------------------------------------------------
ORDER_STATUSES = (
    "unpaid", "on_hold", "awaiting_shipment", "awaiting_collection",
    "partially_shipping", "in_transit", "delivered", "completed", "cancelled",
)
PACKAGE_STATUSES = (
    "awaiting_shipment", "awaiting_collection", "in_transit", "delivered", "returned", "cancelled",
)
STATUS_LABELS = {
    "unpaid": "Unpaid", "on_hold": "On Hold", "awaiting_shipment": "Awaiting Shipment",
    "awaiting_collection": "Awaiting Collection", "partially_shipping": "Partially Shipping",
    "in_transit": "In Transit", "delivered": "Delivered", "completed": "Completed",
    "cancelled": "Cancelled", "returned": "Returned",
}
COLLECTED = frozenset({"in_transit", "delivered", "returned"})


def still_live(packages: Iterable, lines: Iterable, cancelling: Mapping[str, int] | None = None):
    """Each line of an order (packages with `id` and `status`, lines with `id`,
    `package_id`, `quantity` and `cancelled_quantity`) with units still live once
    `cancelling` ({line id: units}) more are cancelled: (line, units, shipped?)."""
    cancelling = cancelling or {}
    status = {p.id: p.status for p in packages}
    for line in lines:
        live = line.quantity - line.cancelled_quantity - cancelling.get(line.id, 0)
        if live > 0 and status.get(line.package_id) != "cancelled":
            yield line, live, status.get(line.package_id) in COLLECTED


def left_after(packages: Iterable, lines: Iterable, cancelling: Mapping[str, int] | None = None) -> words.Left:
    """What is still live in an order once `cancelling` more are cancelled (`still_live`)."""
    to_ship = shipped = 0
    for _line, live, collected in still_live(packages, lines, cancelling):
        if collected:
            shipped += live
        else:
            to_ship += live
    return words.Left(to_ship, shipped)


_PROGRESS = {"awaiting_shipment": 0, "awaiting_collection": 1, "in_transit": 2, "returned": 2, "delivered": 3}
_ORDER_STATUS_OF_PACKAGE = {
    "awaiting_shipment": "awaiting_shipment", "awaiting_collection": "awaiting_collection",
    "in_transit": "in_transit", "returned": "in_transit", "delivered": "delivered",
}


def derive_order_status(
    package_statuses: Iterable[str], *, paid: bool, on_hold: bool = False, completed: bool = False
) -> str:
    """DOMAIN.md: the least advanced live package wins, except that a mix of
    collected and not-yet-collected packages is `partially_shipping`."""
    live = [s for s in package_statuses if s != "cancelled"]
    if not live:
        return "cancelled"
    if not paid:
        return "unpaid"
    if on_hold:
        return "on_hold"
    collected = [s in COLLECTED for s in live]
    if any(collected) and not all(collected):
        return "partially_shipping"
    status = _ORDER_STATUS_OF_PACKAGE[min(live, key=_PROGRESS.__getitem__)]
    return "completed" if status == "delivered" and completed else status


# -- reasons (TikTok API, US) -------------------------------------------------
BUYER_REASONS = {
    "change_address": "Need to change shipping address",
    "better_price": "Better price available",
    "no_longer_needed": "No longer needed",
    "change_payment": "Need to change payment method",
    "discount_not_expected": "Discount not as expected",
    "bought_by_mistake": "Bought by mistake",
    "high_shipping_fee": "High shipping fee",
    "incorrect_address": "Incorrect shipping address",
    "not_shipped_on_time": "Item wasn't shipped on time",
    "forgot_coupon": "Forgot to apply coupons",
    "dont_want_to_wait": "Don't want to wait",
    "add_items": "Want to add more items",
}
SELLER_REASONS = {
    "out_of_stock": "Out of stock",
    "pricing_error": "Pricing error",
    "unable_to_deliver": "Unable to deliver",
    "buyer_requested": "Buyer requested cancellation",
}
REJECT_REASONS = {
    "multiple_packages": "Products were shipped in multiple packages",
    "cannot_change_address": "Unable to change address",
    "already_shipped": "Product shipped, tracking updates soon",
    "already_packed": "Product has been packed",
}
SYSTEM_REASONS = {
    "package_rejected": "Package rejected (delivery refused)",
    "delivery_failed": "Package delivery failed",
    "collection_timeout": "Collection timeout",
    "dispatch_timeout": "Dispatch timeout (not packed in time)",
    "payment_overdue": "Buyer payment overdue",
    "seller_no_response": "Seller did not respond (request auto-approved)",
}
REASON_TEXT = {**BUYER_REASONS, **SELLER_REASONS, **REJECT_REASONS, **SYSTEM_REASONS}
REASONS_BY_ROLE = {"buyer": BUYER_REASONS, "seller": SELLER_REASONS, "reject": REJECT_REASONS}

BUYER_CANCEL_STATUSES = frozenset({"unpaid", "on_hold", "awaiting_shipment", "awaiting_collection"})
# Buyer reasons that only make sense in some statuses; the others fit every status above.
# Where a buyer's reason fits: a cancel or a request, also one for what has not been
# collected of a Partially Shipping order (issue 17).
BUYER_ASK_STATUSES = BUYER_CANCEL_STATUSES | {"partially_shipping"}
BUYER_REASON_STATUSES = {
    "change_payment": frozenset({"unpaid"}),
    "not_shipped_on_time": frozenset({"awaiting_shipment", "awaiting_collection", "partially_shipping"}),
    "dont_want_to_wait": frozenset({"on_hold", "awaiting_shipment", "awaiting_collection", "partially_shipping"}),
}
SELLER_ORDER_CANCEL_STATUSES = frozenset({"on_hold", "awaiting_shipment", "awaiting_collection"})
SELLER_PACKAGE_CANCEL_ORDER_STATUSES = frozenset(
    {"on_hold", "awaiting_shipment", "awaiting_collection", "partially_shipping"}
)
SELLER_PACKAGE_CANCEL_STATUSES = frozenset({"awaiting_shipment", "awaiting_collection"})
ITEM_CANCEL_ORDER_STATUSES = frozenset({"awaiting_shipment"})
ITEM_CANCEL_PACKAGE_STATUSES = frozenset({"awaiting_shipment"})
ITEM_CANCEL_REASONS = frozenset({"out_of_stock"})

REQUEST_DEADLINE = timedelta(hours=24)  # TikTok API: SELLER_RESPOND_CANCEL


# -- verdicts -------------------------------------------------------------------
@dataclass(frozen=True)
class Verdict:
    """The answer to "may this actor do this?", ready for a screen or the CLI."""

    allowed: bool
    code: str | None = None  # stable refusal code
    why_not: str | None = None  # what a person reads, with what to do next
    next_step: str | None = None  # contact_seller | refuse_delivery | update_app | buy_again
    mode: str | None = None  # buyer cancel: "cancel" (at once) or "request" (seller answers)
    max_quantity: int | None = None

    def as_dict(self) -> dict:
        return {"allowed": self.allowed, "max_quantity": self.max_quantity, "why_not": self.why_not}


def _no(code: str, why: str, next_step: str | None = None, **kw) -> Verdict:
    return Verdict(False, code, why, next_step, **kw)


_BUYER_CANNOT = {
    "awaiting_collection": _no(
        "order_packed",
        "The seller has packed this order and it is waiting for the carrier, so it can't be "
        "cancelled here any more. Contact the seller to ask them to cancel it.",
        "contact_seller",
    ),
    "partially_shipping": _no(
        "order_shipped",
        "Part of this order is already with the carrier. The only way to cancel now is to "
        "refuse the delivery when it arrives.",
        "refuse_delivery",
    ),
    "in_transit": _no(
        "order_shipped",
        "This order is with the carrier. The only way to cancel now is to refuse the delivery "
        "when it arrives.",
        "refuse_delivery",
    ),
    "delivered": _no(
        "order_delivered",
        "This order has been delivered, so it can't be cancelled. Ask for a return or refund instead.",
    ),
    "completed": _no(
        "order_delivered",
        "This order is completed, so it can't be cancelled.",
    ),
    "cancelled": _no(
        "order_cancelled", "This order is already cancelled. You can buy the items again.", "buy_again"
    ),
}


def version_tuple(version: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in version.strip().split("."))
    except ValueError:
        raise ValueError(f"{version!r} is not an app version like 34.1.0") from None


UNCOLLECTED = frozenset({"awaiting_shipment", "awaiting_collection"})


def _shipped_verdict(packages, request_pending: bool) -> Verdict | None:
    """An order partly or wholly with the carrier, by its packages (None: the order's
    status says it all). Decisions where the spec is silent (issue 17): what has not
    left the seller yet can be asked for with Contact seller, as a packed order can;
    a refused package on its way back leaves nothing to do but wait."""
    moving = [p for p in packages if p.status == "in_transit"]
    waiting = [p for p in packages if p.status in UNCOLLECTED]
    refused = [p for p in packages if p.status == "returned"]
    if waiting and request_pending:
        return _no("request_pending", "You asked the seller to cancel what hasn't been shipped yet; "
                   "wait for their answer.")
    if waiting:
        first = ("Part of this order is with the carrier: refuse it when it arrives." if moving else
                 "Part of this order has already shipped, so it can't be cancelled here.")
        these = f"Package {waiting[0].id} hasn't" if len(waiting) == 1 else \
            f"{words.plural(len(waiting), 'package')} haven't"
        return _no("order_shipped", f"{first} {these} been collected yet: contact the seller to ask them "
                   "to cancel it.", "refuse_delivery" if moving else "contact_seller")  # both: buyer_actions
    if refused and not moving:
        these = f"package {refused[0].id}" if len(refused) == 1 else words.plural(len(refused), "package")
        return _no("delivery_refused",
                   f"You refused the delivery of {these}: it is on its way back to the seller. When it is "
                   "back, its items are cancelled and refunded; there is nothing else to do.")
    return None


def requested_packages(order, packages) -> list:
    """What a buyer's request asks the seller to cancel: the whole order, or in a
    Partially Shipping order the packages not collected yet."""
    if order.status == "partially_shipping":
        return [p for p in packages if p.status in UNCOLLECTED]
    return [p for p in packages if p.status != "cancelled"]


def request_approval(order, packages) -> Verdict:
    """May a buyer's request be approved (by the seller, or by time)? The whole order
    as a seller cancels it; in a Partially Shipping order, each package not collected."""
    if order.status != "partially_shipping":
        return seller_cancel_order(order)
    rest = requested_packages(order, packages)
    if not rest:
        return _no("order_shipped", "Every package of this order has left the seller; nothing is left to cancel.")
    return next((v for v in (seller_cancel_package(order, p) for p in rest) if not v.allowed), Verdict(True))


def buyer_cancel(order, shop, now: datetime, *, packages=(), app_version: str | None = None,
                 request_pending: bool = False) -> Verdict:
    """Seed 000: Cancel works until the order is packed; after the shop's
    auto-approve window it becomes a request the seller answers. Once something is
    shipped, the way out depends on the packages (`_shipped_verdict`)."""
    if order.status in ("partially_shipping", "in_transit") and packages:
        shipped = _shipped_verdict(packages, request_pending)
        if shipped is not None:
            return shipped
    if order.status in _BUYER_CANNOT:
        return _BUYER_CANNOT[order.status]
    if request_pending:
        return _no("request_pending",
                   "You already asked the seller to cancel this order; wait for their answer.")
    if app_version is not None and version_tuple(app_version) < version_tuple(shop.min_app_version):
        return _no(
            "app_outdated",
            f"Cancelling an order needs app version {shop.min_app_version} or newer, and this app "
            f"is {app_version}. Update the app from your app store, then cancel again.",
            "update_app",
        )
    mode = "cancel"
    if (order.status == "awaiting_shipment" and shop.auto_approve_hours is not None
            and order.paid_at is not None
            and now > order.paid_at + timedelta(hours=shop.auto_approve_hours)):
        mode = "request"
    return Verdict(True, mode=mode)


def buyer_request(order, *, packages=(), request_pending: bool = False) -> Verdict:
    """Seed 000: a packaged order can only be cancelled by asking the seller; so can
    the packages not collected yet of a Partially Shipping order (issue 17)."""
    if request_pending:
        return _no("request_pending",
                   "You already asked the seller to cancel this order; wait for their answer.")
    if order.status == "partially_shipping" and requested_packages(order, packages):
        return Verdict(True)
    if order.status != "awaiting_collection":
        if order.status in BUYER_CANCEL_STATUSES:
            return _no("not_packed",
                       "This order isn't packed yet, so you can cancel it yourself: choose Cancel.")
        return _BUYER_CANNOT[order.status]
    return Verdict(True)


def refuse_delivery(order, package) -> Verdict:
    """Seed 000: an order in transit can only be cancelled by refusing the delivery."""
    if package.status != "in_transit":
        return _no("not_in_transit",
                   f"Package {package.id} is {STATUS_LABELS[package.status]}; only a package "
                   "on its way (In Transit) can be refused.")
    return Verdict(True)


def seller_cancel_order(order) -> Verdict:
    """Seed 003: whole orders can be cancelled while Awaiting Shipment or Awaiting Collection."""
    if order.status in SELLER_ORDER_CANCEL_STATUSES:
        return Verdict(True)
    why = {
        "unpaid": "The buyer hasn't paid yet; unpaid orders are cancelled by the system when "
                  "payment is overdue.",
        "partially_shipping": "Part of this order is with the carrier. Cancel the packages that "
                              "haven't been collected instead.",
        "cancelled": "This order is already cancelled.",
    }.get(order.status, f"The order is {STATUS_LABELS[order.status]}: the carrier has it, so it "
                        "can no longer be cancelled.")
    return _no("not_cancellable", why)


def seller_cancel_package(order, package) -> Verdict:
    """Seed 003: a package can be cancelled while Awaiting Shipment or Awaiting Collection."""
    if package.status not in SELLER_PACKAGE_CANCEL_STATUSES:
        return _no("not_cancellable",
                   f"Package {package.id} is {STATUS_LABELS[package.status]}; only packages "
                   "Awaiting Shipment or Awaiting Collection can be cancelled.")
    if order.status not in SELLER_PACKAGE_CANCEL_ORDER_STATUSES:
        return _no("not_cancellable", f"The order is {STATUS_LABELS[order.status]}; its packages "
                                      "can't be cancelled.")
    return Verdict(True)


def item_cancel(order, package, line) -> Verdict:
    """Seed 003: items (quantities) only in Awaiting Shipment orders and packages,
    and only with Out of Stock; other lines are greyed out with why."""
    live = line.quantity - line.cancelled_quantity
    if live <= 0:
        return _no("line_cancelled", "All units of this item are already cancelled.", max_quantity=0)
    if order.status not in ITEM_CANCEL_ORDER_STATUSES:
        return _no("not_awaiting_shipment",
                   f"Items can only be cancelled in orders Awaiting Shipment; this order is "
                   f"{STATUS_LABELS[order.status]}.", max_quantity=0)
    if package.status not in ITEM_CANCEL_PACKAGE_STATUSES:
        return _no("package_not_eligible",
                   f"This item's package is {STATUS_LABELS[package.status]}; items can only be "
                   "cancelled in packages Awaiting Shipment. Cancel the whole package instead.",
                   max_quantity=0)
    return Verdict(True, max_quantity=live)


def reason_fits(actor: str, reason: str, order_status: str, *, scope: str = "order") -> Verdict:
    """TikTok API 25001021 "Reason not match order status": a reason must fit
    the actor, the order status and (for sellers) the scope."""
    if reason not in REASON_TEXT:
        return _no("unknown_reason", f"There is no cancellation reason {reason!r}. "
                   f"Run `orderdesk reasons --as {actor}` to see the reasons.")
    own = REASONS_BY_ROLE[actor]
    if reason not in own:
        return _no("reason_not_match",
                   f"{REASON_TEXT[reason]!r} is not a {actor}'s reason. "
                   f"Choose one of: {', '.join(own)}.")
    if actor == "buyer" and order_status not in BUYER_REASON_STATUSES.get(reason, BUYER_ASK_STATUSES):
        return _no("reason_not_match",
                   f"{REASON_TEXT[reason]!r} doesn't fit an order that is "
                   f"{STATUS_LABELS[order_status]}. Choose another reason.")
    if actor == "seller" and scope == "items" and reason not in ITEM_CANCEL_REASONS:
        return _no("reason_not_match",
                   "Items can only be cancelled one by one with the reason Out of Stock. "
                   "To cancel for another reason, cancel the whole order or a package.")
    return Verdict(True)


def reject_reason_fits(reason: str, order, packages) -> Verdict:
    """A seller's reject reason must be true of the order."""
    if reason not in REASON_TEXT:
        return _no("unknown_reason", f"There is no reject reason {reason!r}. "
                   "Run `orderdesk reasons --as reject` to see them.")
    if reason not in REJECT_REASONS:
        return _no("reason_not_match", f"{REASON_TEXT[reason]!r} is not a reject reason. "
                   f"Choose one of: {', '.join(REJECT_REASONS)}.")
    live = [p for p in packages if p.status != "cancelled"]
    if reason == "multiple_packages" and len(live) < 2:
        return _no("reason_not_match", "This order has a single package. Choose another reject reason.")
    if reason == "already_packed" and not any(p.status != "awaiting_shipment" for p in live):
        return _no("reason_not_match", "No package of this order is packed yet. Choose another "
                   "reject reason, or approve the request.")
    if reason == "already_shipped" and not any(p.status in COLLECTED for p in live):
        return _no("reason_not_match", "No package of this order has been handed to the carrier yet. "
                   "Choose another reject reason, or approve the request.")
    return Verdict(True)


def buyer_reasons_for(order_status: str) -> dict[str, str]:
    return {k: v for k, v in BUYER_REASONS.items()
            if order_status in BUYER_REASON_STATUSES.get(k, BUYER_ASK_STATUSES)}


def reasons_for(actor: str, order=None, packages=()) -> dict[str, str]:
    """The reasons that fit this actor (and this order, when given)."""
    if order is None:
        return dict(REASONS_BY_ROLE[actor])
    if actor == "buyer":
        return buyer_reasons_for(order.status)
    if actor == "seller":
        return dict(SELLER_REASONS) if order.status in SELLER_PACKAGE_CANCEL_ORDER_STATUSES else {}
    return {k: v for k, v in REJECT_REASONS.items() if reject_reason_fits(k, order, packages).allowed}


# -- logistics ----------------------------------------------------------------
_LOGISTICS = {  # action: (package status it needs, the status it leads to)
    "pack": ("awaiting_shipment", "awaiting_collection"),
    "handover": ("awaiting_collection", "in_transit"),
    "deliver": ("in_transit", "delivered"),
    "refuse": ("in_transit", "returned"),
    "receive_return": ("returned", "cancelled"),
}
_LOGISTICS_WORDS = {
    "pack": "packed", "handover": "handed to the carrier", "deliver": "marked delivered",
    "refuse": "refused", "receive_return": "received back",
}


def logistics(action: str, order, package) -> Verdict:
    """Pack, hand over, deliver, refuse, receive a return: each needs one package status."""
    needed, _ = _LOGISTICS[action]
    if package.status != needed:
        return _no("wrong_package_status",
                   f"Package {package.id} is {STATUS_LABELS[package.status]}; it can be "
                   f"{_LOGISTICS_WORDS[action]} only when {STATUS_LABELS[needed]}.")
    if action == "pack" and order.status in ("unpaid", "on_hold"):
        return _no("not_ready_to_ship",
                   f"The order is {STATUS_LABELS[order.status]}; it can be packed once it is "
                   "Awaiting Shipment.")
    return Verdict(True)


# -- station claims (issue 15: stations that don't collide) ------------------------------
CLAIM_IDLE = timedelta(minutes=10)


def claim_holds(claim, package, now: datetime) -> bool:
    """Does `claim` (a PackageClaim, or None) still hold its package?

    Decisions where the issue is silent:
    - A claim ends when its package is packed or cancelled: it holds only while the package
      is Awaiting Shipment (packing deletes it; a cancelled package's claim just stops holding).
    - "Idle" means no activity of its station on the package: claiming it, opening it again
      (each opening renews the claim), packing it. After CLAIM_IDLE without any, it lapses
      and any station may claim the package; nothing needs to run for that to happen."""
    return (claim is not None and package.status == "awaiting_shipment"
            and now < claim.active_at + CLAIM_IDLE)


def pack_claim(claim, package, station: str | None, now: datetime, *, take_over: bool = False) -> Verdict:
    """May `station` claim or pack the package? Yes unless another station's claim holds;
    taking it over (after a person confirmed it) is always allowed. A caller without a
    station (None) is another station to every claim."""
    if take_over or not claim_holds(claim, package, now) or claim.station == station:
        return Verdict(True)
    minutes = int((now - claim.active_at).total_seconds() // 60)
    when = "just now" if minutes < 1 else f"{minutes} min ago"
    return _no("package_claimed",
               f"Package {package.id} is being packed at {claim.station} (last active {when}). Leave it "
               f"to that station, or take it over: confirm in the app, or run "
               f"`orderdesk claim {package.id} --take-over`. An idle claim lapses after "
               f"{int(CLAIM_IDLE.total_seconds() // 60)} minutes.", "take_over")


SLIP_PACKAGE_STATUSES = ("awaiting_shipment", "awaiting_collection")


def packing_slip(order, package) -> Verdict:
    """A packing slip is for a package still to pack or to hand over (issue 15). An unpaid
    or on-hold order's package gets none: it cannot be packed yet (as `logistics("pack")`)."""
    if package.status not in SLIP_PACKAGE_STATUSES:
        return _no("wrong_package_status",
                   f"Package {package.id} is {STATUS_LABELS[package.status]}; a packing slip is only "
                   "for a package Awaiting Shipment or Awaiting Collection.")
    if order.status in ("unpaid", "on_hold"):
        return _no("not_ready_to_ship",
                   f"The order is {STATUS_LABELS[order.status]}; its packing slip can be made once it "
                   "is Awaiting Shipment.")
    return Verdict(True)


# -- the SLA clock (issue 15; TikTok Shop's auto-cancellation) ------------------------
SLA_REASONS = ("payment_overdue", "dispatch_timeout", "collection_timeout")
SLA_AMBER = timedelta(hours=12)  # the board's warning turns amber under this...
SLA_RED = timedelta(hours=2)  # ...and red under this
SLA_PACKAGE_STATUSES = {"awaiting_shipment": "dispatch_timeout", "awaiting_collection": "collection_timeout"}


@dataclass(frozen=True)
class Deadline:
    """When the system cancels (`at`), why (`reason`, one of SLA_REASONS), and which
    packages (all the order's live ones for `payment_overdue`)."""

    reason: str
    at: datetime
    package_ids: tuple[str, ...]


def sla_deadlines(order, shop, packages) -> list[Deadline]:
    """Every auto-cancellation ahead of the order if nothing happens, soonest first.

    Decisions where the seeds are silent: the payment window counts from the order, the
    others from payment (as the order's `ship_by` always has). A package Awaiting
    Shipment must be packed by payment + the shop's `pack_within_hours`
    (`dispatch_timeout`); a package Awaiting Collection must be collected by the order's
    `ship_by`, payment + `ship_within_hours` (`collection_timeout`). The clock runs per
    package: in a Partially Shipping order only the packages still waiting are cancelled.
    An order on hold is paid, so its clock runs too (holds are far shorter). An order
    whose `sla_clock` is off (imported from Seller Center: the platform runs it) has none."""
    live = tuple(p.id for p in packages if p.status != "cancelled")
    if not live or order.status == "cancelled" or not order.sla_clock:
        return []
    if order.paid_at is None:
        return [Deadline("payment_overdue", order.created_at + timedelta(hours=shop.pay_within_hours), live)]
    due = {"dispatch_timeout": order.paid_at + timedelta(hours=shop.pack_within_hours),
           "collection_timeout": order.ship_by}
    found: dict[str, list[str]] = {}
    for package in packages:
        reason = SLA_PACKAGE_STATUSES.get(package.status)
        if reason is not None and due[reason] is not None:
            found.setdefault(reason, []).append(package.id)
    return sorted((Deadline(reason, due[reason], tuple(ids)) for reason, ids in found.items()),
                  key=lambda d: (d.at, d.reason))


def sla_overdue(order, shop, packages, now: datetime) -> list[Deadline]:
    """The auto-cancellations due at `now` (a deadline is due from its very instant on)."""
    return [d for d in sla_deadlines(order, shop, packages) if d.at <= now]


def sla_level(deadline: datetime | None, now: datetime) -> str | None:
    """How loud the board warns: "red" under SLA_RED, "amber" under SLA_AMBER, else None."""
    if deadline is None:
        return None
    left = deadline - now
    return "red" if left < SLA_RED else "amber" if left < SLA_AMBER else None


def split_line(order, package, line, quantity: int) -> Verdict:
    """Moving `quantity` units of a line into a new package (TikTok: split an order).
    Only from an Awaiting Shipment package. A line with cancelled units moves whole
    or not at all, so its refunds stay exact; any other line may be divided."""
    if package.status != "awaiting_shipment":
        return _no("wrong_package_status",
                   f"Package {package.id} is {STATUS_LABELS[package.status]}; only packages "
                   "Awaiting Shipment can be split.")
    live = line.quantity - line.cancelled_quantity
    if quantity < 1 or quantity > live:
        return _no("bad_quantity", f"{line.title} has {plural(live, 'unit')} to move; {quantity} won't do.",
                   max_quantity=live)
    if line.cancelled_quantity and quantity != live:
        return _no("line_partly_cancelled",
                   f"{line.title} has cancelled units, so it moves whole: move all "
                   f"{plural(live, 'live unit')} or none.", max_quantity=live)
    return Verdict(True, max_quantity=live)


def next_package_status(action: str) -> str:
    return _LOGISTICS[action][1]


# -- what each side may do now ---------------------------------------------------
def buyer_actions(order, shop, packages, now, *, request_pending=False) -> list[str]:
    verdict = buyer_cancel(order, shop, now, packages=packages, request_pending=request_pending)
    if verdict.allowed:
        return ["cancel"]
    actions = []
    if buyer_request(order, packages=packages, request_pending=request_pending).allowed:
        actions.append("request_cancel")
    if any(refuse_delivery(order, p).allowed for p in packages):
        actions.append("refuse_delivery")
    if verdict.next_step == "buy_again":
        actions.append("buy_again")
    return actions


def seller_actions(order, packages, lines) -> list[str]:
    actions = []
    if seller_cancel_order(order).allowed:
        actions.append("cancel_order")
    if any(seller_cancel_package(order, p).allowed for p in packages):
        actions.append("cancel_package")
    by_id = {p.id: p for p in packages}
    if any(item_cancel(order, by_id[line.package_id], line).allowed for line in lines):
        actions.append("cancel_items")
    for action in ("pack", "handover", "deliver"):
        if any(logistics(action, order, p).allowed for p in packages):
            actions.append(action)
    return actions


# -- customer emails ---------------------------------------------------------------
EMAIL_STATUSES = ("pending", "sending", "sent", "failed", "discarded")
# A sender claims one email at a time and lets go of it within one SMTP exchange
# (seconds; each network step times out after 10 s). A claim older than this belongs
# to a sender that stopped mid-send: whether the email went out is unknown.
SENDING_STALE = timedelta(minutes=10)
NO_REAL_ADDRESS = ("The buyer has no real email address (imported from a Seller Center export), "
                   "so this email cannot be sent.")
_EMAIL_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}")
_EMAIL_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")


def address_problem(address: str) -> str | None:
    """Why `address` is not a plain ASCII user@host address, or None."""
    local, at, domain = address.rpartition("@")
    labels = domain.lower().rstrip(".").split(".")
    if at and _EMAIL_LOCAL.fullmatch(local) and not local.startswith(".") and not local.endswith(".") \
            and ".." not in local and len(domain) <= 253 and all(_EMAIL_LABEL.fullmatch(label) for label in labels):
        return None
    return f"{address!r} is not an email address (expected name@example.com), so this email cannot be sent."


def undeliverable(address: str) -> str | None:
    """Why an email to `address` can never be delivered, or None when it may be.
    Decided without the mail server: the reserved `.invalid` top-level domain (RFC 6761:
    it never resolves; imported buyers get USERNAME@buyers.invalid) and anything that is
    not a plain ASCII user@host address. Other reserved names (`.test`, `example.com`,
    `localhost`) are left to the mail server: test setups deliver them."""
    if address.rpartition("@")[2].lower().rstrip(".").split(".")[-1] == "invalid":
        return NO_REAL_ADDRESS
    return address_problem(address)


def email_unknown(email, now: datetime) -> bool:
    """A `sending` email that no sender holds any more (it let go after the connection
    broke mid-transfer, or its claim is older than SENDING_STALE): it may or may not
    have been delivered, so it is never resent without a person's `outbox retry`."""
    return email.status == "sending" and (email.claim_token is None or email.claimed_at <= now - SENDING_STALE)


def email_problem(email, now: datetime) -> str | None:
    """What a person must know about an email that waits for them (failed, or unknown
    whether it went out), with what to do; None for the others."""
    if email_unknown(email, now):
        why = email.last_error if email.claim_token is None and email.last_error else (
            f"Unknown: the sender stopped mid-send (it took the email at {email.claimed_at:%Y-%m-%d %H:%M:%S} "
            "UTC); it may have been delivered.")
        then = (f"Check the mail server's log or with the buyer, then `orderdesk outbox retry {email.id}` "
                f"to send it again (it may arrive twice) or `orderdesk outbox discard {email.id}`.")
    elif email.status == "failed":
        why = email.last_error or "It could not be sent."
        then = (f"Discard it (`orderdesk outbox discard {email.id}`), or retry it once the cause is fixed "
                f"(`orderdesk outbox retry {email.id}`).")
    else:
        return None
    return f"{why} {then}"


def email_change(action: str, email, now: datetime) -> Verdict:
    """`retry` (back to pending, due now) or `discard` (never sent). A sent email cannot
    be undone; one being sent right now is left to its sender. Retrying a discarded email
    brings it back; discarding a discarded one is a no-op."""
    if email.status == "sent":
        when = f" at {email.sent_at:%Y-%m-%d %H:%M} UTC" if email.sent_at else ""
        return _no("already_sent", f"Email {email.id} was sent{when}; a sent email cannot be called back.")
    if email.status == "sending" and not email_unknown(email, now):
        return _no("being_sent",
                   f"Email {email.id} is being sent right now (since {email.claimed_at:%H:%M:%S} UTC). "
                   f"If no sender is running any more, {action} it after "
                   f"{email.claimed_at + SENDING_STALE:%H:%M:%S} UTC.")
    return Verdict(True)
