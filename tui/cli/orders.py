"""`orderdesk orders list|show`, `orderdesk reasons`: read orders."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from core import rules
from core.money import format_money
from tui.format import order_text
from tui.lazy import lazy_import

if TYPE_CHECKING:
    pass

queries = lazy_import("core.queries.orders")

from tui.cli.base import Context, cli, with_json

@cli.group()
def orders():
    """List and show orders."""


def _order_line(o: queries.OrderView) -> str:
    total = format_money(o.totals.total, o.currency)
    flag = " [request pending]" if o.pending_request else ""
    return f"{o.id}  {o.status:<20} {o.shop:<18} {o.buyer:<16} {total:>10}{flag}"


@orders.command("list")
@click.option("--status", "statuses", multiple=True, type=click.Choice(rules.ORDER_STATUSES),
              help="Only these statuses (repeatable).")
@click.option("--product", metavar="SKU", help="Only orders with this SKU.")
@click.option("--buyer", metavar="NAME", help="Only this buyer's orders.")
@click.option("--shop", metavar="NAME", help="Only this shop's orders.")
@click.option("--limit", type=click.IntRange(1, 100_000), default=50, show_default=True,
              help="At most this many orders.")
@with_json
def orders_list(ctx: Context, statuses, product, buyer, shop, limit):
    """Orders, newest first."""
    now = ctx.settle()
    with ctx.db.read() as session:
        found = queries.read_orders(session, now, statuses=statuses, sku=product, buyer=buyer,
                                    shop=shop, limit=limit)
    ctx.emit([o.as_dict() for o in found], "\n".join(map(_order_line, found)) or "No orders match.")


def resolve_order(ctx: Context, text: str) -> str:
    with ctx.db.read() as session:
        order_id = queries.find_order_id(session, text)
    if order_id is None:
        ctx.fail("unknown_order", f"There is no order {text} (a full ID or a unique ending of "
                 "one). Run `orderdesk orders list` to see the orders.")
    return order_id


@orders.command("show")
@click.argument("order_id")
@with_json
def orders_show(ctx: Context, order_id):
    """One order, whole (a unique ending of its ID works too)."""
    order_id = resolve_order(ctx, order_id)
    now = ctx.settle()
    with ctx.db.read() as session:
        view = queries.read_order(session, order_id, now)
    ctx.emit(view.as_dict(), order_text(view))


@cli.command()
@click.option("--as", "actor", type=click.Choice(["buyer", "seller", "reject"]), required=True)
@click.option("--order", "order_id", metavar="ORDER_ID", help="Only the reasons that fit this order.")
@with_json
def reasons(ctx: Context, actor, order_id):
    """Reason keys and texts."""
    if order_id:
        order_id = resolve_order(ctx, order_id)
        ctx.settle()
        with ctx.db.read() as session:
            found = queries.reasons_for(session, actor, order_id)
    else:
        found = rules.reasons_for(actor)
    ctx.emit([{"key": k, "text": v} for k, v in found.items()],
             "\n".join(f"{k:<22} {v}" for k, v in found.items()) or "No reason fits this order now.")


# -- cancelling --------------------------------------------------------------------------
