"""`orderdesk walkthrough`: scripted demos."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click


if TYPE_CHECKING:
    pass


from tui.cli.base import Context, Seconds, cli, with_json

@cli.command()
@click.argument("name", required=False)
@click.option("--export", "export_dir", type=click.Path(path_type=Path), metavar="DIR",
              help="Write each step's screenshot (SVG, and PNG where a converter is installed) instead.")
@click.option("--delay", type=Seconds(0.5, 3600), default=3.0, show_default=True,
              help="Seconds between steps in auto-play.")
@with_json
def walkthrough(ctx: Context, name, export_dir, delay):
    """Play a scripted demo on a fresh copy of the demo data (no NAME: pick one).

    Space or → plays the next step, ← goes back one, a toggles auto-play."""
    import asyncio
    import tempfile

    from tui import walkthrough as wt

    try:
        chosen = [wt.find(name)] if name else (wt.all_walkthroughs() if export_dir else [])
    except wt.WalkthroughError as exc:
        ctx.fail("bad_input", str(exc))
    folder = Path(tempfile.mkdtemp(prefix="orderdesk-walkthrough-"))
    if export_dir:
        written = []
        for one in chosen:
            written += asyncio.run(wt.export(one, export_dir, wt.fresh_demo(folder / f"{one.name}.db")))
        ctx.emit([str(p) for p in written], f"Wrote {len(written)} file(s) to {export_dir}.")
        return
    if not chosen:
        picked = wt.pick()
        if not picked:
            return
        chosen = [wt.find(picked)]
    wt.WalkthroughApp(chosen[0], wt.fresh_demo(folder / "demo.db"), delay=delay).run()


# -- serving ---------------------------------------------------------------------------------------
