"""`python -m bench [--quick] [--database-url URL] [--markdown]`: every benchmark, one table.

Runs each benchmark script in its own process (as a person would), shows its output,
then one table of every figure: its median, how many runs, its target, met or not.
Where a ratio says more than a time (the first frame against a bare Textual app, 4
processes against 1) the baseline is measured in the same run.

--quick keeps the whole run within about two minutes on a 2-core machine (smaller
sizes, fewer runs, no million-order board); the full mode takes about ten minutes,
plus a few minutes the first time to generate the million-order database (cached
in /tmp). --database-url adds core throughput on that database (PostgreSQL), and
latency.py makes its databases on that server (else $ORDERDESK_BENCH_DATABASE_URL, else
the local dev server); a benchmark that cannot run here (no PostgreSQL) says why in
one line and the suite goes on.
--markdown prints the table as Markdown, as the README's performance section has it.
Exit status 0 when every figure with a target met it, 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.latency import URL_ENV as LATENCY_URL_ENV  # noqa: E402
from bench.report import RESULTS_ENV, SKIPPED, Figure, read_results  # noqa: E402

# (script, quick arguments or None to skip it when quick, full arguments)
BENCHMARKS = [
    ("first_frame.py", ["--quick"], ["--runs", "9"]),
    ("board.py", ["--orders", "10000", "--runs", "3"], ["--orders", "10000"]),
    ("board.py", ["--orders", "100000", "--runs", "3"], ["--orders", "100000"]),
    ("board.py", None, ["--orders", "1000000"]),
    ("core_throughput.py", ["--quick"], []),
    ("seed_synthetic.py", ["--orders", "20000", "--repeat", "3"], ["--orders", "100000", "--repeat", "5"]),
    ("import_tiktok.py", ["--rows", "20000", "--quick"], []),
    ("ssh_latency.py", ["--sessions", "20", "--presses", "10"], ["--sessions", "20", "--presses", "40"]),
    ("latency.py", ["--quick"], []),
]


def machine() -> str:
    """The machine in one line: CPU, cores, memory, Python, SQLite, OS."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {mem_kb / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        memory = ""
    return (f"{cpu}, {os.cpu_count()} cores{memory}; Python {platform.python_version()}, "
            f"SQLite {sqlite3.sqlite_version}; {platform.system()} {platform.release()}")


def table(figures: list[Figure], markdown: bool) -> str:
    rows = [(f.name, f.value_text, str(f.runs), f.target_text, f.verdict, f.note) for f in figures]
    head = ("figure", "median", "runs", "target", "met", "note")
    if markdown:
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
        return "\n".join(lines)
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    fmt = lambda row: "  ".join(c.rjust(w) if i in (1, 2) else c.ljust(w)  # noqa: E731
                                for i, (c, w) in enumerate(zip(row, widths))).rstrip()
    return "\n".join([fmt(head), fmt(tuple("-" * w for w in widths)), *map(fmt, rows)])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, fewer runs: about two minutes")
    parser.add_argument("--database-url", help="also measure core throughput on this database")
    parser.add_argument("--markdown", action="store_true", help="print the final table as Markdown")
    parser.add_argument("only", nargs="*", help="run only these scripts (e.g. first_frame.py)")
    args = parser.parse_args()
    mode = "quick" if args.quick else "full"
    print(f"orderdesk benchmarks, {mode} mode, on {machine()}\n", flush=True)
    started_all = time.monotonic()
    failures, skipped = [], []
    with tempfile.NamedTemporaryFile(prefix="orderdesk-bench-", suffix=".jsonl") as results:
        env = {**os.environ, RESULTS_ENV: results.name}
        if args.database_url:  # to latency.py through its environment: a password stays out of argv
            env[LATENCY_URL_ENV] = args.database_url
        for script, quick, full in BENCHMARKS:
            script_args = quick if args.quick else full
            if script_args is None or (args.only and script not in args.only):
                continue
            if script == "core_throughput.py" and args.database_url:
                script_args = [*script_args, "--database-url", args.database_url]
            print(f"== {script} {' '.join(script_args)}", flush=True)
            started = time.monotonic()
            reported_before = len(read_results(results.name))
            run = subprocess.run([sys.executable, str(HERE / script), *script_args],
                                 capture_output=True, text=True, cwd=HERE.parent, env=env)
            print(run.stdout.strip())
            reported = len(read_results(results.name)) - reported_before
            if run.returncode == SKIPPED:  # it could not run here, and said why on its last line
                skipped.append(f"{script} {(run.stdout.strip().splitlines() or ['skipped'])[-1]}")
            elif run.returncode not in (0, 1) or not reported:  # exit 1: it ran, a target was not met
                failures.append(f"{script} {' '.join(script_args)}: exit {run.returncode}, "
                                f"{reported} figures")
                print(run.stderr.strip()[-3000:])
            print(f"   ({time.monotonic() - started:.0f} s)\n", flush=True)
        figures = read_results(results.name)
    minutes = (time.monotonic() - started_all) / 60
    print(f"== every figure ({mode} mode, {minutes:.1f} min)")
    print(table(figures, args.markdown))
    text, status = summary(figures, failures, skipped)
    print(text)
    return status


def summary(figures: list[Figure], failures: list[str], skipped: list[str] = ()) -> tuple[str, int]:
    """The lines after the table, and the exit status: 0 when every benchmark ran (or was
    skipped, saying why) and every figure with a target met it; 1 (a finding, not a crash)
    when a target was missed, naming the figures, or when a benchmark failed to run."""
    missed = [f.name for f in figures if f.met is False]
    lines = [f"FAILED to run: {failure}" for failure in failures]
    lines += skipped
    lines.append(f"\n{len(figures)} figure{'s' * (len(figures) != 1)}; {sum(f.met is True for f in figures)} "
                 f"targets met, {len(missed)} not met{': ' + '; '.join(missed) if missed else ''}")
    return "\n".join(lines), 0 if not missed and not failures else 1


if __name__ == "__main__":
    sys.exit(main())
