"""Email delivery: backoff after failures, due-ness over time, sending in the app's background."""

from __future__ import annotations

import asyncio
import socket
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller

from core import services
from core.outbox import SmtpSettings, backoff, send_pending
from tests.core.builders import NOW, oid, simple_order


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope.content)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp():
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, SmtpSettings("127.0.0.1", port)
    controller.stop()


def test_backoff_doubles_from_30_seconds_up_to_an_hour():
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert backoff(20) == timedelta(hours=1)


def test_a_failed_email_waits_for_its_backoff_then_goes(make_world, smtp):
    inbox, settings = smtp
    w = make_world(simple_order(1))
    assert services.buyer_cancel(w.db, oid(1), "no_longer_needed", now=NOW).ok
    down = SmtpSettings("127.0.0.1", free_port())
    failed = send_pending(w.db, down, now=NOW)
    assert (failed["failed"], failed["pending"]) == (1, 1) and "Cannot reach" in failed["error"]
    soon = send_pending(w.db, settings, now=NOW + timedelta(seconds=10))
    assert (soon["sent"], soon["waiting"]) == (0, 1) and inbox.messages == []
    later = send_pending(w.db, settings, now=NOW + timedelta(seconds=31))
    assert later["sent"] == 1 and len(inbox.messages) == 1
    assert w.outbox()[0]["status"] == "sent" and w.outbox()[0]["attempts"] == 2


def test_the_app_sends_emails_in_the_background_when_smtp_is_set(make_world, smtp, monkeypatch):
    from tui.app import OrderDeskApp

    inbox, settings = smtp
    monkeypatch.setenv("ORDERDESK_SMTP", f"127.0.0.1:{settings.port}")
    w = make_world(simple_order(1))
    assert services.buyer_cancel(w.db, oid(1), "no_longer_needed", now=NOW).ok

    async def run():
        app = OrderDeskApp(w.db)
        async with app.run_test() as pilot:
            app.send_emails()  # what the 30-second timer does
            await app.workers.wait_for_complete()
            await pilot.pause()

    asyncio.run(run())
    assert len(inbox.messages) == 1 and w.outbox()[0]["status"] == "sent"
