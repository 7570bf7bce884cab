"""The README's command-line examples work as written, on the demo data."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from tui.cli import main

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_commands() -> list[list[str]]:
    """The `orderdesk ...` lines of the README's "The command line" examples."""
    section = README.read_text().split("## The command line", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    return [shlex.split(line, comments=True)[1:] for line in block.splitlines() if line.startswith("orderdesk ")]


def test_the_readmes_examples_run_on_the_demo_data(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("ORDERDESK_DATABASE_URL", raising=False)
    db = str(tmp_path / "demo.db")
    assert main(["--db", db, "seed", "demo"]) == 0
    commands = readme_commands()
    assert any(c[:2] == ["orders", "show"] for c in commands)
    for args in commands:
        if any(a.isupper() and "_" in a or "=" in a and a.split("=")[0].isupper() for a in args):
            continue  # a placeholder (ORDER_ID, LINE_ID=1) for the reader to fill in
        capsys.readouterr()
        assert main(["--db", db, *args]) == 0, f"orderdesk {shlex.join(args)}: {capsys.readouterr()}"


def test_db_goes_after_the_command_too_and_wins_over_the_environment(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("ORDERDESK_DATABASE_URL", f"sqlite:///{tmp_path / 'elsewhere.db'}")
    db = tmp_path / "demo.db"
    assert main(["seed", "demo", "--db", str(db)]) == 0
    assert db.exists() and not (tmp_path / "elsewhere.db").exists()
    capsys.readouterr()
    assert main(["orders", "show", "0067", "--db", str(db)]) == 0
    assert "576060251085660067" in capsys.readouterr().out
