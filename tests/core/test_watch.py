"""Another station's change is noticed (two processes): SQLite's data_version, PostgreSQL's NOTIFY."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlmodel import select

from core.db import Database
from core.demo import load_demo
from core.models import Order, Package
from core.watch import ChangeWatcher
from tests.waiting import PATIENCE, POLL

PG_URL = os.environ.get("ORDERDESK_TEST_DATABASE_URL")
ROOT = Path(__file__).resolve().parents[2]


def station(url: str, *args: str) -> int:
    """Another process: the orderdesk command line on the same database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORDERDESK_") or k == "ORDERDESK_LOG_FILE"}
    return subprocess.run([sys.executable, "-m", "tui.cli", "--database-url", url, *args, "--json"],
                          cwd=ROOT, env=env, capture_output=True, timeout=60).returncode


def noticed(watcher: ChangeWatcher, within: float = PATIENCE) -> bool:
    """Whether the watcher reports a change within `within` seconds (the app asks twice a
    second; waiting longer costs nothing when the change is there)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if watcher.changed():
            return True
        time.sleep(POLL)
    return False


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_change_in_another_process_is_noticed_and_a_refusal_is_not(backend, tmp_path):
    if backend == "postgresql" and not PG_URL:
        pytest.skip("ORDERDESK_TEST_DATABASE_URL is not set: the PostgreSQL half was NOT run")
    url = PG_URL if backend == "postgresql" else f"sqlite:///{tmp_path / 'w.db'}"
    db = Database(url)
    assert load_demo(db, reset=True).ok
    with db.read() as session:
        package = session.exec(select(Package.id).join(Order, Order.id == Package.order_id).where(
            Package.status == "awaiting_shipment", Order.status == "awaiting_shipment")).first()
    watcher = ChangeWatcher(db)
    assert not watcher.changed()
    assert station(url, "pack", package) == 0
    assert noticed(watcher)
    assert station(url, "pack", package) == 1  # refused: nothing was committed
    assert not noticed(watcher, within=0.5)  # nothing to notice: no busy machine can make one appear
    watcher.close()
    db.dispose()
