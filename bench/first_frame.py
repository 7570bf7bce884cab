"""Time to first frame: `orderdesk seller` and `orderdesk buyer` on the demo database,
each a whole process on a pseudo-terminal until its first full paint (the footer's
"palette" key is on the screen, read through a terminal emulator), beside a bare
Textual app with a header and a footer measured the same way. Target: ratio under 1.5.

The first frame is the start screen's outline; the database opens right after it
(tui/lazy.py), so the time until the screen shows its data is reported too: the seller
board's first order card (its "Total $"), as a ratio to the bare app's first frame in the
same run, target at most 2 (issue 14); the buyer's profile (its "Standing"), with no
target. Also: what `orderdesk` imports before its first frame (python -X importtime),
the heaviest first; the database libraries must not be among them.

    python bench/first_frame.py [--runs 7]
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.report import Figure, report  # noqa: E402
from tests.pty_terminal import PtyTerminal  # noqa: E402

TARGET_RATIO = 1.5
TARGET_DATA_RATIO = 2.0  # the seller board's first card on screen, to the bare app's first frame
FIRST_FRAME = "palette"  # the footer's last key: drawn with the first full paint
BARE_APP = """
from textual.app import App
from textual.widgets import Footer, Header
class Bare(App):
    def compose(self):
        yield Header()
        yield Footer()
Bare().run()
"""
DATABASE_LIBRARIES = ("sqlalchemy", "sqlmodel", "alembic", "pydantic", "psycopg")
BEFORE_FIRST_FRAME = "import tui.cli, tui.app, tui.screens.seller_board, tui.screens.buyer_profile"


def seconds_until(argv: list[str], *texts: str) -> list[float]:
    """Seconds from spawn until each text shows, in order."""
    with PtyTerminal(argv, env={"ORDERDESK_NOW": ""}) as term:
        return [term.wait_for(text) for text in texts]


def import_cost() -> dict[str, float]:
    """Top-level imports before the first frame and their cumulative ms."""
    result = subprocess.run([sys.executable, "-X", "importtime", "-c", BEFORE_FIRST_FRAME],
                            cwd=ROOT, capture_output=True, text=True, check=True)
    costs = {}
    for line in result.stderr.splitlines():
        match = re.match(r"import time:\s+\d+ \|\s+(\d+) \|( *)(\S+)", line)
        if match:
            costs[match[3]] = (int(match[1]) / 1000, len(match[2]))
    return costs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="3 runs")
    args = parser.parse_args()
    runs = 3 if args.quick else args.runs
    from core.db import Database
    from core.demo import load_demo

    folder = Path(tempfile.mkdtemp(prefix="orderdesk-frame-"))
    db_path = folder / "demo.db"
    db = Database(f"sqlite:///{db_path}")
    load_demo(db)
    db.dispose()
    app = [sys.executable, "-m", "tui.cli", "--db", str(db_path)]
    commands = {  # name: (command, what shows once its data is in)
        "bare Textual app": ([sys.executable, "-c", BARE_APP], None),
        "orderdesk seller": ([*app, "seller"], "Total $"),  # the first order card's total
        "orderdesk buyer": ([*app, "buyer"], "Standing"),
    }
    seconds_until(commands["bare Textual app"][0], FIRST_FRAME)  # warm the file cache
    frame, data = {}, {}
    for name, (argv, loaded) in commands.items():
        seen = [seconds_until(argv, FIRST_FRAME, *([loaded] if loaded else [])) for _ in range(runs)]
        frame[name] = statistics.median(s[0] for s in seen)
        if loaded:
            data[name] = statistics.median(s[1] for s in seen)
    bare = frame["bare Textual app"]
    report(Figure("first frame: bare Textual app (baseline)", bare * 1000, "ms", runs))
    for name in ("orderdesk seller", "orderdesk buyer"):
        report(Figure(f"first frame: {name} / bare Textual", frame[name] / bare, "x", runs, TARGET_RATIO,
                      note=f"{frame[name] * 1000:.0f} ms"))
    board = data["orderdesk seller"]
    report(Figure("board's data on screen: seller / bare Textual", board / bare, "x", runs, TARGET_DATA_RATIO,
                  note=f"{board * 1000:.0f} ms", or_equal=True))
    report(Figure("first frame: orderdesk buyer, its data shown", data["orderdesk buyer"] * 1000, "ms", runs))

    costs = import_cost()
    top = {module: ms for module, (ms, depth) in costs.items() if depth == 1}
    heavy = sum(ms for module, (ms, _) in costs.items() if module in DATABASE_LIBRARIES)
    report(Figure("imports before the first frame", sum(top.values()), "ms",
                  note="the heaviest: " + ", ".join(f"{m} {ms:.0f}" for m, ms in
                                                    sorted(top.items(), key=lambda kv: -kv[1])[:3])))
    report(Figure("of which database libraries (SQLAlchemy...)", heavy, "ms", target=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
