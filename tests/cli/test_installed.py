"""The installed `orderdesk` script works from any folder: the demo fixtures ship inside
the package (ARCHITECTURE.md), found without the current directory's help."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(sys.executable).parent / "orderdesk"


def run(*args, cwd):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORDERDESK_") or k == "ORDERDESK_LOG_FILE"}
    return subprocess.run([str(SCRIPT), *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=120)


def test_the_installed_script_seeds_the_demo_and_lists_orders_from_another_folder(tmp_path):
    db = tmp_path / "shop.db"
    seeded = run("--db", str(db), "seed", "demo", "--json", cwd=tmp_path)
    assert seeded.returncode == 0, seeded.stderr
    assert json.loads(seeded.stdout)["orders"] >= 40
    listed = run("--db", str(db), "orders", "list", "--status", "in_transit", "--json", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert {o["status"] for o in json.loads(listed.stdout)} == {"in_transit"}


def test_an_unusable_database_path_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    result = run("--db", str(blocker / "sub" / "x.db"), "orders", "list", "--json", cwd=tmp_path)
    assert result.returncode == 2
    error = json.loads(result.stdout)["error"]
    assert error["code"] == "database" and "--db" in error["message"]
    assert "Traceback" not in result.stderr
