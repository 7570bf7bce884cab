"""`orderdesk cancel`, `orderdesk request-cancel`: cancel an order, a package or items."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from core.results import Success
from tui.lazy import lazy_import

if TYPE_CHECKING:
    pass

services = lazy_import("core.services")

from tui.cli.base import Context, MAX_QUANTITY, cli, with_json

def parse_items(ctx: Context, pairs, what="LINE_ID") -> dict[str, int]:
    items: dict[str, int] = {}
    for pair in pairs:
        key, sep, qty = pair.partition("=")
        if not sep or not key:
            ctx.fail("bad_input", f"--item {pair!r}: write it as {what}=QUANTITY, e.g. --item 1729...=1.")
        try:
            number = int(qty) if len(qty) <= 20 else None
        except ValueError:
            ctx.fail("bad_quantity", f"--item {pair!r}: the quantity {qty!r} is not a whole number.")
        if number is None or not 0 <= number <= MAX_QUANTITY:
            ctx.fail("bad_quantity", f"--item {pair!r}: a quantity is a whole number from 0 to {MAX_QUANTITY:,}.")
        if key in items:
            ctx.fail("bad_input", f"--item: {key} is given twice; give each once.")
        items[key] = number
    return items


def cancellation_text(c: dict, result: Success) -> str:
    lead = "Already done earlier with this idempotency key; nothing changed. " if result.replayed else ""
    if c["status"] == "request_pending":
        return f"{lead}Cancellation requested ({c['id']}); the seller must answer by {c['deadline_at']}."
    r = c["refund"]
    done = "" if result.replayed else f"{result.message} "
    return (f"{lead}{done}Cancellation {c['id']}: refund {r['total']} "
            f"(subtotal {r['subtotal']}, shipping {r['shipping']}, tax {r['tax']}; minor units).")


@cli.command()
@click.argument("order_id")
@click.option("--as", "actor", type=click.Choice(["buyer", "seller"]), required=True)
@click.option("--reason", required=True, metavar="KEY", help="See `orderdesk reasons`.")
@click.option("--item", "items", multiple=True, metavar="LINE_ID=QTY", help="Seller: cancel units of a line.")
@click.option("--package", "package_id", metavar="PACKAGE_ID", help="Seller: cancel one package.")
@click.option("--idempotency-key", metavar="K", help="A retry with the same key never cancels twice.")
@click.option("--user", metavar="NAME", help="Buyer: act as this buyer (must be the order's).")
@click.option("--shop", metavar="NAME", help="Seller: act as this shop (must be the order's).")
@click.option("--app-version", metavar="V", help="Buyer: the app's version (checked against the shop's minimum).")
@click.option("--expected-version", type=click.IntRange(0, 999_999_999), metavar="N",
              help="Refuse if the order changed since version N.")
@click.option("--expected-refund", type=click.IntRange(0, 10**15), metavar="MINOR",
              help="Seller: refuse unless the refund total is this.")
@with_json
def cancel(ctx: Context, order_id, actor, reason, items, package_id, idempotency_key, user, shop,
           app_version, expected_version, expected_refund):
    """Cancel a whole order, a package, or (seller, Out of Stock) some items."""
    now = ctx.now
    if actor == "buyer":
        if items or package_id or shop:
            ctx.fail("bad_input", "A buyer cancels the whole order: --item, --package and --shop "
                     "are for --as seller.")
        result = services.buyer_cancel(ctx.db, order_id, reason, now=now, user=user,
                                       app_version=app_version, idempotency_key=idempotency_key,
                                       expected_version=expected_version)
    else:
        if user or app_version:
            ctx.fail("bad_input", "--user and --app-version are for --as buyer.")
        result = services.seller_cancel(
            ctx.db, order_id, reason, now=now, shop=shop, package_id=package_id,
            items=parse_items(ctx, items) or None, idempotency_key=idempotency_key,
            expected_version=expected_version, expected_refund=expected_refund)
    ctx.finish(result, cancellation_text)


@cli.command("request-cancel")
@click.argument("order_id")
@click.option("--reason", required=True, metavar="KEY")
@click.option("--user", metavar="NAME", help="Act as this buyer (must be the order's).")
@click.option("--idempotency-key", metavar="K")
@with_json
def request_cancel(ctx: Context, order_id, reason, user, idempotency_key):
    """The buyer's "Contact seller": ask the seller to cancel a packed order."""
    now = ctx.now
    ctx.finish(services.request_cancellation(ctx.db, order_id, reason, now=now, user=user,
                                             idempotency_key=idempotency_key), cancellation_text)


