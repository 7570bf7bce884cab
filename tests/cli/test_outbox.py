"""`orderdesk outbox send` delivers the customer emails to a real SMTP server."""

from __future__ import annotations

import socket
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, f"127.0.0.1:{port}"
    controller.stop()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cancel_one(od) -> dict:
    order = next(o for o in od.orders("awaiting_shipment") if "cancel" in o["actions"]["buyer"])
    return od.ok("cancel", order["id"], "--as", "buyer", "--reason", "bought_by_mistake")


def test_pending_emails_are_delivered_once_with_their_message_id(od, smtp_server):
    inbox, address = smtp_server
    record = cancel_one(od)
    pending = od.ok("outbox", "list", "--status", "pending")
    ours = next(e for e in pending if e["cancellation_id"] == record["id"])
    done = od.ok("outbox", "send", "--smtp", address)
    assert done["sent"] == len(pending) and done["pending"] == 0
    received = {m["Message-ID"]: m for m in inbox.messages}
    assert ours["message_id"] in received
    mail = received[ours["message_id"]]
    assert mail["To"] == ours["to"] and record["order_id"] in mail["Subject"]
    assert "Refund" in mail.get_payload()
    assert od.ok("outbox", "list", "--status", "pending") == []
    assert od.ok("outbox", "send", "--smtp", address)["sent"] == 0  # nothing is sent twice
    assert len(inbox.messages) == len(pending)


def test_a_down_server_leaves_emails_pending_with_the_error(od, smtp_server):
    inbox, address = smtp_server
    cancel_one(od)
    before = len(od.ok("outbox", "list", "--status", "pending"))
    run = od("outbox", "send", "--smtp", f"127.0.0.1:{free_port()}", "--json")
    assert run.code == 1
    assert "Cannot reach the mail server" in run.json["error"]
    still = od.ok("outbox", "list", "--status", "pending")
    assert len(still) == before and all(e["attempts"] == 1 and e["last_error"] for e in still)
    waiting = od.ok("outbox", "send", "--smtp", address)  # the server is back, but the backoff holds
    assert waiting["sent"] == 0 and waiting["waiting"] == before
    assert od.ok("outbox", "send", "--smtp", address, "--force")["sent"] == before
    assert len(inbox.messages) == before


def test_a_malformed_smtp_address_is_bad_input(od):
    run = od("outbox", "send", "--smtp", "localhost", "--json")
    assert run.code == 2 and run.json["error"]["code"] == "bad_input"
