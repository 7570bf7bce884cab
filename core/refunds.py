"""The refund rule (DOMAIN.md; this product's rule, TikTok publishes none).

A line's paid subtotal P = unit_original_price * quantity - seller_discount -
platform_discount, its tax T. Cancelling k more of its n units, c already
cancelled, refunds floor(P*(c+k)/n) - floor(P*c/n) of P, and the same of T, so
cancelling every unit in any number of steps refunds exactly P and T.
Shipping (after its discounts) and its tax are refunded only by the cancellation
that leaves no live unit in the order. An order never paid refunds nothing (the
units are still cancelled). All amounts are integer minor units.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

SHIPPING_NOTE = "Shipping is refunded when the whole order is cancelled."


def line_paid(line) -> int:
    return line.unit_original_price * line.quantity - line.seller_discount - line.platform_discount


def rebought_tax(original, paid: int) -> int:
    """The tax of an item bought again for `paid` (Buy again, at today's price): the
    original line's tax in proportion (its rate), rounded down. The order's preview and
    the order placed use this one figure."""
    old_paid = line_paid(original)
    return original.tax * paid // old_paid if old_paid else 0


def share(amount: int, units: int, already: int, more: int) -> int:
    """The part of `amount` (spread over `units`) that `more` units refund after `already`."""
    if not 0 <= already <= already + more <= units:
        raise ValueError(f"cannot cancel {more} of {units} units with {already} already cancelled")
    return amount * (already + more) // units - amount * already // units


def divide_line(line, parts: Sequence[int]) -> list[dict[str, int]]:
    """A line's money divided between consecutive parts of its units (`parts` add up to
    its quantity), exactly as the refund rule counts units: part i, after `s` units,
    gets share(P, n, s, q) of the paid subtotal P and share(T, n, s, q) of the tax T.
    So the parts' subtotals and taxes add up to P and T, and none is negative (for
    0 <= P <= the line's original price). Each part's discount (its original price less its subtotal) is divided
    between seller and platform discount the same way. Returns the parts'
    seller_discount, platform_discount and tax."""
    n = line.quantity
    if sum(parts) != n or any(q <= 0 for q in parts):
        raise ValueError(f"parts {list(parts)} must be positive and add up to {n} units")
    paid, discount = line_paid(line), line.seller_discount + line.platform_discount
    out, units, discounted = [], 0, 0
    for q in parts:
        part_discount = line.unit_original_price * q - share(paid, n, units, q)
        seller = (line.seller_discount * (discounted + part_discount) // discount
                  - line.seller_discount * discounted // discount) if discount else 0
        out.append({"seller_discount": seller, "platform_discount": part_discount - seller,
                    "tax": share(line.tax, n, units, q)})
        units, discounted = units + q, discounted + part_discount
    return out


def order_shipping(order) -> int:
    return (order.original_shipping_fee - order.shipping_fee_seller_discount
            - order.shipping_fee_platform_discount)


@dataclass(frozen=True)
class LineRefund:
    line_id: str
    quantity: int
    subtotal: int
    tax: int

    @property
    def total(self) -> int:
        return self.subtotal + self.tax


@dataclass(frozen=True)
class RefundBreakdown:
    subtotal: int
    shipping: int
    tax: int
    lines: tuple[LineRefund, ...] = field(default=())

    @property
    def total(self) -> int:  # TikTok API: refund_total = subtotal + shipping + tax
        return self.subtotal + self.shipping + self.tax

    def as_dict(self) -> dict:
        return {"subtotal": self.subtotal, "shipping": self.shipping, "tax": self.tax,
                "total": self.total}


def refund_for(order, lines: Iterable, quantities: Mapping[str, int]) -> RefundBreakdown:
    """What cancelling `quantities` (line id -> units) of `order` refunds now."""
    lines = list(lines)
    paid = order.paid_at is not None
    per_line = []
    live_after = 0
    for line in lines:
        k = quantities.get(line.id, 0)
        live_after += line.quantity - line.cancelled_quantity - k
        if k:
            per_line.append(LineRefund(
                line.id, k,
                share(line_paid(line), line.quantity, line.cancelled_quantity, k) if paid else 0,
                share(line.tax, line.quantity, line.cancelled_quantity, k) if paid else 0,
            ))
    shipping = shipping_tax = 0
    if live_after == 0 and per_line and paid:
        shipping, shipping_tax = order_shipping(order), order.shipping_tax
    return RefundBreakdown(
        subtotal=sum(r.subtotal for r in per_line),
        shipping=shipping,
        tax=sum(r.tax for r in per_line) + shipping_tax,
        lines=tuple(per_line),
    )


def order_totals(order, lines: Iterable) -> dict:
    """What the buyer paid at checkout (TikTok API payment figures)."""
    lines = list(lines)
    subtotal = sum(line_paid(line) for line in lines)
    shipping = order_shipping(order)
    tax = sum(line.tax for line in lines) + order.shipping_tax
    return {"subtotal": subtotal, "shipping": shipping, "tax": tax,
            "total": subtotal + shipping + tax}
