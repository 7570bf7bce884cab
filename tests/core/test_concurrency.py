"""The concurrency proof: many stations at once on the same orders, then every invariant.

At least 8 processes run random valid operations (buyer cancel, request, approve,
reject, seller cancel order/package/items, pack, hand over, deliver, refuse, receive
returns, retries with the same idempotency key) on the demo orders for a bounded time
($ORDERDESK_CONCURRENCY_SECONDS, default 6), each on until it has had SUCCEEDED successes
and a retry (a busy machine does fewer a second). Then tests/core/invariants.py checks
the database. Runs on SQLite always, and on PostgreSQL when $ORDERDESK_TEST_DATABASE_URL
names one (otherwise that half says it was not run).
"""

from __future__ import annotations

import multiprocessing
import os
from collections import Counter

import pytest
from sqlmodel import select

from core.db import Database
from core.demo import load_demo
from core.models import Order
from core.synthetic import generate
from tests.core import stations
from tests.core.invariants import baseline, violations

PROCESSES = 8
SUCCEEDED = 3  # per process, at least
SECONDS = float(os.environ.get("ORDERDESK_CONCURRENCY_SECONDS", "6"))
PG_URL = os.environ.get("ORDERDESK_TEST_DATABASE_URL")
FINAL = ("delivered", "completed", "cancelled")


def database_url(backend: str, tmp_path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'stations.db'}"
    if not PG_URL:
        pytest.skip("ORDERDESK_TEST_DATABASE_URL is not set: the PostgreSQL half was NOT run")
    return PG_URL


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_many_stations_at_once_never_break_an_invariant(backend, tmp_path):
    url = database_url(backend, tmp_path)
    db = Database(url)
    assert load_demo(db, reset=True).ok
    generate(db, 300, seed=1, now=stations.NOW)  # "the same few hundred orders"
    before = baseline(db)
    with db.read() as session:  # the orders something can still happen to
        order_ids = list(session.exec(select(Order.id).where(Order.status.not_in(FINAL))).all())
    db.dispose()
    assert len(order_ids) >= 50

    context = multiprocessing.get_context("spawn")
    with context.Pool(PROCESSES) as pool:
        results = pool.starmap(stations.work, [(url, order_ids, SECONDS, seed, SUCCEEDED)
                                               for seed in range(PROCESSES)])
    done, problems = Counter(), []
    for counts, found in results:
        done.update(counts)
        problems += found

    db = Database(url, upgrade=False)
    broken = violations(db, before)
    db.dispose()
    succeeded = Counter(name.split(":")[0] for name, n in done.items() for _ in range(n) if name.endswith(":ok"))
    print(f"\n{backend}: {sum(done.values())} operations by {PROCESSES} processes in {SECONDS:.0f} s; "
          f"succeeded {dict(succeeded)}; {len(problems)} problems, {len(broken)} violations")
    assert problems == []
    assert broken == []
    assert sum(done.values()) >= 100
    assert sum(succeeded.values()) >= PROCESSES * SUCCEEDED and done["retry"] > 0
