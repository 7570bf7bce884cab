"""Errors a person can act on (issue 13, class 5): every case the issue saw, at the root
of its class. No traceback for anything a user can cause; with --json, always the JSON
error; exit 2 for bad input (and a database or output that cannot be used), 1 for a
refusal (a busy database), 70 for orderdesk's own bug; nothing changes on 1 or 2.
"""

from __future__ import annotations

import json
import logging
import os
import stat
import subprocess
import sys
from pathlib import Path

import click
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from core import services
from core.clock import LATEST, set_stored_clock
from core.db import Database
from tests.databases import BACKEND, PG_URL
from tui.cli import cli, main

ROOT = Path(__file__).resolve().parents[2]


def assert_refused(run, exit_code: int, code: str, *words: str) -> dict:
    """The JSON error, with words a person acts on, and no traceback."""
    assert run.code == exit_code, run.out + run.err
    assert "Traceback" not in run.out + run.err
    error = run.json["error"]
    assert error["code"] == code, error
    for word in words:
        assert word in error["message"], error
    return error


def orderdesk(*args: str, stdout=subprocess.PIPE, env: dict | None = None, wrapper: str | None = None):
    """orderdesk in a process of its own (for its real stdout, or with fewer powers)."""
    command = [sys.executable, "-c", wrapper, *args] if wrapper else [sys.executable, "-m", "tui.cli", *args]
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ORDERDESK_") or k == "ORDERDESK_LOG_FILE"}
    return subprocess.run(command, cwd=ROOT, stdout=stdout, stderr=subprocess.PIPE, text=True,
                          env={**clean, **(env or {})}, timeout=120)


# -- times ---------------------------------------------------------------------------------
@pytest.mark.parametrize("args", [
    ["--now", "9999-12-31T23:59:59-12:00", "orders", "list"],
    ["--now", "0001-01-01T00:00:00+14:00", "orders", "list"],
    ["--now", "1969-12-31T23:59:59Z", "clock", "show"],
    ["export", "cancellations", "--since", "0001-01-01T00:00:00+14:00"],
    ["export", "cancellations", "--since", "9000-01-02"],
], ids=lambda a: " ".join(a))
def test_a_time_out_of_range_is_bad_input_that_says_the_range(od, args):
    before = od.dump()
    assert_refused(od(*args, "--json"), 2, "bad_input", "out of range", "1970-01-01", "9000-01-01")
    assert od.dump() == before


@pytest.mark.parametrize("duration", ["3000000d", "36501d", "99999999999999999999999h", "9" * 5000 + "s"],
                         ids=lambda d: d if len(d) < 30 else "5000 digits")
def test_a_duration_too_long_is_bad_input_that_says_the_longest(od, duration):
    before = od.dump()
    assert_refused(od("clock", "advance", duration, "--json"), 2, "bad_input", "at most 36,500d")
    assert od.dump() == before


def test_the_clock_cannot_be_advanced_past_the_last_time(od):
    db = Database(od.url)
    with db.write() as session:
        set_stored_clock(session, LATEST.replace(year=LATEST.year - 1))
    db.dispose()
    od("orders", "list")  # time does its work at that clock
    before = od.dump()
    assert_refused(od("clock", "advance", "36500d", "--json"), 2, "bad_input", "past 9000-01-01")
    assert od.dump() == before
    assert od.ok("clock", "advance", "300d")["now"].startswith("8999-")


# -- numbers -------------------------------------------------------------------------------
@pytest.mark.parametrize("args, words", [
    (["orders", "list", "--limit", "99999999999999999999"], ["--limit", "1<=x<=100000"]),
    (["seed", "synthetic", "--orders", "99999999999999999999999"], ["--orders", "1<=x<=10000000"]),
    (["cancel", "576000000000000001", "--as", "seller", "--reason", "out_of_stock",
      "--expected-refund", str(2**63)], ["--expected-refund"]),
    (["cancel", "576000000000000001", "--as", "seller", "--reason", "out_of_stock",
      "--item", "172000000000000001=99999999999999999999"], ["from 0 to 1,000,000"]),
], ids=["limit", "orders", "expected-refund", "item quantity"])
def test_a_number_out_of_range_is_bad_input_that_says_the_range(od, args, words):
    before = od.dump()
    run = od(*args, "--json")
    assert run.code == 2 and "Traceback" not in run.out + run.err
    assert all(word in run.json["error"]["message"] for word in words), run.json
    assert od.dump() == before


