"""Stations that don't collide (issue 15): opening a package to pack it claims it for this
station (`app.station`, the `station` setting); when another station is packing it, the
person is told where and may take it over after confirming. The claim and the takeover
are `core.services.claim_package`, run off the UI thread; the rules are core's."""

from __future__ import annotations

from rich.text import Text

from core import services
from tui import work
from tui.screens.confirm import ConfirmScreen


def claim_command(package_id: str, shop: str, station: str | None, *, take_over: bool = False):
    return lambda db, now: services.claim_package(db, package_id, now=now, station=station, shop=shop,
                                                  take_over=take_over)


async def claim(app, shop: str, package_id: str) -> bool:
    """Claim the package for this station before packing it: True when it is this
    station's now (claimed, renewed, or taken over after a confirmation); otherwise the
    person was told why (or chose to leave it to the other station)."""
    station = app.station
    result = await work.perform(app, claim_command(package_id, shop, station))
    if result.ok:
        return True
    if result.code != "package_claimed":
        app.notify(result.message, title="Pack: not done", severity="error")
        return False
    other = result.details["station"]
    body = Text.assemble(f"Package {package_id} is being packed at ", (other, "bold"),
                         f" (last active {result.details['active_at'][11:16]} UTC).\n\n"
                         f"Take it over only if {other} has stopped packing it: {other} can then no "
                         "longer pack it, and the takeover is recorded in the order's history.")
    take = await work.ask(app, ConfirmScreen(f"Being packed at {other}", body,
                                             confirm=f"take it over for {station}"))
    if not take:
        return False
    result = await work.perform(app, claim_command(package_id, shop, station, take_over=True))
    if not result.ok:
        app.notify(result.message, title="Not taken over", severity="error")
    return result.ok
