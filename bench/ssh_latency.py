"""Key press → screen update over SSH, with 20 sessions at once (issue 6's target).

Starts `orderdesk serve ssh` on localhost on a copy of the demo database, opens N
sessions (a real SSH client each), and in every session presses keys that change
the screen (↓/↑: the card cursor on a seller's board, the row cursor in a buyer's
Your orders), timing each press until the app's update reaches the client.
Prints the median and the 95th percentile beside the target (p95 < 50 ms).

    python bench/ssh_latency.py [--sessions 20] [--presses 30]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.report import Figure, report  # noqa: E402
from core.db import Database  # noqa: E402
from core.demo import load_demo  # noqa: E402
from tests.e2e.conftest import Keys, SshServer, login  # noqa: E402

TARGET_P95_MS = 50.0


async def one_session(server, keys, n: int, presses: int, latencies: list[float]) -> None:
    seller = n % 2 == 0
    term = await login(server, "seller-anna" if seller else "aisha", keys.private["seller" if seller else "buyer"])
    if seller:  # ↓/↑ move the card cursor on the To Ship board
        await term.wait_for("newest first", timeout=120)
    else:  # ↓/↑ move the row cursor in Your orders
        await term.wait_for("Standing", timeout=120)
        term.press("o")
        await term.wait_for("Items", timeout=60)
    await asyncio.sleep(1.0)  # let the paint settle
    term.reader.cancel()
    stdout = term.process.stdout
    for i in range(presses):
        started = time.perf_counter()
        term.process.stdin.write(b"\x1b[B" if i % 2 == 0 else b"\x1b[A")
        await asyncio.wait_for(stdout.read(65536), 10)  # the first bytes of the repaint
        latencies.append((time.perf_counter() - started) * 1000)
        await asyncio.sleep(random.uniform(0.05, 0.2))
        try:  # drain the rest of this repaint before the next press
            while await asyncio.wait_for(stdout.read(65536), 0.03):
                pass
        except asyncio.TimeoutError:
            pass
    await term.close()


async def measure(sessions: int, presses: int) -> list[float]:
    folder = Path(tempfile.mkdtemp(prefix="orderdesk-ssh-bench-"))
    db_path = folder / "demo.db"
    db = Database(f"sqlite:///{db_path}")
    load_demo(db)
    db.dispose()
    keys = Keys(folder)
    server = SshServer(folder, f"sqlite:///{db_path}", keys)
    latencies: list[float] = []
    try:
        await asyncio.gather(*(one_session(server, keys, n, presses, latencies) for n in range(sessions)))
    finally:
        server.stop()
    return latencies


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--presses", type=int, default=30)
    args = parser.parse_args()
    latencies = asyncio.run(measure(args.sessions, args.presses))
    latencies.sort()
    median = statistics.median(latencies)
    p95 = latencies[int(0.95 * (len(latencies) - 1))]
    figure = report(Figure(f"ssh key→screen p95, {args.sessions} sessions", p95, "ms", len(latencies),
                           TARGET_P95_MS, note=f"median {median:.1f} ms; the value is the 95th percentile"))
    return 0 if figure.met else 1


if __name__ == "__main__":
    sys.exit(main())
