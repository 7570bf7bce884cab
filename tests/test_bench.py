"""The benchmark suite's report (issue 8): verdicts against targets, one table, and a
real run of the suite on one quick benchmark. Speeds are not asserted here (machines
are noisy); `python -m bench` prints them beside their targets."""

from __future__ import annotations

import subprocess
import sys

from bench.__main__ import table
from bench.report import Figure
from tests.pty_terminal import ROOT


def test_a_figure_meets_its_target_in_the_direction_that_matters():
    assert Figure("first frame ratio", 1.4, "x", target=1.5).met is True
    assert Figure("first frame ratio", 1.6, "x", target=1.5).met is False
    assert Figure("orders/s", 19_000, "orders/s", target=20_000, higher_is_better=True).met is False
    assert Figure("orders/s", 24_000, "orders/s", target=20_000, higher_is_better=True).verdict == "met"
    assert Figure("cancellations/s", 240, "/s").met is None  # no target: no verdict
    assert Figure("orders/s", 24_000, "orders/s", target=20_000, higher_is_better=True).target_text == \
        "≥ 20,000 orders/s"


def test_the_table_lines_up_and_has_a_markdown_form():
    figures = [Figure("board 1M: scrolling a page", 8.2, "ms", 280, 16, note="min 3.1, max 40.2"),
               Figure("seed synthetic", 23_613, "orders/s", 3, 20_000, higher_is_better=True)]
    text = table(figures, markdown=False).splitlines()
    assert text[0].split() == ["figure", "median", "runs", "target", "met", "note"]
    assert "board 1M: scrolling a page" in text[2] and "8.20 ms" in text[2] and "< 16.0 ms" in text[2]
    markdown = table(figures, markdown=True).splitlines()
    assert markdown[1] == "|---|---|---|---|---|---|"
    assert markdown[3] == "| seed synthetic | 23,613 orders/s | 3 | ≥ 20,000 orders/s | met |  |"


def test_the_suite_runs_a_benchmark_and_tables_its_figure():
    run = subprocess.run([sys.executable, "-m", "bench", "--quick", "seed_synthetic.py"], cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode in (0, 1), run.stderr  # 1: a target not met on this machine
    assert "orderdesk benchmarks, quick mode, on" in run.stdout and "cores" in run.stdout
    final = run.stdout.split("== every figure")[1]
    row = next(line for line in final.splitlines() if line.startswith("seed synthetic"))
    assert "orders/s" in row and ("met" in row.split()) != ("NOT" in row.split())
    assert "1 figure; " in final
