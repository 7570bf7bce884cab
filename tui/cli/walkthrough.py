"""`orderdesk walkthrough play|check|export`: scripted demos that are also tests.

A walkthrough is named by a path to its TOML file or, for a built-in one, by its name;
`check` also takes folders. `orderdesk walkthrough NAME` (no subcommand) plays NAME and
`orderdesk walkthrough` alone picks a built-in one to play, as before the subcommands.
Exit codes: 2 for a file that is not a valid walkthrough (every problem listed with its
line) or a name that matches nothing; 1 when a step does not hold (check, export); 0 when
everything passes. Every play uses a fresh copy of the demo data in a temporary folder,
removed afterwards: a walkthrough never touches the database `--db` names.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import click

from core.output import output_file
from tui.cli.base import Context, Seconds, cli, echo, with_json
from tui.lazy import lazy_import

# Textual, the player and the exporters' libraries: only for the subcommand that needs them.
walkthroughs = lazy_import("tui.walkthroughs")
player = lazy_import("tui.walkthroughs.player")
checker = lazy_import("tui.walkthroughs.check")
exporter = lazy_import("tui.walkthroughs.export")


class WalkthroughGroup(click.Group):
    """A first argument that is no subcommand is a walkthrough to play."""

    def resolve_command(self, ctx, args):
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["play", *args]
        return super().resolve_command(ctx, args)


@cli.group(cls=WalkthroughGroup, invoke_without_command=True)
@click.pass_context
def walkthrough(click_ctx):
    """Scripted demos: play one, check them in CI, export them to publish.

    `orderdesk walkthrough NAME` plays NAME; without anything, pick a built-in one."""
    if click_ctx.invoked_subcommand is None:
        click_ctx.invoke(play, where=None)


def _load(ctx: Context, where: str):
    try:
        return walkthroughs.find(where)
    except walkthroughs.WalkthroughError as exc:
        ctx.fail("bad_input", str(exc))


@walkthrough.command()
@click.argument("where", metavar="PATH|NAME", required=False)
@click.option("--autoplay", type=Seconds(0.5, 3600), metavar="SECONDS",
              help="Play the steps by themselves, one every SECONDS (no key needed).")
@click.option("--delay", type=Seconds(0.5, 3600), default=3.0, show_default=True,
              help="Seconds between steps when auto-play is started with F5.")
@with_json
def play(ctx: Context, where, autoplay, delay):
    """Play a walkthrough on a fresh copy of the demo data (no PATH|NAME: pick a built-in one).

    n, Space or → plays the next step, ← or Backspace goes back one, F5 starts and stops
    auto-play (a screen that uses a key keeps it: →, ← or Space for tabs and quantities, every
    key in a text field)."""
    if where is None:
        where = player.pick()
        if not where:
            return
    chosen = _load(ctx, where)
    with tempfile.TemporaryDirectory(prefix="orderdesk-walkthrough-") as folder:
        db = player.fresh_demo(Path(folder) / "demo.db")
        try:
            player.WalkthroughApp(chosen, db, delay=autoplay or delay, autoplay=autoplay is not None).run()
        finally:
            db.dispose()


@walkthrough.command()
@click.argument("where", metavar="PATH|NAME...", nargs=-1, required=True)
@click.option("--update", is_flag=True, help="Write each walkthrough's NAME.snapshots/ instead of comparing.")
@click.option("--junit", "junit_file", type=click.Path(path_type=Path), metavar="FILE",
              help="Write JUnit XML (one testcase per walkthrough).")
@click.option("--report", "report_dir", type=click.Path(path_type=Path), metavar="DIR",
              help="Write DIR/index.html: expected and actual screens side by side for each failing step.")
@with_json
def check(ctx: Context, where, update, junit_file, report_dir):
    """Play walkthroughs unattended and check every step: its expected text and, when
    NAME.snapshots/ is beside the file, its screen. Files, folders, or built-in names."""
    bad, chosen = {}, []  # bad: each file (or name) that is no walkthrough, and its problems
    for one in where:
        try:
            found = walkthroughs.paths(one)
        except walkthroughs.WalkthroughError as exc:
            bad[one] = exc.problems
            continue
        for path in found:
            try:
                chosen.append(walkthroughs.load(path))
            except walkthroughs.WalkthroughError as exc:
                bad[str(path)] = exc.problems
    if bad:
        if junit_file:  # a CI that shows the JUnit file shows these too, as errors
            with output_file(junit_file) as out:
                out.write(checker.junit([], errors=bad))
        ctx.fail("bad_input", "\n".join(p for problems in bad.values() for p in problems)
                 + "\nFix the file(s) above; nothing was played.")
    outcomes = []
    for one in chosen:
        outcome = checker.check(one, update=update)
        outcomes.append(outcome)
        if not ctx.as_json:
            state = "passed" if outcome.ok else "FAILED"
            echo(f"{one.name}: {state} ({len(outcome.shots)}/{len(one.steps)} steps, {outcome.seconds:.1f} s)"
                       + "".join(f"\n  wrote {p}" for p in outcome.updated), err=not outcome.ok)
    if junit_file:
        with output_file(junit_file) as out:
            out.write(checker.junit(outcomes))
    page = checker.write_report(outcomes, report_dir) if report_dir else None
    failed = [o for o in outcomes if not o.ok]
    if failed:
        message = "\n".join(m for o in failed for m in o.messages())
        where_more = f"\nThe screens side by side: {page}" if page else ""
        ctx.fail("walkthrough_failed", f"{len(failed)} of {len(outcomes)} walkthrough(s) failed:\n{message}"
                 f"{where_more}", exit_code=1)
    ctx.emit({"walkthroughs": [{"name": o.walkthrough.name, "path": str(o.walkthrough.path), "ok": o.ok,
                                "steps": len(o.shots), "updated": [str(p) for p in o.updated]}
                               for o in outcomes], "report": str(page) if page else None},
             f"All {len(outcomes)} walkthrough(s) passed.")


@walkthrough.command()
@click.argument("where", metavar="PATH|NAME")
@click.option("--format", "formats", type=click.Choice(["svg", "png", "gif", "cast", "html"]), multiple=True,
              default=["html"], show_default=True,
              help="What to write (repeat for several): a picture per step (svg, png), an animated gif, "
                   "an asciinema cast, an html gallery with the captions.")
@click.option("--output", "folder", type=click.Path(path_type=Path), default=Path("."), metavar="DIR",
              show_default=True, help="The folder to write into.")
@click.option("--delay", type=Seconds(0.5, 3600), default=3.0, show_default=True,
              help="Seconds each step is shown in the gif and the cast.")
@with_json
def export(ctx: Context, where, formats, folder, delay):
    """Play a walkthrough unattended and write it to publish. Each step must show what it
    promises (`expect`), as in check; otherwise nothing is written (exit 1)."""
    chosen = _load(ctx, where)
    exporter.check_folder(folder)
    outcome = checker.run(chosen)
    if not outcome.ok:
        ctx.fail("walkthrough_failed", "\n".join(outcome.messages()) + "\nNothing was written.", exit_code=1)
    written = []
    for fmt in dict.fromkeys(formats):
        written += exporter.write(outcome, fmt, folder, delay=delay)
    written = list(dict.fromkeys(written))  # html writes the PNGs too: each file once
    ctx.emit([str(p) for p in written], f"Wrote {len(written)} file(s) to {folder}.")
