"""Crash safety: a station killed (SIGKILL) at random moments while it cancels
leaves nothing half-written: every invariant holds, and every committed
cancellation has its email."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlmodel import select

from core.db import Database
from core.demo import load_demo
from core.models import Cancellation, Order
from tests.core.invariants import baseline, violations

KILLS = 6
PG_URL = os.environ.get("ORDERDESK_TEST_DATABASE_URL")
ROOT = Path(__file__).resolve().parents[2]


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
        assert station.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.3, 1.2))  # some work, then the kill at a random moment
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
