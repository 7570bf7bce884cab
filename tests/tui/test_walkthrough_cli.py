"""`orderdesk walkthrough check` and `export` on a team's own files: exit codes, messages
naming the walkthrough, step and caption, JUnit XML, the HTML report, snapshots beside
the file, every export format, and `pytest --walkthroughs DIR`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path
from xml.etree import ElementTree

import pyte
import pytest
from PIL import Image

from tui.cli import main
from tui import walkthroughs
from tui.walkthroughs import check as checker
from tui.walkthroughs import export as exporter
from tui.walkthroughs.export import cell

ROOT = Path(__file__).resolve().parents[2]
GOOD = '''\
title = "Aisha opens the menu"
view = "buyer"
identity = "aisha.johnson"

[[step]]
caption = "Her profile."
expect = "Aisha Johnson"

[[step]]
caption = "The menu."
keys = ["m"]
expect = ["Settings and Privacy"]
'''
WRONG = GOOD.replace('expect = ["Settings and Privacy"]', 'expect = ["Settings and Privacy", "Sign out of Mars"]')


@pytest.fixture
def team(tmp_path):
    """A team's folder: a good walkthrough and one whose step 2 promises too much."""
    folder = tmp_path / "walkthroughs"
    folder.mkdir()
    (folder / "menu.toml").write_text(GOOD)
    (folder / "wrong.toml").write_text(WRONG)
    return folder


def orderdesk(capsys, *args: str):
    capsys.readouterr()
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_a_good_walkthrough_passes_and_a_wrong_one_says_which_step_and_what_it_showed(team, tmp_path, capsys):
    code, out, err = orderdesk(capsys, "walkthrough", "check", str(team / "menu.toml"), "--json")
    assert code == 0, out + err
    assert json.loads(out)["walkthroughs"][0] | {"path": None} == {"name": "menu", "path": None, "ok": True,
                                                                   "steps": 2, "updated": []}

    junit, report = tmp_path / "junit.xml", tmp_path / "report"
    code, out, err = orderdesk(capsys, "walkthrough", "check", str(team), "--junit", str(junit),
                               "--report", str(report))
    assert code == 1
    message = err.split("Error: ", 1)[1]
    assert "1 of 2 walkthrough(s) failed" in message
    assert "wrong: step 2 (The menu.): expected the screen to show 'Sign out of Mars'; it shows:" in message
    assert "Settings and Privacy" in message  # what it showed instead

    suite = ElementTree.parse(junit).getroot()
    assert (suite.tag, suite.get("tests"), suite.get("failures")) == ("testsuite", "2", "1")
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    assert set(cases) == {"menu", "wrong"}
    assert cases["menu"].find("failure") is None
    assert "step 2 (The menu.)" in cases["wrong"].find("failure").get("message")

    page = (report / "index.html").read_text()
    assert "<h2>wrong: step 2</h2>" in page and "<h2>menu" not in page
    assert page.count("<svg") == 1 and "no snapshot" in page  # no snapshot folder: the actual screen only


def test_snapshots_beside_the_file_are_written_then_compared(team, tmp_path, capsys):
    menu = team / "menu.toml"
    code, out, err = orderdesk(capsys, "walkthrough", "check", str(menu), "--update")
    assert code == 0, err
    assert sorted(p.name for p in (team / "menu.snapshots").iterdir()) == ["step-01.svg", "step-02.svg"]
    assert orderdesk(capsys, "walkthrough", "check", str(menu))[0] == 0  # the same screens again

    menu.write_text(GOOD.replace('caption = "The menu."', 'caption = "The menu, opened with m."'))
    report = tmp_path / "report"
    code, out, err = orderdesk(capsys, "walkthrough", "check", str(menu), "--report", str(report))
    assert code == 1
    assert "menu: step 2 (The menu, opened with m.): the screen differs from " in err
    assert "step-02.svg on 1 row(s):" in err
    assert "expected: ' Step 2/2 · The menu.  (n: next · Backspace: back)'" in err and "seen:     ' Step 2/2 · The menu, opened" in err
    page = (report / "index.html").read_text().replace("&#160;", " ")
    assert page.count("<svg") == 2  # expected and actual, side by side
    assert "Step 2/2 · The menu. " in page and "Step 2/2 · The menu, opened with m." in page


def test_files_that_are_not_walkthroughs_are_bad_input_with_their_lines_and_nothing_plays(team, tmp_path, capsys):
    (team / "broken.toml").write_text(GOOD.replace('keys = ["m"]', 'keys = ["menu"]').replace("caption = \"Her", "captoin = \"Her"))
    junit = tmp_path / "junit.xml"
    code, out, err = orderdesk(capsys, "walkthrough", "check", str(team), "--json", "--junit", str(junit))
    assert code == 2
    error = json.loads(out)["error"]
    assert error["code"] == "bad_input"
    lines = error["message"].splitlines()
    assert lines[0].endswith("broken.toml:6: unknown key 'captoin' in step 1; did you mean 'caption'? "
                             "the keys are: caption, keys, type, expect, station, open, wait")
    assert lines[1].endswith("broken.toml:5: step 1 has no caption: say what the step shows, caption = \"...\"")
    assert lines[2].endswith("broken.toml:11: Textual has no key 'menu' (a character, its name such as "
                             "'question_mark', or 'enter', 'f5'...) (in step 2)")
    assert lines[-1] == "Fix the file(s) above; nothing was played."
    # a CI that shows the JUnit file shows the broken file too (nothing was played)
    suite = ElementTree.parse(junit).getroot()
    assert (suite.get("tests"), suite.get("errors"), suite.get("failures")) == ("1", "1", "0")
    case = suite.find("testcase")
    assert case.get("name") == "broken" and "unknown key 'captoin'" in case.find("error").get("message")
    assert "Textual has no key 'menu'" in case.find("error").text
    assert orderdesk(capsys, "walkthrough", "check", "no-such-walkthrough")[0] == 2


