"""$ORDERDESK_SQLITE_MAX_BYTES: a SQLite database that may grow only so far (the SSH demo's
sandboxes): a write past it is refused whole, with a message, and what was there stays."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from core.db import MAX_BYTES_ENV, Database, DatabaseError
from core.demo import load_demo

CAP = 2 * 2**20


def test_a_write_past_the_size_limit_is_refused_whole_and_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv(MAX_BYTES_ENV, str(CAP))
    db = Database(f"sqlite:///{tmp_path / 'sandbox.db'}")
    assert load_demo(db).ok
    with db.read() as s:
        orders = len(s.exec(text("SELECT id FROM orders")).all())
    with db.write() as s:
        s.execute(text("CREATE TABLE filler (data BLOB)"))
    with pytest.raises(DatabaseError, match=r"has reached its size limit \(2 MB\)\. Nothing was changed"):
        with db.write() as s:
            for _ in range(40):  # 4 MB in one transaction
                s.execute(text("INSERT INTO filler VALUES (randomblob(100000))"))
    with db.read() as s:
        assert s.exec(text("SELECT count(*) FROM filler")).one()[0] == 0
        assert len(s.exec(text("SELECT id FROM orders")).all()) == orders
    db.dispose()
    assert (tmp_path / "sandbox.db").stat().st_size <= CAP


@pytest.mark.parametrize("value", ["lots", "-1", "1000"])
def test_a_size_limit_that_is_no_size_is_refused(tmp_path, monkeypatch, value):
    monkeypatch.setenv(MAX_BYTES_ENV, value)
    with pytest.raises(DatabaseError, match=f"{MAX_BYTES_ENV} must be a number of bytes"):
        Database(f"sqlite:///{tmp_path / 'x.db'}")


def test_the_write_ahead_log_stays_within_a_share_of_the_limit(tmp_path, monkeypatch):
    """The sandbox's disk is the database and its write-ahead log: many small changes
    (each under the limit) must not grow the log past a share of the limit either."""
    monkeypatch.setenv(MAX_BYTES_ENV, str(CAP))
    path = tmp_path / "sandbox.db"
    db = Database(f"sqlite:///{path}")
    assert load_demo(db).ok
    with db.write() as s:
        s.execute(text("CREATE TABLE filler (data BLOB)"))
    for n in range(600):  # 600 changes of a few pages each: 2.4 MB through the log
        with db.write() as s:
            s.execute(text("INSERT INTO filler VALUES (randomblob(3000))"))
            if n % 50 == 49:
                s.execute(text("DELETE FROM filler"))
        assert path.with_name("sandbox.db-wal").stat().st_size <= CAP // 2
    db.dispose()
