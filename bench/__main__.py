"""`python -m bench [--quick]`: every benchmark, one report.

Runs each benchmark script in its own process (as a person would), shows its output,
and ends with every figure that has a target, met or not. --quick keeps the whole
run within about two minutes on a 2-core machine; the full mode takes longer.
"""

from __future__ import annotations

import argparse
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

# script: (quick arguments, full arguments)
BENCHMARKS = {
    "seed_synthetic.py": (["--orders", "20000", "--repeat", "3"], ["--orders", "100000", "--repeat", "5"]),
    "first_frame.py": (["--quick"], ["--runs", "9"]),
    "core_throughput.py": (["--quick"], []),
    "ssh_latency.py": (["--sessions", "20", "--presses", "10"], ["--sessions", "20", "--presses", "40"]),
    "board.py": (["--quick"], []),
    "import_tiktok.py": (["--quick"], []),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, fewer runs")
    parser.add_argument("only", nargs="*", help="run only these scripts (e.g. first_frame.py)")
    args = parser.parse_args()
    print(f"orderdesk benchmarks on {platform.node()}: {platform.processor() or platform.machine()}, "
          f"Python {platform.python_version()}, {'quick' if args.quick else 'full'} mode\n")
    verdicts = []
    for script, (quick, full) in BENCHMARKS.items():
        if args.only and script not in args.only:
            continue
        if not (HERE / script).exists():
            continue
        print(f"== {script}")
        started = time.monotonic()
        run = subprocess.run([sys.executable, str(HERE / script), *(quick if args.quick else full)],
                             capture_output=True, text=True, cwd=HERE.parent)
        out = run.stdout.strip()
        print(out or run.stderr.strip()[-2000:])
        print(f"   ({time.monotonic() - started:.0f} s)\n")
        verdicts += [line.strip() for line in out.splitlines() if "met" in line and "target" in line]
        if run.returncode not in (0, 1):
            verdicts.append(f"{script}: FAILED to run (exit {run.returncode})")
    print("== every figure with a target")
    for line in verdicts:
        print(f"  {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
