"""`orderdesk seed demo|synthetic`: fill a database."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click


if TYPE_CHECKING:
    pass


from tui.cli.base import Context, cli, with_json
from tui.cli.open import demo_may_replace, force_option
from tui.lazy import lazy_import

demo_data = lazy_import("core.demo")
synthetic = lazy_import("core.synthetic")

@cli.group()
def seed():
    """Fill the database: the demo fixtures, or synthetic orders in bulk."""


@seed.command("demo")
@click.option("--reset", is_flag=True, help="Replace the demo data the database holds.")
@force_option
@with_json
def seed_demo(ctx: Context, reset, force):
    """Load data/demo's fixtures (shops, products, buyers, orders in every state).
    --reset replaces demo data; data that is not the demo's also needs --force."""
    force = demo_may_replace(ctx, reset, force)
    ctx.finish(demo_data.load_demo(ctx.db, reset=reset, force=force))


@seed.command("synthetic")
@click.option("--orders", type=click.IntRange(1, 10_000_000), required=True, help="How many orders.")
@click.option("--seed", "seed_value", type=click.IntRange(0, 999_999_999), default=0, show_default=True,
              help="Random seed.")
@with_json
def seed_synthetic(ctx: Context, orders, seed_value):
    """Generate realistic orders in bulk (all statuses, split orders)."""
    counts = synthetic.generate(ctx.db, orders, seed=seed_value, now=ctx.now)
    ctx.emit(counts, f"Generated {counts['orders']:,} orders in {counts['seconds']:.1f} s.")


# -- orders ----------------------------------------------------------------------------
