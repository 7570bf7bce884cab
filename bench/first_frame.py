"""Time to first frame: `orderdesk seller` and `orderdesk buyer` on the demo database,
each a whole process on a pseudo-terminal until its first full paint (the footer's
"palette" key is drawn), beside a bare Textual app with a header and a footer
measured the same way. Target: ratio under 1.5. Also: what `orderdesk` imports
before its first frame (python -X importtime), the heaviest first.

    python bench/first_frame.py [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import pty
import re
import select
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TARGET_RATIO = 1.5
BARE_APP = """
from textual.app import App
from textual.widgets import Footer, Header
class Bare(App):
    def compose(self):
        yield Header()
        yield Footer()
Bare().run()
"""


def first_frame(argv: list[str], marker: bytes = b"palette", timeout: float = 30) -> float:
    """Seconds from spawn until `marker` has been written to the terminal."""
    master, slave = pty.openpty()
    os.set_blocking(master, False)
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "100", "LINES": "32"}
    env.pop("ORDERDESK_NOW", None)
    import fcntl
    import struct
    import termios
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 32, 100, 0, 0))
    started = time.perf_counter()
    child = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=ROOT,
                             start_new_session=True)
    os.close(slave)
    seen = b""
    try:
        while marker not in seen:
            if time.perf_counter() - started > timeout:
                raise TimeoutError(f"{argv} drew no {marker!r}: {seen[-300:]!r}")
            ready, _, _ = select.select([master], [], [], 0.05)
            if ready:
                try:
                    seen += os.read(master, 65536)
                except OSError:
                    break
        return time.perf_counter() - started
    finally:
        child.kill()
        child.wait()
        os.close(master)


def import_cost() -> list[tuple[str, float]]:
    """The heaviest top-level imports of the app before its first frame, in ms."""
    result = subprocess.run([sys.executable, "-X", "importtime", "-c", "import tui.cli, tui.app"],
                            cwd=ROOT, capture_output=True, text=True)
    costs = {}
    for line in result.stderr.splitlines():
        match = re.match(r"import time:\s+\d+ \|\s+(\d+) \|( *)(\S+)", line)
        if match and len(match[2]) == 1:  # top-level imports only
            costs[match[3]] = int(match[1]) / 1000
    return sorted(costs.items(), key=lambda kv: -kv[1])


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
    commands = {
        "bare Textual app": [sys.executable, "-c", BARE_APP],
        "orderdesk seller": [*app, "seller"],
        "orderdesk buyer": [*app, "buyer"],
    }
    first_frame(commands["bare Textual app"])  # warm the file cache
    times = {name: statistics.median(first_frame(argv) for _ in range(runs)) for name, argv in commands.items()}
    bare = times["bare Textual app"]
    print(f"first frame, median of {runs} runs, on a {os.cpu_count()}-core machine:")
    print(f"  bare Textual app      {bare * 1000:7.0f} ms")
    for name in ("orderdesk seller", "orderdesk buyer"):
        ratio = times[name] / bare
        met = "met" if ratio < TARGET_RATIO else "NOT met"
        print(f"  {name:<20}  {times[name] * 1000:7.0f} ms  ratio {ratio:.2f} (target < {TARGET_RATIO}): {met}")
    print("imports before the first frame (the heaviest, cumulative ms):")
    for module, ms in import_cost()[:8]:
        print(f"  {module:<24} {ms:7.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
