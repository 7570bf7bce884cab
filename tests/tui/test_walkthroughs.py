"""Every built-in walkthrough (data/walkthroughs/) through `check`, as CI runs a team's:
each step's keys played, the text it promises on screen, and each step's screen equal
to its snapshot in NAME.snapshots/. Each compared step shows in pytest-textual-snapshot's
report (expected and actual side by side) when it differs.

To accept a screen that changed on purpose: `orderdesk walkthrough check NAME --update`
(or every one: `orderdesk walkthrough check data/walkthroughs --update`), then look at the
changed SVGs before committing them."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest

from tests.databases import fresh_url
from tui.walkthroughs import builtin, builtins
from tui.walkthroughs.check import check
from tui.walkthroughs.pytest_plugin import record_in_snapshot_report

NAMES = [w.name for w in builtins()]


def test_there_are_the_seven_walkthroughs_of_the_issue():
    assert len(NAMES) >= 7
    assert all(w.snapshots.is_dir() for w in builtins()), "every built-in walkthrough has its snapshots"


@pytest.mark.parametrize("name", NAMES)
def test_walkthrough(name, tmp_path, request):
    outcome = check(builtin(name), database=fresh_url(tmp_path, "walkthrough"))
    record_in_snapshot_report(request.node, outcome)
    assert outcome.ok, "\n".join(outcome.messages())
    assert len(outcome.shots) == len(outcome.walkthrough.steps)


def test_a_changed_step_shows_in_the_textual_snapshot_report(tmp_path, request):
    """The report's own data: one record per compared step, the changed one failing with
    both screens (what pytest-textual-snapshot's HTML page shows side by side)."""
    from tui.walkthroughs import parse

    source = builtin("4-refuse-delivery")
    mine = tmp_path / "mine.toml"
    mine.write_text(source.path.read_text().replace("The app warns", "The app tells"))
    (tmp_path / "mine.snapshots").mkdir()
    for svg in source.snapshots.glob("*.svg"):
        (tmp_path / "mine.snapshots" / svg.name).write_text(svg.read_text())
    outcome = check(parse(mine.read_text(), mine), database=fresh_url(tmp_path, "walkthrough"))
    assert [f.number for f in outcome.failures] == [2]
    before = set(Path(os.environ["TEXTUAL_SNAPSHOT_TEMPDIR"]).iterdir())
    record_in_snapshot_report(request.node, outcome)
    records = [pickle.loads(p.read_bytes()) for p in set(Path(os.environ["TEXTUAL_SNAPSHOT_TEMPDIR"]).iterdir()) - before]
    try:
        assert sorted((r[6].rsplit(" ", 1)[1], r[0]) for r in records) == [("1", True), ("2", False), ("3", True),
                                                                            ("4", True), ("5", True)]
        changed = next(r for r in records if not r[0])
        assert "The app warns" in changed[1].replace("&#160;", " ")  # the snapshot
        assert "The app tells" in changed[2].replace("&#160;", " ")  # the screen
    finally:
        for path in set(Path(os.environ["TEXTUAL_SNAPSHOT_TEMPDIR"]).iterdir()) - before:
            path.unlink()  # this test's failure is on purpose: not for the session's report