def test_export_writes_every_format_of_the_whole_walkthrough(team, tmp_path, capsys):
    out_dir = tmp_path / "out"
    code, out, err = orderdesk(capsys, "walkthrough", "export", str(team / "menu.toml"), "--output", str(out_dir),
                               "--delay", "2", *[a for f in ("svg", "png", "gif", "cast", "html") for a in ("--format", f)],
                               "--json")
    assert code == 0, out + err
    written = [Path(p).name for p in json.loads(out)]
    assert len(written) == len(set(written))  # each file said once (html writes the PNGs as well)
    written = set(written)
    assert written == {"menu-01.svg", "menu-02.svg", "menu-01.png", "menu-02.png", "menu.gif", "menu.cast", "menu.html"}

    width, height = cell()
    for png in ("menu-01.png", "menu-02.png"):
        assert Image.open(out_dir / png).size == (100 * width, 32 * height)  # the grid, cell by cell

    gif = Image.open(out_dir / "menu.gif")
    assert gif.n_frames >= 2 and gif.size == (100 * width, 32 * height)
    assert gif.info["duration"] == 2000

    header, *events = (out_dir / "menu.cast").read_text().splitlines()
    header = json.loads(header)
    assert (header["version"], header["width"], header["height"]) == (2, 100, 32)
    events = [json.loads(line) for line in events]
    assert [e[:2] for e in events] == [[0, "o"], [2.0, "o"], [4.0, "o"]]  # the last step held 2 s too
    assert "Aisha Johnson" in events[0][2] and "Settings and Privacy" in events[1][2]
    assert "Step 2/2 · The menu." in events[1][2]

    page = (out_dir / "menu.html").read_text()
    assert '<img src="menu-01.png"' in page and "Step 2 of 2.</b> The menu." in page


def test_export_shows_the_change_watcher_line_a_person_sees(tmp_path, capsys):
    """The buyer's screen while another station moves the order on: "This order just
    changed", as the app shows it within a second (the watcher is on in export)."""
    code, out, err = orderdesk(capsys, "walkthrough", "export", "3-cancellation-failed", "--format", "cast",
                               "--output", str(tmp_path), "--json")
    assert code == 0, out + err
    events = [json.loads(line) for line in (tmp_path / "3-cancellation-failed.cast").read_text().splitlines()[1:]]
    assert "This order just changed" in events[2][2]


def test_export_fails_like_check_and_writes_nothing(team, tmp_path, capsys):
    code, _, err = orderdesk(capsys, "walkthrough", "export", str(team / "wrong.toml"), "--format", "png",
                               "--output", str(tmp_path / "out"))
    assert code == 1
    assert "wrong: step 2 (The menu.): expected the screen to show 'Sign out of Mars'" in err
    assert "Nothing was written." in err and not (tmp_path / "out").exists()


def test_pytest_walkthroughs_runs_a_teams_folder_as_tests(team, tmp_path):
    """What a team runs in its own repository (the plugin loaded as its entry point loads it)."""
    entry = (ROOT / "pyproject.toml").read_text()
    assert 'orderdesk-walkthroughs = "tui.walkthroughs.pytest_plugin"' in entry
    # Installed (as CI and a team have it), pytest loads the plugin through its entry point by
    # itself; from a bare checkout, name it. (Naming it when installed too registers it twice.)
    installed = entry_points(group="pytest11", name="orderdesk-walkthroughs")
    load = [] if installed else ["-p", "tui.walkthroughs.pytest_plugin"]
    run = subprocess.run([sys.executable, "-m", "pytest", *load, "-p", "no:cacheprovider",
                          "--walkthroughs", str(team), "-rA", "--rootdir", str(tmp_path)],
                         cwd=tmp_path, capture_output=True, text=True, timeout=600,
                         env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "PASSED" in run.stdout and "walkthroughs/menu.toml::menu" in run.stdout
    assert "FAILED" in run.stdout and "walkthroughs/wrong.toml::wrong" in run.stdout
    assert "wrong: step 2 (The menu.): expected the screen to show 'Sign out of Mars'" in run.stdout
    assert "1 failed, 1 passed" in run.stdout


def test_the_cast_replays_each_steps_screen_in_a_terminal_of_its_size(team, tmp_path):
    """A player (here pyte, a terminal emulator) fed the cast up to a step's event shows
    exactly that step's screen: every row on its own row, none wrapped or scrolled away;
    and the last step is held for --delay like the others before the recording ends."""
    outcome = checker.run(walkthroughs.load(team / "menu.toml"))
    assert outcome.ok
    exporter.write(outcome, "cast", tmp_path, delay=2)
    header, *events = (tmp_path / "menu.cast").read_text().splitlines()
    header = json.loads(header)
    screen = pyte.Screen(header["width"], header["height"])
    stream = pyte.Stream(screen)
    events = [json.loads(line) for line in events]
    for shot, (_, kind, data) in zip(outcome.shots, events):
        assert kind == "o"
        stream.feed(data)
        grid = ["".join(segment.text for segment in row).rstrip() for row in shot.lines]
        assert len(grid) == header["height"] and f"Step {shot.number}/2" in grid[-2]
        assert [row.rstrip() for row in screen.display] == grid
    assert events[-1][0] == 2 * len(outcome.shots)  # the recording ends `delay` after the last step
