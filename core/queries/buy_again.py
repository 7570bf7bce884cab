"""Buy again's quote: the items of a cancelled order at today's prices, with the tax,
shipping and total the new order will have, shown before the buyer confirms (issue 17:
"Buy again places the order without showing prices and the total first").

The figures are the ones `services.buy_again` writes: today's price per unit, each
item's tax at its original rate (refunds.rebought_tax), the old order's shipping, and
refunds.order_totals over them. What can't be bought (no longer sold, not enough in
stock) is said per item, with what to do; `as_dict()` for JSON.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from types import SimpleNamespace

from sqlmodel import Session, select

from core import refunds
from core.models import Product
from core.results import Refused
from core.state import load_order


@dataclass(frozen=True, slots=True)
class QuoteLine:
    sku: str
    title: str
    quantity: int
    unit_price: int  # today's
    subtotal: int
    tax: int
    problem: str | None  # why it can't be bought now, and what to do (None: it can)


@dataclass(frozen=True, slots=True)
class BuyAgainQuote:
    order_id: str
    currency: str
    address: str
    lines: tuple[QuoteLine, ...]
    subtotal: int
    shipping: int
    tax: int
    total: int

    @property
    def problems(self) -> list[str]:
        return [line.problem for line in self.lines if line.problem]

    def as_dict(self) -> dict:
        return {**asdict(self), "problems": self.problems}


def quote(session: Session, order_id: str, quantities: Mapping[str, int] | None = None) -> BuyAgainQuote | None:
    """The new order Buy again would place for `quantities` ({SKU: units}; default: the
    order's own), priced today (None: no such order)."""
    try:
        state = load_order(session, order_id, lock=False)
    except Refused:
        return None
    wanted: dict[str, int] = {}
    for line in state.lines:
        wanted[line.sku] = wanted.get(line.sku, 0) + line.quantity
    wanted.update({sku: qty for sku, qty in (quantities or {}).items() if sku in wanted})
    products = {p.sku: p for p in session.exec(select(Product).where(
        Product.shop_id == state.order.shop_id, Product.sku.in_(sorted(wanted)))).all()}
    lines, priced = [], []
    for sku, qty in wanted.items():
        if not qty:
            continue
        original = next(line for line in state.lines if line.sku == sku)
        product = products.get(sku)
        if product is None:
            lines.append(QuoteLine(sku, original.title, qty, 0, 0, 0,
                                   f"{original.title} is no longer sold by {state.shop.name}; set it to 0."))
            continue
        paid = product.price * qty
        tax = refunds.rebought_tax(original, paid)
        problem = (f"Only {product.stock} of {product.title} left; lower the quantity to {product.stock} or less."
                   if product.stock < qty else None)
        lines.append(QuoteLine(sku, product.title, qty, product.price, paid, tax, problem))
        priced.append(SimpleNamespace(unit_original_price=product.price, quantity=qty, seller_discount=0,
                                      platform_discount=0, tax=tax))
    totals = refunds.order_totals(state.order, priced)
    return BuyAgainQuote(order_id, state.order.currency, state.order.address, tuple(lines),
                         totals["subtotal"], totals["shipping"], totals["tax"], totals["total"])
