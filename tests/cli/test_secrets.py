"""`orderdesk` never prints a database password: "cannot use the database", as text and as JSON."""

from __future__ import annotations

import json
import socket

import pytest

from tui.cli import main

SECRET = "S3cret-Pw"


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


URLS = [
    f"postgresql+psycopg://anna:{SECRET}@127.0.0.1:{{port}}/orderdesk",
    f"postgresql+psycopg://anna:{SECRET}@127.0.0.1:notaport/orderdesk",
    f"postgresql+psycopg:///orderdesk?host=127.0.0.1&port={{port}}&password={SECRET}",
    f"nosuchdb://anna:{SECRET}@127.0.0.1/orderdesk",
]


@pytest.mark.parametrize("url", URLS)
@pytest.mark.parametrize("given", ["option", "environment"])
def test_cannot_use_the_database_never_shows_the_password(url, given, capsys, monkeypatch):
    url = url.format(port=closed_port())
    options = ["--database-url", url] if given == "option" else []
    if given == "environment":
        monkeypatch.setenv("ORDERDESK_DATABASE_URL", url)

    assert main([*options, "orders", "list"]) == 2
    text = capsys.readouterr()
    assert text.err.startswith("Error: Cannot ") and "***" in text.err
    assert SECRET not in text.out + text.err

    assert main([*options, "orders", "list", "--json"]) == 2
    out = capsys.readouterr().out
    error = json.loads(out)["error"]
    assert error["code"] == "database" and "***" in error["message"]
    assert SECRET not in out
