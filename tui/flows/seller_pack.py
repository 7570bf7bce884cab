"""Scan-to-pack, one flow (issue 15): the package's pack check (tui/screens/seller_pack.py)
until every unit is confirmed, then Pack; units not on the shelf go to the Out of Stock
item cancellation already filled (tui/flows/seller_cancel.py), and packing goes on with
what is left. The check is read again after each change, keeping what was confirmed.

Entered only through `tui.flows.seller.pack` (the one way to open a package to pack it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from core import services
from core.output import OutputError, output_file
from core.paths import slips_dir
from core.queries import packing
from core.queries import slips as slip_queries
from core.results import Refusal
from tui import work
from tui.flows import claims, seller_cancel
from tui.lazy import lazy_import
from tui.screens.seller_pack import PackScreen

slips = lazy_import("core.slips")  # reportlab: only once a slip is asked for


@dataclass(frozen=True, slots=True)
class SlipSaved:
    """Where the slip went: the file, and the printer when one is configured."""

    path: Path
    printer: str | None = None
    print_job: str | None = None
    print_error: str | None = None


async def pack(app, shop: str, package_id: str, *, station: str | None) -> bool:
    """The pack check of `package_id`, packed at `station` (its claim's); True when
    something changed (packed, or units cancelled as out of stock)."""
    confirmed: dict[str, int] = {}
    changed = False
    while True:
        check = await work.fetch(app, lambda session, now: packing.pack_check(session, package_id, shop=shop))
        if isinstance(check, Refusal):
            app.notify(check.message, title="Pack", severity="error")
            return changed
        confirmed = check.confirmed_within(confirmed)
        answer = await work.ask(app, PackScreen(check, confirmed, slip_job(package_id, shop, printer(app)),
                                                keep_claim=claims.claim_command(package_id, shop, station)))
        if answer is None:
            return changed
        confirmed = dict(answer.confirmed)
        if answer.action == "pack":
            result = await work.perform(app, lambda db, now: services.pack(db, package_id, now=now, shop=shop,
                                                                            station=station))
            if result.ok:
                app.notify(f"Package {package_id}: {result.message}", title="Packed")
                return True
            app.notify(result.message, title="Pack: not done", severity="error")
        elif answer.action == "short":
            changed |= await seller_cancel.out_of_stock(app, shop, check.snap, check.short(confirmed))


def printer(app) -> str | None:
    """The `printer` setting (read with the settings by the app's opening worker)."""
    return app.settings.settings.printer if app.settings is not None else None


def slip_job(package_id: str, shop: str, printer: str | None) -> Callable:
    """The slip key's job, as `query(session, now)` (tui.work.read: off the UI thread):
    read the slip, render the PDF, save it in the slips folder (core.paths.slips_dir,
    written whole or not at all), and send it to `printer` when one is configured. A refusal (the package moved on) comes back as is."""
    def job(session, now) -> SlipSaved | Refusal:
        found = slip_queries.packing_slip(session, package_id, shop=shop)
        if isinstance(found, Refusal):
            return found
        pdf = slips.render(found)
        folder = slips_dir()
        path = folder / f"slip-{package_id}.pdf"
        try:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            with output_file(path, binary=True) as out:
                out.write(pdf)
        except (OSError, OutputError) as exc:
            return Refusal("output", f"The slip could not be saved in {folder}: "
                           f"{getattr(exc, 'strerror', None) or exc}. Set $ORDERDESK_SLIPS to a folder "
                           "you can write to.")
        if printer is None:
            return SlipSaved(path)
        try:
            return SlipSaved(path, printer, slips.send_to_printer(pdf, printer, f"Packing slip {package_id}"))
        except slips.PrintError as exc:
            return SlipSaved(path, printer, print_error=str(exc))
    return job
