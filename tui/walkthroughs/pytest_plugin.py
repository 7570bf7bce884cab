"""A pytest plugin: `pytest --walkthroughs DIR` checks a team's walkthroughs as tests.

Installed with orderdesk (the `pytest11` entry point `orderdesk-walkthroughs`). Each
`*.toml` under DIR (or a file given) is one test, played as `orderdesk walkthrough check`
plays it: every `expect`, and each step's screen against `NAME.snapshots/` when that
folder exists (`--walkthroughs-update` writes it). A file that is not a valid walkthrough
fails its test with the file's line numbers.

When pytest-textual-snapshot is installed, every compared step is also recorded in its
HTML report (expected and actual screens side by side), the same way its `snap_compare`
fixture records them; `record_in_snapshot_report` does this for the orderdesk suite's
own check of the built-in walkthroughs too.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest
from rich.console import ConsoleDimensions

from tui.lazy import lazy_import

# The app and its player: only once a walkthrough runs, not in every pytest session.
walkthroughs = lazy_import("tui.walkthroughs")
checker = lazy_import("tui.walkthroughs.check")
player = lazy_import("tui.walkthroughs.player")


def pytest_addoption(parser):
    group = parser.getgroup("walkthroughs", "orderdesk walkthroughs")
    group.addoption("--walkthroughs", action="append", default=[], metavar="DIR",
                    help="Check the orderdesk walkthroughs (*.toml) in DIR, or one file, as tests.")
    group.addoption("--walkthroughs-update", action="store_true",
                    help="Write each walkthrough's NAME.snapshots/ instead of comparing with it.")


def pytest_configure(config):
    roots = [Path(where).resolve() for where in config.getoption("walkthroughs")]
    config._orderdesk_walkthroughs = roots
    config.args.extend(str(root) for root in roots if str(root) not in config.args)


def pytest_collect_file(file_path: Path, parent):
    roots = getattr(parent.config, "_orderdesk_walkthroughs", [])
    if file_path.suffix == ".toml" and any(file_path == root or root in file_path.parents for root in roots):
        return WalkthroughFile.from_parent(parent, path=file_path)
    return None


class WalkthroughFile(pytest.File):
    def collect(self):
        yield WalkthroughItem.from_parent(self, name=self.path.stem)


class WalkthroughFailed(Exception):
    pass


class WalkthroughItem(pytest.Item):
    def runtest(self) -> None:
        try:
            walkthrough = walkthroughs.load(self.path)
        except walkthroughs.WalkthroughError as exc:
            raise WalkthroughFailed(str(exc)) from None
        outcome = checker.check(walkthrough, update=self.config.getoption("walkthroughs_update"))
        record_in_snapshot_report(self, outcome)
        if not outcome.ok:
            raise WalkthroughFailed("\n".join(outcome.messages()))

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, WalkthroughFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self):
        return self.path, 0, f"walkthrough {self.name}"


def record_in_snapshot_report(node, outcome) -> None:
    """Put each step compared with a snapshot into pytest-textual-snapshot's report, as its
    `snap_compare` does (a pickle per comparison in its session folder)."""
    folder = outcome.walkthrough.snapshots
    if not os.environ.get("TEXTUAL_SNAPSHOT_TEMPDIR") or folder is None or not folder.is_dir():
        return
    try:
        from pytest_textual_snapshot import (
            PseudoApp,
            PseudoConsole,
            node_to_report_path,
        )
    except ImportError:  # pragma: no cover - the plugin works without it
        return
    failed = {f.number: f for f in outcome.failures}
    base = node_to_report_path(node)
    path, line, name = node.reportinfo()
    for shot in outcome.shots:
        snapshot = folder / checker.snapshot_name(shot.number)
        failure = failed.get(shot.number)
        passed = failure is None
        expected = snapshot.read_text(encoding="utf-8") if snapshot.is_file() else ""
        data = (passed, expected, shot.svg, PseudoApp(PseudoConsole(False, ConsoleDimensions(*player.SIZE))),
                path, line or 0, f"{name} · step {shot.number}", shot.caption, str(snapshot),
                snapshot.is_file())
        base.with_name(f"{base.name}_step_{shot.number:02d}").write_bytes(pickle.dumps(data))
