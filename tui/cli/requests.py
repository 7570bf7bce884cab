"""`orderdesk requests list|approve|reject`, `orderdesk buy-again`: buyer requests and reorders."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from tui.lazy import lazy_import

if TYPE_CHECKING:
    pass

queries = lazy_import("core.queries.orders")
pending_requests = lazy_import("core.queries.requests")
services = lazy_import("core.services")

from tui.cli.base import Context, cli, with_json
from tui.cli.orders import resolve_order
from tui.cli.cancel import cancellation_text, parse_items

@cli.group()
def requests():
    """Buyers' cancellation requests: list, approve, reject."""


@requests.command("list")
@click.option("--shop", metavar="NAME", help="Only this shop's requests.")
@with_json
def requests_list(ctx: Context, shop):
    """Pending requests, the nearest deadline first."""
    ctx.settle()
    with ctx.db.read() as session:
        found = pending_requests.requests(session, shop=shop)
    ctx.emit([r.as_dict() for r in found],
             "\n".join(f"{r.id}  order {r.order_id}  {r.reason_text:<32} answer by {r.as_dict()['deadline_at']}"
                       for r in found) or "No pending requests.")


def _request_id(ctx: Context, cancel_id: str | None, order_id: str | None) -> str:
    """The request named, or the pending request of --order."""
    if bool(cancel_id) == bool(order_id):
        ctx.fail("bad_input", "Name the request: its CANCEL_ID, or --order ORDER_ID for that order's pending one.")
    if cancel_id:
        return cancel_id
    order_id = resolve_order(ctx, order_id)
    with ctx.db.read() as session:
        pending = queries.read_order(session, order_id, ctx.now).pending_request
    if pending is None:
        ctx.fail("unknown_request", f"Order {order_id} has no pending cancellation request.")
    return pending.id


@requests.command("approve")
@click.argument("cancel_id", required=False)
@click.option("--order", "order_id", metavar="ORDER_ID", help="The pending request of this order.")
@click.option("--shop", metavar="NAME", help="Act as this shop (must be the order's).")
@with_json
def requests_approve(ctx: Context, cancel_id, order_id, shop):
    """Approve: the whole order is cancelled with the buyer's reason."""
    now = ctx.now
    cancel_id = _request_id(ctx, cancel_id, order_id)
    ctx.finish(services.approve_request(ctx.db, cancel_id, now=now, shop=shop), cancellation_text)


@requests.command("reject")
@click.argument("cancel_id", required=False)
@click.option("--order", "order_id", metavar="ORDER_ID", help="The pending request of this order.")
@click.option("--reason", required=True, metavar="KEY", help="See `orderdesk reasons --as reject`.")
@click.option("--shop", metavar="NAME", help="Act as this shop (must be the order's).")
@with_json
def requests_reject(ctx: Context, cancel_id, order_id, reason, shop):
    """Reject with a reject reason; the buyer is told why."""
    now = ctx.now
    cancel_id = _request_id(ctx, cancel_id, order_id)
    ctx.finish(services.reject_request(ctx.db, cancel_id, reason, now=now, shop=shop))


@cli.command("buy-again")
@click.argument("order_id")
@click.option("--item", "items", multiple=True, metavar="SKU=QTY", help="Change a quantity (0 drops it).")
@click.option("--address", help="Ship the new order here instead.")
@click.option("--user", metavar="NAME", help="Act as this buyer (must be the order's).")
@with_json
def buy_again_cmd(ctx: Context, order_id, items, address, user):
    """Place a new order with a cancelled order's items."""
    now = ctx.now
    ctx.finish(services.buy_again(ctx.db, order_id, now=now, user=user, address=address,
                                  quantities=parse_items(ctx, items, "SKU") or None))


# -- logistics ------------------------------------------------------------------------------
