"""Data is never lost or half-changed by a command: the demo never replaces data that is
not the demo's, and a refused command (exit 1 or 2) leaves the database exactly as it
was, even when time had work to do (holds ended, requests overdue) when it ran."""

from __future__ import annotations

import hashlib
import io
import sys
from pathlib import Path

import pytest

from core import services
from core.clock import parse_instant
from core.db import Database
from tests.cli.conftest import Orderdesk
from tests.databases import BACKEND, fresh_url
from tests.pty_terminal import PtyTerminal
from tui import cli
from tui.cli import open as cli_open

LATE = "2026-12-31T12:00:00Z"  # weeks after the demo's clock: holds, requests and returns are due


@pytest.fixture
def shop_db(tmp_path, capsys, monkeypatch):
    """A database of real (synthetic) orders: not the demo's."""
    monkeypatch.delenv("ORDERDESK_DATABASE_URL", raising=False)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # a script, not a person at a terminal
    od = Orderdesk(fresh_url(tmp_path, "shop"), capsys)
    assert od("seed", "synthetic", "--orders", "40").code == 0
    return od


def test_seed_demo_reset_refuses_data_that_is_not_the_demos_and_says_what_would_be_lost(shop_db):
    before = shop_db.dump()
    run = shop_db("seed", "demo", "--reset", "--json")
    assert run.code == 1
    error = run.json["error"]
    assert error["code"] == "not_demo_data"
    assert error["details"]["would_lose"]["orders"] == 40
    assert "40 orders" in error["message"] and "--force" in error["message"]
    assert shop_db.dump() == before


def test_the_demo_command_refuses_before_opening_the_app(shop_db, monkeypatch):
    opened = []
    monkeypatch.setattr(cli_open, "open_tui", lambda *a, **k: opened.append(a))
    before = shop_db.dump()
    run = shop_db("demo")
    assert run.code == 1 and "not the demo's" in run.err
    assert opened == [] and shop_db.dump() == before


def test_force_replaces_it_when_no_person_is_at_a_terminal(shop_db):
    run = shop_db("seed", "demo", "--reset", "--force", "--json")
    assert run.code == 0 and run.json["orders"] == 52
    assert len(shop_db.orders()) == 52


def test_demo_data_is_replaced_without_force(od):
    od.ok("cancel", od.orders("awaiting_shipment")[0]["id"], "--as", "buyer", "--reason", "no_longer_needed")
    assert od("seed", "demo", "--reset").code == 0  # playing with the demo is not data to keep


def test_db_on_the_command_line_wins_over_the_environments_database_url(shop_db, tmp_path, monkeypatch):
    monkeypatch.setenv("ORDERDESK_DATABASE_URL", shop_db.url)
    before = shop_db.dump()
    assert cli.main(["--db", str(tmp_path / "demo.db"), "seed", "demo"]) == 0
    assert shop_db.dump() == before
    assert Orderdesk(tmp_path / "demo.db", shop_db.capsys).ok("orders", "list", "--limit", "100")


def test_force_at_a_terminal_asks_to_type_replace(shop_db):
    argv = [sys.executable, "-m", "tui.cli", "--database-url", shop_db.url, "seed", "demo", "--reset", "--force"]
    before = shop_db.dump()
    with PtyTerminal(argv, columns=240) as term:
        term.wait_for("Type 'replace'")
        assert "40 orders" in term.text
        term.press("yes", "enter")
        assert term.wait_exit() == 1
        assert "Nothing was replaced" in term.text
    assert shop_db.dump() == before
    with PtyTerminal(argv, columns=240) as term:
        term.wait_for("Type 'replace'")
        term.press("replace", "enter")
        assert term.wait_exit() == 0
    assert len(shop_db.orders()) == 52


# -- refused commands change nothing, even with time-driven work due ------------------------
def _files(url: str) -> dict[str, str]:
    """The SQLite database's bytes (main file and write-ahead log), hashed."""
    path = Path(url.split("///", 1)[1])
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in (path, path.with_name(path.name + "-wal")) if p.exists()}


def _refused_commands(od) -> list[tuple[str, ...]]:
    """Commands that are refused on the demo data, by rule (exit 1) or as bad input (exit 2)."""
    shipping = od.orders("awaiting_shipment")[0]
    packed = od.orders("awaiting_collection")[0]
    shipped = od.orders("in_transit")[0]  # still not cancelled at LATE (the SLA clock cancels the others)
    oid, pkg, line = shipping["id"], shipping["packages"][0]["id"], shipping["lines"][0]["id"]
    return [
        ("cancel", oid, "--as", "buyer", "--reason", "no_such_reason"),
        ("cancel", oid, "--as", "seller", "--reason", "out_of_stock", "--item", "172999=1"),
        ("cancel", oid, "--as", "seller", "--reason", "pricing_error", "--item", f"{line}=1"),
        ("cancel", oid, "--as", "seller", "--reason", "pricing_error", "--shop", "Nobody's Shop"),
        ("cancel", packed["id"], "--as", "buyer", "--reason", "no_longer_needed"),
        ("cancel", oid, "--as", "buyer", "--reason", "no_longer_needed", "--user", "someone.else"),
        ("request-cancel", oid, "--reason", "change_address"),
        ("requests", "approve", "577000000000000000"),
        ("requests", "reject", "--order", oid, "--reason", "already_packed"),
        ("pack", "9999"),
        ("handover", pkg),
        ("refuse", pkg),
        ("receive-return", pkg),
        ("deliver", pkg),
        ("split", pkg, "--item", f"{line}=999"),
        ("buy-again", shipped["id"]),
        ("orders", "show", "123456789"),
        ("reasons", "--as", "reject", "--order", "123456789"),
        ("clock", "advance", "soon"),
    ]


def test_a_refused_command_leaves_the_database_exactly_as_it_was(od):
    commands = _refused_commands(od)
    db = Database(od.url)
    try:
        assert services.has_due(db, parse_instant(LATE))  # time has work to do
    finally:
        db.dispose()
    before, files = od.dump(), _files(od.url) if BACKEND == "sqlite" else None
    for args in commands:
        run = od("--now", LATE, *args, "--json")
        assert run.code in (1, 2), (args, run.out)
        assert "error" in run.json, args
        assert od.dump() == before, f"{' '.join(args)} changed the database"
    if files is not None:
        assert _files(od.url) == files


def test_the_first_command_that_succeeds_lets_time_do_its_work_in_its_transaction(od):
    pending = od.ok("requests", "list")
    assert pending
    after_deadlines = max(request["deadline_at"] for request in pending)
    # the order with the latest ship-by: not yet cancelled by the SLA clock then
    last = max(od.orders("awaiting_shipment"), key=lambda order: order["ship_by"])
    assert last["ship_by"] > after_deadlines
    od.ok("--now", after_deadlines, "pack",
          next(p["id"] for p in last["packages"] if p["status"] == "awaiting_shipment"))
    assert od.ok("requests", "list") == []  # past their deadline: approved by the system
    order = od.ok("orders", "show", pending[0]["order_id"])
    assert order["status"] == "cancelled"
    assert order["cancellations"][-1]["status"] == "success"


def test_worker_lets_time_do_its_work_once(od):
    done = od.ok("--now", LATE, "worker")
    assert done["auto_approved"] >= 1 and done["released"] >= 1
    again = od.ok("--now", LATE, "worker")
    assert again["auto_approved"] == again["released"] == again["completed"] == 0