def _all_parameters(group=cli, path=()):
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from _all_parameters(command, (*path, name))
        else:
            for param in command.params:
                yield " ".join((*path, name, param.name)), param


def test_every_number_an_option_takes_has_a_stated_range():
    """The root of `--limit 99999999999999999999`: no int or float option is unbounded,
    and a float range refuses NaN (click's FloatRange alone lets it through)."""
    for where, param in _all_parameters():
        if isinstance(param.type, click.types._NumberParamTypeBase):
            assert isinstance(param.type, click.types._NumberRangeBase), f"{where}: no range"
            assert param.type.min is not None and param.type.max is not None, f"{where}: unbounded"
            if isinstance(param.type, click.FloatRange):
                with pytest.raises(click.BadParameter):
                    param.type.convert("nan", param, None)


# -- output --------------------------------------------------------------------------------
def test_an_export_to_a_full_disk_is_an_output_error(od):
    run = od("export", "cancellations", "-o", "/dev/full", "--json")
    assert_refused(run, 2, "output", "/dev/full", "No space left")


def test_a_failed_export_leaves_the_old_file_as_it_was_and_no_half_written_one(od, tmp_path, monkeypatch):
    """The export is written aside and renamed once complete: a disk that fills half-way
    (simulated: the CSV writer fails after some rows) leaves the earlier export intact."""
    from core import export

    target = tmp_path / "cancellations.csv"
    assert od("export", "cancellations", "-o", str(target)).code == 0
    earlier = target.read_bytes()
    os.chmod(target, 0o640)

    def fills_the_disk(out, cancellations):
        out.write("cancellation_id,order_id\n1,2\n")
        out.flush()
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(export, "write_csv", fills_the_disk)
    assert_refused(od("export", "cancellations", "-o", str(target), "--json"), 2, "output",
                   str(target), "No space left", "left as it was")
    assert target.read_bytes() == earlier
    assert not list(tmp_path.glob("*.part")) and not list(tmp_path.glob(".*.part"))
    monkeypatch.undo()
    assert od("export", "cancellations", "-o", str(target)).code == 0
    assert stat.S_IMODE(target.stat().st_mode) == 0o640  # a replaced file keeps its mode


