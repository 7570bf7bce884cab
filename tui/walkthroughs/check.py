"""`orderdesk walkthrough check`: play walkthroughs unattended and say what does not hold.

Each walkthrough plays every step headless (100×32, the change watcher on, as a person
sees it) on a fresh copy of the demo data. A step fails when the screen does not show
every `expect` text within STEP_PATIENCE, when its station command fails, or, when the
walkthrough has a snapshot folder (`NAME.snapshots/` beside the file), when its screen
differs from `step-NN.svg` there. `--update` writes the folder instead of comparing.

Decisions where the issue is silent:
- The first step whose `expect` fails ends that walkthrough (the steps after it would
  start from a screen nobody meant); a screen that only looks different does not, so the
  report shows every step that changed.
- `--update` writes the snapshots of a walkthrough only when all its steps show what they
  promise, and removes step files beyond its last step.
- Screens are compared as Textual's SVG screenshots with rich's random id taken out (as
  pytest-textual-snapshot compares them); a failure shows the first rows that differ.
"""

from __future__ import annotations

import asyncio
import html
import re
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

from rich.segment import Segment

from core.output import OutputError, output_file
from tui.walkthroughs.format import Walkthrough
from tui.walkthroughs.player import (
    SIZE,
    StepFailed,
    WalkthroughApp,
    fresh_demo,
    screen_console,
)

SVG_CHAR_WIDTH = 12.2  # rich's export_svg: 20 px characters, 0.61 wide


def normalize_svg(svg: str) -> str:
    """Without the random id rich gives each SVG (pytest-textual-snapshot's normalize_svg)."""
    return re.sub(r"\bterminal-\d+-([\w-]+)", r"terminal-\1", svg)


def svg_rows(svg: str) -> list[str]:
    """The text a Textual SVG screenshot shows, row by row."""
    rows: dict[int, dict[int, str]] = {}
    for x, row, text in re.findall(r'<text [^>]*?x="([\d.]+)"[^>]*?clip-path="url\(#[\w-]*?-line-(\d+)\)"[^>]*>'
                                   r"(.*?)</text>", svg):
        rows.setdefault(int(row), {})[round(float(x) / SVG_CHAR_WIDTH)] = html.unescape(text).replace("\xa0", " ")
    out = []
    for n in range(max(rows, default=-1) + 1):
        line = ""
        for col, text in sorted(rows.get(n, {}).items()):
            line = line.ljust(col) + text
        out.append(line.rstrip())
    return out


@dataclass
class Shot:
    """One step played: what the screen showed."""

    number: int
    caption: str
    text: str
    svg: str
    lines: list[list[Segment]]  # the terminal grid, row by row, without line ends (PNG, GIF, cast)


@dataclass
class StepFailure:
    number: int
    caption: str
    message: str  # what was expected and seen
    expected_svg: str | None = None  # a snapshot that differs: both screens, for the report
    actual_svg: str | None = None


@dataclass
class Outcome:
    walkthrough: Walkthrough
    shots: list[Shot] = field(default_factory=list)
    failures: list[StepFailure] = field(default_factory=list)
    seconds: float = 0.0
    updated: list[Path] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures

    def messages(self) -> list[str]:
        w = self.walkthrough
        return [f"{w.name}: step {f.number} ({f.caption}): {f.message}" for f in self.failures]


