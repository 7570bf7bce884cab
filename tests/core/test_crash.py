"""Crash safety: a station killed (SIGKILL) at random moments while it cancels
leaves nothing half-written: every invariant holds, and every committed
cancellation has its email."""

from __future__ import annotations

import json
import os
import queue
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlmodel import select

from core.db import Database
from core.demo import load_demo
from core.models import Cancellation, Order
from tests.core.invariants import baseline, violations
from tests.waiting import PATIENCE

KILLS = 6
PG_URL = os.environ.get("ORDERDESK_TEST_DATABASE_URL")
ROOT = Path(__file__).resolve().parents[2]


def line_within(process: subprocess.Popen, timeout: float) -> str:
    """The next line the process writes, or fail when none comes in `timeout` seconds."""
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: lines.put(process.stdout.readline()), daemon=True).start()
    try:
        return lines.get(timeout=timeout).strip()
    except queue.Empty:
        raise AssertionError(f"the station said nothing in {timeout:.0f} s") from None


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_station_killed_mid_cancellation_leaves_nothing_half_written(backend, tmp_path):
    if backend == "postgresql" and not PG_URL:
        pytest.skip("ORDERDESK_TEST_DATABASE_URL is not set: the PostgreSQL half was NOT run")
    url = PG_URL if backend == "postgresql" else f"sqlite:///{tmp_path / 'crash.db'}"
    db = Database(url)
    assert load_demo(db, reset=True).ok
    before = baseline(db)
    with db.read() as session:
        order_ids = list(session.exec(select(Order.id)).all())
    db.dispose()
    args = json.dumps([url, order_ids])
    script = ("import json, sys; from tests.core.stations import work_forever; "
              "url, ids = json.loads(sys.argv[1]); work_forever(url, ids, int(sys.argv[2]))")
    rng = random.Random(7)
    for kill in range(KILLS):
        station = subprocess.Popen([sys.executable, "-c", script, args, str(kill)], cwd=ROOT,
                                   stdout=subprocess.PIPE, text=True)
        try:
            assert line_within(station, PATIENCE) == "ready"
            assert line_within(station, PATIENCE) == "cancelled"  # it has committed one, however busy the machine
            time.sleep(rng.uniform(0.0, 0.9))  # more work, then the kill at a random moment (not a wait)
        finally:
            station.send_signal(signal.SIGKILL)
            station.wait()
        assert station.returncode == -signal.SIGKILL

    db = Database(url, upgrade=False)
    with db.read() as session:
        made = session.exec(select(Cancellation.id).where(Cancellation.status == "success")).all()
    broken = violations(db, before)
    db.dispose()
    print(f"\n{backend}: {KILLS} kills; {len(set(made) - before.cancellations)} cancellations committed "
          f"between them; {len(broken)} violations")
    assert broken == []
    assert len(set(made) - before.cancellations) > 0
