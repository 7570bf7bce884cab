"""The benchmark suite's report (issue 8): verdicts against targets, one table, the
exit status, and a real run of the suite on one quick benchmark. No speed is asserted
here, and no test depends on one: whether this machine meets a target is the
benchmark's finding (its row and its exit status), not the test's."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from sqlalchemy import create_engine, text

from bench.__main__ import summary, table
from bench.latency import URL_ENV
from bench.report import SKIPPED, Figure
from tests.databases import PG_URL
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


def test_a_missed_target_is_a_finding_named_in_the_summary_with_exit_status_1():
    met = Figure("board 1M: first page painted", 26.0, "ms", 7, 150)
    missed = Figure("seed synthetic", 19_000, "orders/s", 3, 20_000, higher_is_better=True)
    untargeted = Figure("SQLite: whole-order cancellations, 1 process", 265, "/s", 3)
    assert summary([met, untargeted], []) == ("\n2 figures; 1 targets met, 0 not met", 0)
    text, status = summary([met, missed, untargeted], [])
    assert status == 1 and text.endswith("1 targets met, 1 not met: seed synthetic")
    text, status = summary([met], ["board.py --orders 10000: exit 2, 0 figures"])
    assert status == 1 and text.startswith("FAILED to run: board.py --orders 10000: exit 2")
    assert table([missed], markdown=True).splitlines()[2].split(" | ")[4] == "NOT met"


def test_the_suite_runs_a_benchmark_and_tables_its_figure():
    run = subprocess.run([sys.executable, "-m", "bench", "--quick", "seed_synthetic.py"], cwd=ROOT,
                         capture_output=True, text=True, timeout=900)
    assert run.returncode in (0, 1), run.stderr  # 1: the target was not met on this machine, now
    assert "orderdesk benchmarks, quick mode, on" in run.stdout and "cores" in run.stdout
    final = run.stdout.split("== every figure")[1]
    head, rule, row = final.splitlines()[1:4]
    assert head.split() == ["figure", "median", "runs", "target", "met", "note"] and set(rule) <= {"-", " "}
    name, value, runs, target, verdict = re.split(r"\s{2,}", row.strip())[:5]
    assert name.startswith("seed synthetic") and value.endswith("orders/s") and target.startswith("≥ ")
    assert verdict in ("met", "NOT met")
    # whichever it was, the row, the last line and the exit status say the same
    if verdict == "met":
        assert run.returncode == 0 and "1 figure; 1 targets met, 0 not met" in final
    else:
        assert run.returncode == 1 and f"1 figure; 0 targets met, 1 not met: {name}" in final


def test_a_target_the_figure_may_equal_reads_at_most_and_a_skip_is_no_failure():
    assert Figure("stall", 50, "ms", target=50, or_equal=True).met is True
    assert Figure("stall", 50.1, "ms", target=50, or_equal=True).met is False
    assert Figure("UI-thread SQL", 0, "stmts", target=0, or_equal=True).target_text == "≤ 0 stmts"
    met = Figure("cursor key → screen", 4.1, "ms", 12, 16, or_equal=True)
    text, status = summary([met], [], ["latency.py skipped: no PostgreSQL reachable at ..."])
    assert status == 0 and text.splitlines()[0] == "latency.py skipped: no PostgreSQL reachable at ..."


LATENCY_FIGURES = [  # every figure latency.py states, each with its target
    *(f"latency: {action}: {what}" for action in ("board opens", "cursor key", "status filter key",
                                                  "cancel wizard opens", "reason, scope keys", "Submit")
      for what in ("UI-thread SQL", "longest stall")),
    "latency: whole session: UI-thread SQL", "latency: cursor key → screen",
    "latency: Submit key → screen changes", "latency: Submit key → done",
    "latency: app start → board's data",
]


def test_the_latency_benchmark_without_postgresql_says_so_in_one_line_and_hides_the_password():
    run = subprocess.run([sys.executable, "bench/latency.py", "--quick"], cwd=ROOT, capture_output=True,
                         text=True, timeout=120, check=False, env={**os.environ, URL_ENV: "postgresql+psycopg://"
                                                     "bench:s3cret-pw@127.0.0.1:1/none"})
    assert run.returncode == SKIPPED, run.stderr
    assert run.stdout.startswith("skipped: no PostgreSQL reachable at postgresql+psycopg://bench:***@127.0.0.1:1")
    assert len(run.stdout.splitlines()) == 1 and not run.stderr
    assert "s3cret-pw" not in run.stdout


def test_the_latency_benchmark_drives_the_app_on_postgresql_and_states_every_figure():
    if not PG_URL:
        pytest.skip("ORDERDESK_TEST_DATABASE_URL is not set: the PostgreSQL benchmark was NOT run")
    before = latency_databases()
    run = subprocess.run([sys.executable, "bench/latency.py", "--quick"], cwd=ROOT, capture_output=True,
                         text=True, timeout=600, check=False, env={**os.environ, URL_ENV: PG_URL})
    assert run.returncode in (0, 1), run.stderr  # 1: a target was not met (main before issue 14: many)
    lines = {line.split("  ")[0].rstrip(): line for line in run.stdout.splitlines() if line.startswith("latency:")}
    assert sorted(lines) == sorted(LATENCY_FIGURES)
    for line in lines.values():
        target, verdict = re.search(r"\d (?:ms|stmts) +(?:median of|1 run).*?(≤ \S+ \S+|no target) +(met|NOT met|-)",
                                    line).groups()
        assert (target == "no target") == (verdict == "-"), line
    assert latency_databases() <= before  # what it made on the server is gone


def latency_databases() -> set[str]:
    engine = create_engine(PG_URL)
    try:
        with engine.connect() as conn:
            return set(conn.execute(text("SELECT datname FROM pg_database "
                                         "WHERE datname LIKE 'orderdesk_latency_%'")).scalars())
    finally:
        engine.dispose()
