"""`orderdesk serve web` answers its page on localhost."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request

from tests.e2e.conftest import ROOT, free_port, wait_for_port
from tests.waiting import PATIENCE


def test_the_web_server_answers_its_page(tmp_path, e2e_demo_template):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORDERDESK_")}
    server = subprocess.Popen([sys.executable, "-m", "tui.cli", "--database-url", e2e_demo_template, "serve", "web",
                               "--port", str(port)], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    try:
        wait_for_port(port, server)
        deadline = time.monotonic() + PATIENCE
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as page:
                    body = page.read().decode()
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        assert page.status == 200
        assert "orderdesk" in body and "textual" in body.lower()
    finally:
        server.terminate()
        server.wait(PATIENCE)
