"""How a benchmark states a figure: `report(Figure(...))` prints its line, and when run
by `python -m bench` also hands it to the suite's table (one JSON line per figure in
the file named by $ORDERDESK_BENCH_RESULTS)."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass

RESULTS_ENV = "ORDERDESK_BENCH_RESULTS"
SKIPPED = 3  # a benchmark's exit status when it cannot run here (no PostgreSQL): it printed why


@dataclass
class Figure:
    name: str
    value: float
    unit: str  # ms, s, x (a ratio), orders/s, MB ...
    runs: int = 1  # the value is the median of this many runs
    target: float | None = None
    higher_is_better: bool = False
    note: str = ""  # the baseline or the spread, in a few words
    or_equal: bool = False  # the target itself still meets it (≤ 50 ms, ≤ 0 statements)

    @property
    def met(self) -> bool | None:
        if self.target is None:
            return None
        if self.higher_is_better:
            return self.value >= self.target
        return self.value <= self.target if self.or_equal else self.value < self.target

    @property
    def target_text(self) -> str:
        if self.target is None:
            return "no target"
        sign = "≥" if self.higher_is_better else "≤" if self.or_equal else "<"
        return f"{sign} {number(self.target)} {self.unit}"

    @property
    def verdict(self) -> str:
        return {True: "met", False: "NOT met", None: "-"}[self.met]

    @property
    def value_text(self) -> str:
        return f"{number(self.value)} {self.unit}"

    def line(self) -> str:
        runs = f"median of {self.runs}" if self.runs > 1 else "1 run"
        note = f"  ({self.note})" if self.note else ""
        return f"{self.name:<46} {self.value_text:>14}  {runs:<13} {self.target_text:<16} {self.verdict}{note}"


def number(value: float) -> str:
    """1,234 for large figures, 12.3 for small ones, 0.87 for ratios, 0 for none."""
    if value == 0:
        return "0"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def report(figure: Figure) -> Figure:
    print(figure.line(), flush=True)
    if path := os.environ.get(RESULTS_ENV):
        with open(path, "a", encoding="utf-8") as out:
            out.write(json.dumps(asdict(figure)) + "\n")
    return figure


def read_results(path: str) -> list[Figure]:
    with open(path, encoding="utf-8") as lines:
        return [Figure(**json.loads(line)) for line in lines if line.strip()]
