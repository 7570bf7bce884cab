"""The served database's URL (and its password) never reaches a command line, a banner or the log:
the servers pass it to their apps in the environment and show it redacted."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy.engine import make_url

from core.paths import redacted
from tests.databases import clone_url
from tests.e2e.conftest import ROOT, SshServer, free_port, login, session_processes, wait_for_port

SECRET = "S3cret-Pw-4-tests"


def with_password(url: str) -> tuple[str, str | None]:
    """The suite's database URL with a password in it, and that password. PostgreSQL: the
    test server trusts local connections, so any password opens it (one already in
    $ORDERDESK_TEST_DATABASE_URL is kept). SQLite takes none: (url, None), and the tests then
    check the whole URL instead."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        return url, None
    if parsed.password:
        return url, parsed.password
    return parsed.set(password=SECRET).render_as_string(hide_password=False), SECRET


def command_lines() -> dict[int, bytes]:
    """Every process's command line, as `ps` shows it to any local user."""
    found = {}
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            found[int(proc.name)] = (proc / "cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
    return found


def test_serve_ssh_gives_its_apps_the_database_in_their_environment_only(tmp_path, keys, e2e_demo_template):
    url, secret = with_password(clone_url(e2e_demo_template, tmp_path))
    server = SshServer(tmp_path, url, keys, url_in_env=True)

    async def session():
        term = await login(server, "aisha", keys.private["buyer"])
        await term.wait_for("Aisha Johnson")
        apps = session_processes(server)  # found by ORDERDESK_DATABASE_URL in their environment
        assert len(apps) == 1
        lines = command_lines()
        for pid in apps:
            assert b"--database-url" not in lines[pid] and b"--db" not in lines[pid]
        leaks = [line for line in lines.values() if url.encode() in line or (secret and secret.encode() in line)]
        assert leaks == []
        await term.close()

    try:
        asyncio.run(session())
    finally:
        server.stop()
    banner = server.process.stdout.read()
    assert f"orderdesk: serving over SSH the database {redacted(url)};" in banner
    log = server.log_text()
    assert "login 'aisha'" in log
    if secret:
        assert secret not in banner and secret not in log and url not in banner


def test_serve_web_never_shows_the_database_url(tmp_path, e2e_demo_template):
    url, secret = with_password(clone_url(e2e_demo_template, tmp_path))
    port, log = free_port(), tmp_path / "web.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORDERDESK_") or k == "ORDERDESK_LOG_FILE"}
    env["ORDERDESK_DATABASE_URL"] = url
    server = subprocess.Popen([sys.executable, "-m", "tui.cli", "--log-file", str(log), "serve", "web",
                               "--port", str(port)], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    try:
        wait_for_port(port, server)
        lines = command_lines()
        assert [line for line in lines.values() if url.encode() in line] == []
    finally:
        server.terminate()
        server.wait(30)
    output = server.stdout.read()  # the apps' own command lines: test_web.py's environment test
    assert f"orderdesk: serving in a browser the database {redacted(url)};" in output
    assert f"serving in a browser at http://127.0.0.1:{port}/" in log.read_text()
    if secret:
        assert secret not in output and secret not in log.read_text()
