"""`orderdesk demo`, `orderdesk buyer`, `orderdesk seller`: open the app.

The launcher (any shop, any buyer) belongs to plain `orderdesk` and `orderdesk demo`.
`orderdesk seller [--shop X]` and `orderdesk buyer [--user Y]` stay on the identity
they opened (the one named, or the first): Escape on its start screen goes no further
(a bell, as served sessions do); another identity is another `orderdesk` command."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from core import rules
from core.results import Refusal
from tui.lazy import lazy_import

if TYPE_CHECKING:
    pass


from tui.cli.base import Context, cli, open_tui, report, with_json

demo_data = lazy_import("core.demo")

# -- the app ----------------------------------------------------------------------
force_option = click.option(
    "--force", is_flag=True,
    help="Replace data that is not the demo's (on a terminal you are asked to type 'replace').")


def demo_may_replace(ctx: Context, reset: bool, force: bool) -> bool:
    """Whether loading the demo may replace what the database holds: demo data (or
    nothing) always; anything else only with --force, confirmed by typing 'replace'
    when a person is at the terminal. Refuses (exit 1) otherwise, changing nothing."""
    with ctx.db.read() as session:
        held = demo_data.holdings(session)
        if not reset or not held or demo_data.is_demo_data(session):
            return False
    if not force:
        report(ctx.as_json, Refusal("not_demo_data", demo_data.not_demo_message(held), {"would_lose": held}), 1)
    if sys.stdin.isatty():
        answer = click.prompt(f"{ctx.display_url} holds {demo_data.describe(held)}. Type 'replace' to replace it all "
                              "with the demo data", default="", show_default=False, err=True)
        if answer.strip() != "replace":
            ctx.fail("not_confirmed", "Nothing was replaced (you did not type 'replace').", 1)
    return True


@cli.command()
@force_option
@with_json
def demo(ctx: Context, force):
    """Load the demo data into the database and open the app. A database holding
    anything but demo data is refused unless --force (use --db demo.db for a file of its own)."""
    force = demo_may_replace(ctx, True, force)
    open_tui(ctx, prepare=lambda db: demo_data.load_demo(db, reset=True, force=force))


@cli.command()
@click.option("--user", help="The buyer's username (default: the first buyer).")
@click.option("--app-version", help="Pretend the buyer's app is this version (e.g. 33.0.0).")
@click.option("--simulate", type=click.Choice(["slow-network", "no-network", "system-error"]),
              help="Demo: make the buyer's Send meet a slow network, no network or a system error "
                   "(switch it in the app with ctrl+n or the command palette).")
@with_json
def buyer(ctx: Context, user, app_version, simulate):
    """Open the app on the buyer's Profile (only this buyer's screens: no launcher)."""
    if app_version:
        try:
            rules.version_tuple(app_version)
        except ValueError as exc:
            ctx.fail("bad_input", f"--app-version: {exc}.")
    open_tui(ctx, role="buyer", identity=user, app_version=app_version, simulate=simulate, locked=True)


@cli.command()
@click.option("--shop", help="The shop's name (default: the first shop).")
@with_json
def seller(ctx: Context, shop):
    """Open the app on the seller's To Ship board (only this shop's screens: no launcher)."""
    open_tui(ctx, role="seller", identity=shop, locked=True)


# -- seeding ------------------------------------------------------------------------