def test_an_export_to_a_fifo_nobody_reads_is_an_error_not_a_hang(od, tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    run = orderdesk("--database-url", od.url, "export", "cancellations", "-o", str(fifo), "--json")  # times out if it hangs
    assert run.returncode == 2 and "nobody is reading" in json.loads(run.stdout)["error"]["message"]


def test_an_export_into_a_missing_folder_says_so(od, tmp_path):
    assert_refused(od("export", "cancellations", "-o", str(tmp_path / "nope" / "x.csv"), "--json"), 2,
                   "output", "check that the folder exists")


def test_walkthrough_export_into_something_that_is_not_a_folder_is_an_error(od):
    run = od("walkthrough", "export", "1-buyer-cancels-before-packing", "--output", "/dev/full", "--json")
    assert_refused(run, 2, "output", "/dev/full", "not a folder")


@pytest.mark.parametrize("args", [
    ["orders", "list"], ["orders", "list", "--json"], ["export", "cancellations"], ["--help"],
], ids=" ".join)
def test_a_full_standard_output_is_one_clear_line_and_exit_2(od, args):
    with open("/dev/full", "w") as full:
        run = orderdesk("--database-url", od.url, *args, stdout=full)
    assert run.returncode == 2, run.stderr
    assert "Traceback" not in run.stderr and "Exception ignored" not in run.stderr
    assert run.stderr.startswith("Error: Cannot write") and "No space left on device" in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1


def test_a_closed_pipe_on_standard_output_is_one_clear_line(od):
    """`orderdesk ... | head -1` when head has gone: a broken pipe, said once, no traceback."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    with os.fdopen(write_end, "w") as pipe:
        run = orderdesk("--database-url", od.url, "orders", "list", "--json", stdout=pipe)
    assert run.returncode == 2
    assert "Traceback" not in run.stderr and "Exception ignored" not in run.stderr
    assert "Broken pipe" in run.stderr and len(run.stderr.strip().splitlines()) == 1


# -- the database ------------------------------------------------------------------------------
WITHOUT_ROOT_POWERS = """
import ctypes, errno, os, sys
if os.geteuid() == 0:  # root writes read-only files: drop every capability, then run orderdesk
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in range(64):
        if libc.prctl(24, cap, 0, 0, 0) != 0 and ctypes.get_errno() == errno.EPERM:  # PR_CAPBSET_DROP
            sys.exit(77)
os.execv(sys.executable, [sys.executable, "-m", "tui.cli", *sys.argv[1:]])
"""


def run_powerless(*args: str):
    run = orderdesk(*args, wrapper=WITHOUT_ROOT_POWERS)
    if run.returncode == 77:  # pragma: no cover - a container without CAP_SETPCAP
        pytest.skip("running as root and cannot drop root's powers, so nothing is read-only")
    return run


def _read_only_postgresql(url: str) -> None:
    engine = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{make_url(url).database}" SET default_transaction_read_only = on'))
    finally:
        engine.dispose()


def test_a_read_only_database_is_a_clear_error_that_changes_nothing(od):
    before = od.dump()
    if BACKEND == "sqlite":
        path = make_url(od.url).database
        for name in (path, path + "-wal", path + "-shm"):
            if os.path.exists(name):
                os.chmod(name, 0o444)
        reads = run_powerless("--database-url", od.url, "orders", "list", "--json")
        writes = run_powerless("--database-url", od.url, "clock", "advance", "1h", "--json")
        words = [path, "the file is read-only", "chmod u+w"]
    else:
        _read_only_postgresql(od.url)
        reads, writes = (orderdesk("--database-url", od.url, *args) for args in
                         (["orders", "list", "--json"], ["clock", "advance", "1h", "--json"]))
        words = ["read-only", "--database-url"]
    assert reads.returncode == 0, reads.stderr  # reading still works
    assert writes.returncode == 2 and "Traceback" not in writes.stdout + writes.stderr, writes.stderr
    error = json.loads(writes.stdout)["error"]
    assert error["code"] == "database" and all(w in error["message"] for w in words), error
    assert od.dump() == before


@pytest.mark.skipif(BACKEND != "sqlite", reason="SQLite only: a PostgreSQL database has no folder")
def test_a_database_in_a_read_only_folder_is_a_clear_error(od):
    path = Path(make_url(od.url).database)
    folder = path.parent / "shelf"
    folder.mkdir()
    path.rename(folder / path.name)
    folder.chmod(0o555)
    try:
        run = run_powerless("--db", str(folder / path.name), "clock", "advance", "1h", "--json")
    finally:
        folder.chmod(0o755)
    assert run.returncode == 2 and "Traceback" not in run.stdout + run.stderr, run.stderr
    error = json.loads(run.stdout)["error"]
    assert error["code"] == "database"
    assert f"its folder {folder} is read-only" in error["message"], error


@pytest.fixture
def another_station(od):
    """Another station in the middle of a write on an order, holding its lock until released:
    on SQLite the database's write lock, on PostgreSQL the order's row lock."""
    order = od.orders("awaiting_shipment")[0]["id"]
    engine = create_engine(od.url, connect_args={"isolation_level": None} if BACKEND == "sqlite" else {})
    conn = engine.connect()
    if BACKEND == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        conn.begin()
    conn.execute(text("UPDATE orders SET version = version WHERE id = :id"), {"id": order})
    yield order
    conn.rollback()
    conn.close()
    engine.dispose()


def test_a_database_busy_past_the_busy_timeout_is_exit_1_busy_and_changes_nothing(od, another_station,
                                                                                  monkeypatch):
    monkeypatch.setenv("ORDERDESK_BUSY_TIMEOUT", "0.5")
    before = od.dump()
    run = od("cancel", another_station, "--as", "seller", "--reason", "out_of_stock", "--json")
    assert_refused(run, 1, "busy", "busy", "Nothing was changed", "try again")
    assert od.dump() == before


@pytest.mark.skipif(BACKEND != "sqlite", reason="SQLite only: PostgreSQL writers lock rows, not the database")
def test_seed_synthetic_on_a_busy_database_is_exit_1_busy(od, another_station, monkeypatch):
    """Synthetic orders are written on the engine itself (not through Database.write): the
    same explanation reaches them."""
    monkeypatch.setenv("ORDERDESK_BUSY_TIMEOUT", "0.5")
    before = od.dump()
    assert_refused(od("seed", "synthetic", "--orders", "3", "--json"), 1, "busy")
    assert od.dump() == before


@pytest.mark.parametrize("value", ["x", "0", "-1", "nan", "99999"])
def test_a_bad_busy_timeout_is_bad_input(od, monkeypatch, value):
    monkeypatch.setenv("ORDERDESK_BUSY_TIMEOUT", value)
    assert_refused(od("orders", "list", "--json"), 2, "database", "ORDERDESK_BUSY_TIMEOUT", "0.1 to 3600")


def test_a_database_made_by_a_newer_orderdesk_says_upgrade_orderdesk(od):
    engine = create_engine(od.url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    before = od.dump()
    error = assert_refused(od("orders", "list", "--json"), 2, "database", "newer orderdesk", "schema 9999",
                           "upgrade orderdesk")
    assert "is it" not in error["message"] and "orderdesk database" not in error["message"]
    assert od.dump() == before


@pytest.mark.parametrize("what, words", [
    ("text", "is not an orderdesk database"), ("random", "is not an orderdesk database"),
    ("folder", "it is a folder"),
])
def test_a_file_that_is_no_database_says_so(tmp_path, capsys, what, words):
    path = tmp_path / what
    if what == "folder":
        path.mkdir()
    else:
        path.write_bytes(b"hello\n" if what == "text" else os.urandom(4096))
    code = main(["--db", str(path), "orders", "list", "--json"])
    error = json.loads(capsys.readouterr().out)["error"]
    assert code == 2 and error["code"] == "database" and words in error["message"], error


# -- everything else -------------------------------------------------------------------------
def test_an_internal_error_is_one_line_exit_70_with_the_traceback_only_in_the_log(od, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(services, "pack", broken)
    package = od.orders("awaiting_shipment")[0]["packages"][0]["id"]
    with caplog.at_level(logging.ERROR, logger="orderdesk.cli"):
        human = od("pack", package)
        machine = od("pack", package, "--json")
    assert human.code == machine.code == 70
    assert human.out == "" and "Traceback" not in human.err + machine.out + machine.err
    assert human.err.strip().count("\n") == 0
    assert "internal error" in human.err and "please report it" in human.err
    assert machine.json["error"]["code"] == "internal"
    logged = [r for r in caplog.records if r.name == "orderdesk.cli"]
    assert logged and logged[0].exc_info and "a bug" in str(logged[0].exc_info[1])


def test_an_internal_error_without_a_log_prints_no_traceback_in_a_real_process(od, tmp_path):
    """No logging set up: Python's last-resort handler would print the traceback; it must not."""
    crash = tmp_path / "crash.py"
    crash.write_text("import sys\nfrom core import services\nfrom tui import cli\n"
                     "services.pack = lambda *a, **k: 1 / 0\nsys.exit(cli.main(sys.argv[1:]))\n")
    package = od.orders("awaiting_shipment")[0]["packages"][0]["id"]
    log = tmp_path / "orderdesk.log"
    run = orderdesk("--database-url", od.url, "pack", package, wrapper=crash.read_text(),
                    env={"ORDERDESK_LOG_FILE": str(log)})
    assert run.returncode == 70 and "Traceback" not in run.stderr and "ZeroDivisionError: " not in run.stderr
    assert run.stderr.strip().count("\n") == 0, run.stderr
    assert f"the details are in {log}" in run.stderr  # the log the command started for it
    assert "ZeroDivisionError" in log.read_text() and "Traceback" in log.read_text()


def test_an_argument_that_is_not_utf8_is_bad_input(od):
    """Bytes that are not UTF-8 reach Python as lone surrogates: they would fail in the
    database or on the terminal; they are refused up front."""
    before = od.dump()
    assert_refused(od("orders", "show", "\udcff", "--json"), 2, "bad_input", "not valid text", "UTF-8")
    run = orderdesk("--database-url", od.url, "orders", "show", os.fsdecode(b"\xff\xfe"))
    assert run.returncode == 2 and "Traceback" not in run.stderr and "not valid text" in run.stderr
    assert od.dump() == before
