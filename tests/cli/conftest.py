"""Run `orderdesk` in-process on a private copy of the demo database."""

from __future__ import annotations

import json
import shutil
import sqlite3
from dataclasses import dataclass

import pytest

from tui.cli import main

DEMO_NOW = "2026-11-20T12:00:00Z"


@dataclass
class Run:
    code: int
    out: str
    err: str

    @property
    def json(self):
        return json.loads(self.out)


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    assert main(["--db", str(path), "seed", "demo"]) == 0
    return path


class Orderdesk:
    def __init__(self, db_path, capsys):
        self.db_path, self.capsys = db_path, capsys

    def __call__(self, *args: str) -> Run:
        self.capsys.readouterr()
        code = main(["--db", str(self.db_path), *args])
        captured = self.capsys.readouterr()
        return Run(code, captured.out, captured.err)

    def ok(self, *args: str):
        run = self(*args, "--json")
        assert run.code == 0, run.out + run.err
        return run.json

    def orders(self, *statuses: str, **filters) -> list[dict]:
        args = [a for s in statuses for a in ("--status", s)]
        for key, value in filters.items():
            args += [f"--{key}", str(value)]
        return self.ok("orders", "list", "--limit", "500", *args)

    def dump(self) -> list[str]:
        """Every row of every table: to prove a refused command changed nothing."""
        with sqlite3.connect(self.db_path) as conn:
            return list(conn.iterdump())


@pytest.fixture
def od(demo_template, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("ORDERDESK_NOW", raising=False)
    monkeypatch.delenv("ORDERDESK_DATABASE_URL", raising=False)
    path = tmp_path / "demo.db"
    shutil.copy(demo_template, path)
    return Orderdesk(path, capsys)
