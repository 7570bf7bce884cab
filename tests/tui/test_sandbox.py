"""The SSH demo's sandboxes (tui/sandbox.py): what a visitor's processes can write."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tui.sandbox import Sandboxes

ROOT = Path(__file__).resolve().parents[2]

SCREENSHOT = """
import asyncio
from tui.chooser import Chooser
from tests.waiting import settle_until

async def main():
    app = Chooser()
    async with app.run_test() as pilot:
        for _ in range(3):
            app.deliver_screenshot()
        await settle_until(pilot, lambda: len(app._notifications) >= 3, "each screenshot answered")
        print("|".join(str(n.message) for n in app._notifications))

asyncio.run(main())
"""


def test_a_visitors_screenshots_never_fill_the_servers_disk(tmp_path):
    """Ctrl+P Screenshot (Textual's, in every app a visitor sees) saves into the Downloads
    folder of the process's home, the sandbox's, on the server, where the visitor can't
    fetch it: a visitor repeating it would fill the server's disk, past any size limit of
    the demo data. In a sandbox (a fresh home without Downloads) it fails, and nothing is
    written: this test keeps it so."""
    sandboxes = Sandboxes(limit=1, max_bytes=8 * 2**20, log_file=str(tmp_path / "log"), root=tmp_path / "root")
    sandboxes.start()
    try:
        sandbox = sandboxes.reserve()
        sandbox.fill(sandboxes.template)
        run = subprocess.run([sys.executable, "-c", SCREENSHOT], cwd=ROOT, capture_output=True, text=True,
                             timeout=120, env={**sandbox.env, "PYTHONPATH": str(ROOT)}, check=False)
        assert run.returncode == 0, run.stderr
        assert run.stdout.strip().split("|") == ["Failed to save screenshot"] * 3, run.stdout
        assert not list(sandbox.folder.rglob("*.svg"))
    finally:
        sandboxes.stop()
