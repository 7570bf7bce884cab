"""A real SMTP server for the email tests (aiosmtpd), which a test can script: answer a
recipient or a message with an error, hold a message until released, drop the line.

Use the `mail_server` fixture: `server.address` is HOST:PORT, `server.received` every
message whose content arrived (email.message.Message; a server keeps it even if its
client dies before the answer), `server.accepted` those it answered 250, and
`server.recipients` every RCPT it saw.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller

WAIT = 60  # seconds: the longest any test waits for a condition


class ScriptedServer:
    def __init__(self):
        self.received = []
        self.accepted = []
        self.recipients: list[str] = []
        self.rcpt_replies: dict[str, str] = {}  # address -> reply, e.g. "550 5.1.1 User unknown"
        self.data_replies: list[str] = []  # the next messages' replies ("drop": close the line)
        self.mail_reply: str | None = None  # e.g. "421 closing": refuse every sender
        self.arrived = threading.Event()  # a message's content has arrived
        self.release = threading.Event()  # cleared: hold each message's answer until set
        self.release.set()

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.mail_reply:
            return self.mail_reply
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.recipients.append(address)
        if address in self.rcpt_replies:
            return self.rcpt_replies[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content)  # this session's own: others may arrive meanwhile
        self.received.append(message)
        self.arrived.set()
        await asyncio.get_running_loop().run_in_executor(None, self.release.wait, WAIT)
        reply = self.data_replies.pop(0) if self.data_replies else "250 OK"
        if reply == "drop":
            server.transport.abort()
        elif reply.startswith("250"):
            self.accepted.append(message)
        return reply

    def message_ids(self, messages=None) -> list[str]:
        """The Message-IDs of the accepted messages (or of `messages`)."""
        return [m["Message-ID"] for m in (self.accepted if messages is None else messages)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def mail_server():
    server, port = ScriptedServer(), free_port()
    controller = Controller(server, hostname="127.0.0.1", port=port)
    controller.start()
    server.port, server.address = port, f"127.0.0.1:{port}"
    yield server
    server.release.set()
    controller.stop()
