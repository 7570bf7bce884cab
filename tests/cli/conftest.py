"""Run `orderdesk` in-process on a private copy of the demo database."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from tests.databases import clone_url, dump, fresh_url
from tests.mail import mail_server  # noqa: F401  (a scripted SMTP server, for the email tests)
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
    url = fresh_url(tmp_path_factory.mktemp("demo"), "demo")
    assert main(["--database-url", url, "seed", "demo"]) == 0
    return url


class Orderdesk:
    def __init__(self, url, capsys):
        """`url`: a database URL, or a SQLite file's path."""
        self.url = url if isinstance(url, str) and "://" in url else f"sqlite:///{url}"
        self.capsys = capsys

    def __call__(self, *args: str) -> Run:
        self.capsys.readouterr()
        code = main(["--database-url", self.url, *args])
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

    def dump(self) -> dict:
        """Every row of every table: to prove a refused command changed nothing."""
        return dump(self.url)


@pytest.fixture
def od(demo_template, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("ORDERDESK_NOW", raising=False)
    monkeypatch.delenv("ORDERDESK_DATABASE_URL", raising=False)
    return Orderdesk(clone_url(demo_template, tmp_path), capsys)
