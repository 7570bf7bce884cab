"""The log file (core.logs): private from its first byte, bounded, and never holding a password."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import stat
from pathlib import Path

import pytest

from core import logs
from core.logs import setup_logging
from tests.core.builders import simple_order
from tests.waiting import settled

SECRET = "S3cret-Pw"
URL = f"postgresql+psycopg://anna:{SECRET}@db.example/orderdesk"
log = logging.getLogger("orderdesk.test")


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def umask_000():
    old = os.umask(0)
    yield
    os.umask(old)


@pytest.fixture(autouse=True)
def detach():
    """Each test's handler is closed after it (the next setup_logging replaces it anyway)."""
    yield
    if logs._handler is not None:
        logging.getLogger("orderdesk").removeHandler(logs._handler)
        logs._handler.close()
        logs._handler = None


def test_the_log_is_created_0600_in_a_0700_folder_whatever_the_umask(tmp_path, umask_000, monkeypatch):
    monkeypatch.setattr(os, "fchmod", lambda fd, mode: None)  # the mode comes from the creation itself
    path = setup_logging(tmp_path / "state" / "log" / "orderdesk.log")
    log.info("hello")
    assert path == tmp_path / "state" / "log" / "orderdesk.log"
    assert "INFO orderdesk.test" in path.read_text() and "hello" in path.read_text()
    assert mode(path) == 0o600 and mode(path.parent) == 0o700


def test_an_older_log_open_to_others_is_narrowed(tmp_path):
    path = tmp_path / "orderdesk.log"
    path.write_text("from an older orderdesk\n")
    path.chmod(0o644)
    setup_logging(path)
    log.info("hello")
    assert mode(path) == 0o600 and path.read_text().startswith("from an older orderdesk\n")


def test_the_log_rotates_within_a_bounded_size_every_file_private(tmp_path, umask_000, monkeypatch):
    monkeypatch.setattr(logs, "MAX_BYTES", 2000)
    path = setup_logging(tmp_path / "orderdesk.log")
    for n in range(1000):
        log.info("line %d of a long day", n)
    files = sorted(tmp_path.iterdir())
    assert [f.name for f in files] == ["orderdesk.log", "orderdesk.log.1", "orderdesk.log.2", "orderdesk.log.3"]
    assert all(f.stat().st_size <= 2000 for f in files) and all(mode(f) == 0o600 for f in files)
    assert "line 999 of a long day" in path.read_text()


def test_no_password_reaches_the_log_not_even_in_a_traceback(tmp_path):
    path = setup_logging(tmp_path / "orderdesk.log", urls=(URL,))
    log.info("opening %s", URL)
    log.info("the driver said: password authentication failed for %s", SECRET)
    log.info("another server: redis://:%s@cache:6379/0", "An0ther-Pw")
    try:
        raise RuntimeError(f"cannot connect to {URL} (dsn: host=db password={SECRET})")
    except RuntimeError:
        log.exception("the session failed")
    text = path.read_text()
    assert SECRET not in text and "An0ther-Pw" not in text
    assert "postgresql+psycopg://anna:***@db.example/orderdesk" in text
    assert "Traceback" in text and "RuntimeError: cannot connect" in text  # the detail stays


def test_setting_up_again_moves_the_log_without_doubling_lines(tmp_path):
    first = setup_logging(tmp_path / "first.log")
    log.info("one")
    second = setup_logging(tmp_path / "second.log")
    log.info("two")
    assert "two" not in first.read_text()
    assert second.read_text().count("two") == 1


def test_the_log_file_comes_from_the_option_the_environment_or_the_user_log_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("ORDERDESK_LOG_FILE", str(tmp_path / "env.log"))
    assert logs.log_path(tmp_path / "given.log") == tmp_path / "given.log"
    assert logs.log_path() == tmp_path / "env.log"
    monkeypatch.delenv("ORDERDESK_LOG_FILE")
    assert logs.log_path().name == "orderdesk.log" and "orderdesk" in logs.log_path().parent.parts


def test_the_apps_background_email_sender_logs_to_the_file(make_world, tmp_path, monkeypatch):
    from tui.app import OrderDeskApp

    monkeypatch.setenv("ORDERDESK_SMTP", "127.0.0.1:2525")
    world = make_world(simple_order(1))
    path = tmp_path / "app.log"

    async def run():
        app = OrderDeskApp(world.db, log_file=str(path))
        async with app.run_test() as pilot:
            await settled(pilot)  # the settings are read off the UI thread

    asyncio.run(run())
    assert "INFO orderdesk.app" in path.read_text()
    assert "sending the customer emails every 30 s in the background to 127.0.0.1:2525" in path.read_text()
    assert mode(path) == 0o600


def test_outbox_send_logs_the_outbox_to_the_file(make_world, tmp_path, capsys):
    from tui.cli import main

    world = make_world(simple_order(1))
    path = tmp_path / "outbox.log"
    main(["--database-url", world.db.url, "--log-file", str(path), "outbox", "send", "--smtp",
          f"127.0.0.1:{closed_port()}"])
    logging.getLogger("orderdesk.outbox").warning("what the sender logs")
    assert "WARNING orderdesk.outbox" in path.read_text() and mode(path) == 0o600


def test_a_log_file_that_cannot_be_written_is_bad_input(make_world, tmp_path, capsys):
    from tui.cli import main

    world = make_world(simple_order(1))
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    code = main(["--database-url", world.db.url, "--log-file", str(blocker / "orderdesk.log"), "outbox", "send"])
    err = capsys.readouterr().err
    assert code == 2 and f"Error: Cannot write the log file {blocker / 'orderdesk.log'} ({blocker}: " in err
    assert "Choose another with --log-file" in err