async def play(walkthrough: Walkthrough, db, size=SIZE) -> Outcome:
    """Play every step headless; stop at the first step that does not show what it promises."""
    outcome = Outcome(walkthrough)
    app = WalkthroughApp(walkthrough, db)
    async with app.run_test(size=size):
        for n, step in enumerate(walkthrough.steps, 1):
            try:
                text = await app.advance()
            except StepFailed as exc:
                outcome.failures.append(StepFailure(n, step.caption, str(exc)))
                break
            console = screen_console(app)
            lines = list(Segment.split_and_crop_lines(Segment.filter_control(console._record_buffer),
                                                      length=size[0], include_new_lines=False))
            svg = app.export_screenshot(title=f"{walkthrough.title}: step {n}")
            outcome.shots.append(Shot(n, step.caption, text, svg, lines))
            missing = [e for e in step.expect if e not in text]
            if missing:
                seen = "\n".join(f"    | {line}" for line in text.rstrip().splitlines())
                outcome.failures.append(StepFailure(
                    n, step.caption, f"expected the screen to show {', '.join(map(repr, missing))}; "
                                     f"it shows:\n{seen}", actual_svg=svg))
                break
    return outcome


def run(walkthrough: Walkthrough, database: str | None = None, size=SIZE) -> Outcome:
    """Play a walkthrough on a fresh copy of the demo data: a temporary SQLite file, or the
    database URL given (its contents are replaced)."""
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="orderdesk-check-") as folder:
        db = fresh_demo(database or Path(folder) / "demo.db")
        try:
            outcome = asyncio.run(play(walkthrough, db, size))
        finally:
            db.dispose()
    outcome.seconds = time.monotonic() - started
    return outcome


def snapshot_name(number: int) -> str:
    return f"step-{number:02d}.svg"


def compare_snapshots(outcome: Outcome) -> None:
    """Each step's screen against NAME.snapshots/step-NN.svg, when that folder exists."""
    folder = outcome.walkthrough.snapshots
    if folder is None or not folder.is_dir():
        return
    for shot in outcome.shots:
        path = folder / snapshot_name(shot.number)
        if not path.is_file():
            outcome.failures.append(StepFailure(shot.number, shot.caption,
                                                f"no snapshot {path}; write it with --update", actual_svg=shot.svg))
            continue
        expected = path.read_text(encoding="utf-8")
        if normalize_svg(expected) != normalize_svg(shot.svg):
            outcome.failures.append(StepFailure(shot.number, shot.caption, differences(expected, shot.svg, path),
                                                expected_svg=expected, actual_svg=shot.svg))
    outcome.failures.sort(key=lambda f: f.number)


def differences(expected: str, actual: str, path: Path, most: int = 3) -> str:
    """What differs between a snapshot and the screen, in words a person can check."""
    before, after = svg_rows(expected), svg_rows(actual)
    rows = [n for n in range(max(len(before), len(after)))
            if (before[n] if n < len(before) else "") != (after[n] if n < len(after) else "")]
    if not rows:
        return f"the screen differs from {path} in colour or style only (the text is the same)"
    lines = [f"the screen differs from {path} on {len(rows)} row(s):"]
    for n in rows[:most]:
        lines.append(f"    row {n + 1} expected: {before[n] if n < len(before) else ''!r}")
        lines.append(f"    row {n + 1} seen:     {after[n] if n < len(after) else ''!r}")
    return "\n".join(lines)


def update_snapshots(outcome: Outcome) -> None:
    """Write NAME.snapshots/step-NN.svg for every step (only when every step held)."""
    folder = outcome.walkthrough.snapshots
    if folder is None or not outcome.ok:
        return
    try:
        folder.mkdir(exist_ok=True)
    except OSError as exc:
        raise OutputError(f"Cannot write the snapshots to {folder}: {exc.strerror}.") from exc
    for shot in outcome.shots:
        path = folder / snapshot_name(shot.number)
        if not path.is_file() or normalize_svg(path.read_text(encoding="utf-8")) != normalize_svg(shot.svg):
            with output_file(path) as out:
                out.write(shot.svg)
            outcome.updated.append(path)
    for stale in folder.glob("step-*.svg"):
        if stale.name not in {snapshot_name(s.number) for s in outcome.shots}:
            stale.unlink()


def check(walkthrough: Walkthrough, *, update: bool = False, database: str | None = None) -> Outcome:
    """Play one walkthrough and compare (or, with `update`, write) its snapshots."""
    outcome = run(walkthrough, database)
    if update:
        update_snapshots(outcome)
    else:
        compare_snapshots(outcome)
    return outcome


