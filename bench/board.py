"""The seller's To Ship board on a million orders, measured with Pilot inside the process.

    .venv/bin/python bench/board.py                       # 1,000,000 orders, 7 runs each
    .venv/bin/python bench/board.py --orders 200000 --db /tmp/board-200k.db

The database is generated once (core.synthetic.generate, in a child process so its
memory does not count here) into a cached file and reused when present. Each
figure is a median over the runs, from the moment the action starts to the moment
the card list has drawn the new cards (CardList.painted_at, set in render_line):

- first page: push the board screen (counts + first page from SQL) -> painted; target 150 ms
- filter or tab change: a key (status filter, next tab, product filter) -> painted; 50 ms
- scrolling a page: PageDown -> painted (loading the next page from SQL when due); 16 ms
- the peak resident memory of this process (VmHWM) after all of it; 200 MB

Exit status 0 when every target is met, 1 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.report import Figure, report  # noqa: E402

NOW = "2026-11-20T12:00:00Z"
TARGETS = {"first_page_ms": 150.0, "filter_ms": 50.0, "scroll_ms": 16.0, "rss_mb": 200.0}


def ensure_db(path: Path, orders: int) -> None:
    if path.exists():
        return
    code = (
        "import sys; from datetime import UTC, datetime; from core.db import Database; "
        "from core import synthetic; "
        f"db = Database('sqlite:///{path}.part'); "
        f"print(synthetic.generate(db, {orders}, seed=0, now=datetime(2026, 11, 20, 12, tzinfo=UTC))); "
        "db.dispose()"
    )
    print(f"generating {orders:,} orders into {path} (once) ...", flush=True)
    Path(f"{path}.part").unlink(missing_ok=True)
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
    os.replace(f"{path}.part", path)


def memory_mb() -> tuple[float, float]:
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    kb = lambda k: int(fields.get(k, "0 kB").split()[0]) / 1024  # noqa: E731
    return kb("VmRSS"), kb("VmHWM")


async def wait_painted(cards, since: float, generation: int | None = None, timeout: float = 5.0) -> float:
    deadline = time.perf_counter() + timeout
    while True:
        painted = cards.painted_at
        if painted is not None and painted >= since and (generation is None or cards.generation != generation):
            return painted
        if time.perf_counter() > deadline:
            raise TimeoutError("the board did not paint")
        await asyncio.sleep(0)


async def measure(db_path: Path, runs: int, size: tuple[int, int]) -> dict:
    os.environ["ORDERDESK_NOW"] = NOW
    from core.queries import orders as queries
    from core.queries import board
    from core.db import Database
    from tui.app import OrderDeskApp
    from tui.screens.seller_board import SellerBoardScreen
    from tui.widgets.card_list import CardList

    db = Database(f"sqlite:///{db_path}")
    with db.read() as session:
        shop = queries.shops(session)[0]
        total = board.counts(session, shop.id).by_tab["all"]
        skus = board.shop_skus(session, shop.id)
    results = {"first_page_ms": [], "filter_ms": [], "scroll_ms": []}
    app = OrderDeskApp(db, watch=False)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        for run in range(runs):
            t0 = time.perf_counter()
            screen = SellerBoardScreen("seller", shop.name)
            app.push_screen(screen)
            while not screen.is_mounted or not screen.query(CardList):
                await asyncio.sleep(0)
            cards = screen.query_one(CardList)
            painted = await wait_painted(cards, t0)
            results["first_page_ms"].append((painted - t0) * 1000)
            await pilot.pause()

            for key in ("t", "t", "t", "right", "left"):  # status filter x3, next tab, back
                await pilot.pause()  # from an idle app, as a person presses a key
                generation = cards.generation
                t0 = time.perf_counter()
                await pilot.press(key)
                painted = await wait_painted(cards, t0, generation)
                results["filter_ms"].append((painted - t0) * 1000)
            # the product filter (a SKU picked), applied as the picker applies it
            await pilot.pause()
            generation = cards.generation
            t0 = time.perf_counter()
            screen.skus = frozenset({skus[run % len(skus)][0]})
            screen._refilter()
            painted = await wait_painted(cards, t0, generation)
            results["filter_ms"].append((painted - t0) * 1000)
            screen.skus = frozenset()
            screen._refilter()
            await pilot.press("left")  # All: 300k+ orders
            await pilot.pause()

            for _ in range(40):  # 40 pages down: crosses several SQL pages and window trims
                await pilot.pause()
                t0 = time.perf_counter()
                await pilot.press("pagedown")
                painted = await wait_painted(cards, t0)
                results["scroll_ms"].append((painted - t0) * 1000)
            assert len(cards.cards) <= 120
            app.pop_screen()
            await pilot.pause()
    rss, peak = memory_mb()
    db.dispose()
    return {"results": results, "rss": rss, "peak": peak, "orders": total, "shop": shop.name}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path, default=None)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--size", default="120x36")
    args = parser.parse_args()
    path = args.db or Path(f"/tmp/orderdesk-bench-{args.orders // 1000}k.db"
                           if args.orders != 1_000_000 else "/tmp/orderdesk-bench-1m.db")
    ensure_db(path, args.orders)
    width, height = (int(n) for n in args.size.split("x"))
    out = asyncio.run(measure(path, args.runs, (width, height)))
    res = out["results"]
    size = f"{args.orders // 1_000_000}M" if args.orders >= 1_000_000 else f"{args.orders // 1000}k"
    print(f"database {path} ({out['shop']}: {out['orders']:,} orders in the shop), "
          f"terminal {args.size}, {args.runs} runs")
    labels = {"first_page_ms": "first page painted", "filter_ms": "filter or tab change",
              "scroll_ms": "scrolling a page"}
    figures = []
    for key, label in labels.items():
        values = sorted(res[key])
        figures.append(report(Figure(f"board {size}: {label}", statistics.median(values), "ms", len(values),
                                     TARGETS[key], note=f"min {values[0]:.1f}, max {values[-1]:.1f}")))
    figures.append(report(Figure(f"board {size}: peak resident memory", out["peak"], "MB", 1, TARGETS["rss_mb"],
                                 note=f"{out['rss']:.0f} MB at the end")))
    met_all = all(f.met for f in figures)
    return 0 if met_all else 1


if __name__ == "__main__":
    sys.exit(main())
