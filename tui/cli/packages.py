"""`orderdesk pack|handover|deliver|receive-return|refuse|split`: packages."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from tui.lazy import lazy_import

if TYPE_CHECKING:
    pass

services = lazy_import("core.services")

from tui.cli.base import Context, cli, with_json
from tui.cli.cancel import parse_items

def _logistics_command(name: str, service: str, doc: str, actor_option: str = "--shop", *,
                       as_station: bool = False):
    """A command that moves a package on: `service` names its core.services command;
    `as_station`: it acts as this station (the `station` setting), for the claims."""
    @cli.command(name, help=doc)
    @click.argument("package_id")
    @click.option(actor_option, "actor", metavar="NAME", help="Act as this shop/buyer (must be the order's).")
    @with_json
    def run(ctx: Context, package_id, actor):
        now = ctx.now
        key = "user" if actor_option == "--user" else "shop"
        station = {"station": ctx.settings.settings.station} if as_station else {}
        ctx.finish(getattr(services, service)(ctx.db, package_id, now=now, **{key: actor}, **station))

    run.__name__ = name.replace("-", "_")
    return run


_logistics_command("pack", "pack", "Pack: Awaiting Shipment → Awaiting Collection. Refused while another "
                   "station is packing it (see `orderdesk claim`).", as_station=True)
_logistics_command("handover", "handover", "Hand over to the carrier: → In Transit.")
_logistics_command("deliver", "deliver", "Mark delivered.")
_logistics_command("refuse", "refuse_delivery", "The buyer refuses delivery: → Returned.", "--user")
_logistics_command("receive-return", "receive_return",
                   "A refused package is back: its items are cancelled and refunded.")


@cli.command()
@click.argument("package_id")
@click.option("--take-over", is_flag=True, help="Take the package over from the station packing it.")
@click.option("--shop", metavar="NAME", help="Act as this shop (must be the order's).")
@with_json
def claim(ctx: Context, package_id, take_over, shop):
    """Claim a package for this station (the `station` setting) while packing it: other
    stations see where it is being packed and cannot pack it. The claim ends when the
    package is packed or cancelled, or after 10 minutes without activity here."""
    now = ctx.now
    station = ctx.settings.settings.station
    ctx.finish(services.claim_package(ctx.db, package_id, now=now, station=station, shop=shop,
                                      take_over=take_over))


@cli.command()
@click.argument("package_id")
@click.option("--item", "items", multiple=True, required=True, metavar="LINE_ID=QTY",
              help="Units of a line that go to the new package (repeatable).")
@click.option("--shop", metavar="NAME", help="Act as this shop (must be the order's).")
@with_json
def split(ctx: Context, package_id, items, shop):
    """Split a package: move some items (units) into a new package."""
    now = ctx.now
    ctx.finish(services.split_package(ctx.db, package_id, parse_items(ctx, items), now=now, shop=shop))


# -- the clock --------------------------------------------------------------------------------