# -- what a CI reads ------------------------------------------------------------------------------
def junit(outcomes: list[Outcome], errors: dict[str, tuple[str, ...]] | None = None) -> str:
    """JUnit XML: one testsuite, one testcase per walkthrough, a <failure> per failing one;
    `errors`: files that are not walkthroughs (nothing was played), an <error> each."""
    errors = errors or {}
    suite = ElementTree.Element("testsuite", name="orderdesk walkthroughs", tests=str(len(outcomes) + len(errors)),
                                failures=str(sum(not o.ok for o in outcomes)), errors=str(len(errors)),
                                time=f"{sum(o.seconds for o in outcomes):.3f}")
    for where, problems in errors.items():
        case = ElementTree.SubElement(suite, "testcase", classname="walkthroughs", name=Path(where).stem,
                                      file=where, time="0.000")
        error = ElementTree.SubElement(case, "error", message=problems[0])
        error.text = "\n".join(problems)
    for outcome in outcomes:
        w = outcome.walkthrough
        case = ElementTree.SubElement(suite, "testcase", classname="walkthroughs", name=w.name,
                                      file=str(w.path or ""), time=f"{outcome.seconds:.3f}")
        if not outcome.ok:
            first = outcome.failures[0]
            failure = ElementTree.SubElement(case, "failure", message=f"step {first.number} ({first.caption}): "
                                                                      f"{first.message.splitlines()[0]}")
            failure.text = "\n\n".join(outcome.messages())
    ElementTree.indent(suite)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(suite, encoding="unicode") + "\n"


REPORT_STYLE = """
body { font-family: sans-serif; margin: 2em; background: #f6f6f6; }
section { background: white; padding: 1em; margin-bottom: 2em; border-radius: 6px; }
.screens { display: flex; gap: 1em; } .screens figure { flex: 1; margin: 0; }
.screens svg { width: 100%; height: auto; } pre { white-space: pre-wrap; background: #eee; padding: .5em; }
.ok { color: #2a7d2a; } .failed { color: #b00020; }
"""


def _inline(svg: str | None, what: str) -> str:
    if svg is None:
        return f"<p><em>{what}: none</em></p>"
    return re.sub(r"^<\?xml[^>]*>", "", svg.strip())


def write_report(outcomes: list[Outcome], folder: Path) -> Path:
    """folder/index.html: each walkthrough's result; for each failing step, the expected
    (snapshot) and the actual screen side by side, and what differs."""
    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>Walkthrough check</title>"
             f"<style>{REPORT_STYLE}</style></head><body><h1>Walkthrough check</h1><ul>"]
    for o in outcomes:
        state = "<span class='ok'>passed</span>" if o.ok else f"<span class='failed'>{len(o.failures)} failing step(s)</span>"
        parts.append(f"<li>{html.escape(o.walkthrough.name)}: {state}</li>")
    parts.append("</ul>")
    for o in outcomes:
        for f in o.failures:
            parts.append(
                f"<section><h2>{html.escape(o.walkthrough.name)}: step {f.number}</h2>"
                f"<p>{html.escape(f.caption)}</p><pre>{html.escape(f.message)}</pre><div class='screens'>"
                f"<figure><figcaption>Expected</figcaption>{_inline(f.expected_svg, 'no snapshot')}</figure>"
                f"<figure><figcaption>Actual</figcaption>{_inline(f.actual_svg, 'no screen')}</figure>"
                f"</div></section>")
    parts.append("</body></html>\n")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        why = "it is not a folder" if isinstance(exc, FileExistsError) else exc.strerror
        raise OutputError(f"Cannot write the report to {folder}: {why}; choose another folder with --report DIR.") \
            from exc
    page = folder / "index.html"
    with output_file(page) as out:
        out.write("".join(parts))
    return page
