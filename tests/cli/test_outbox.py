"""`orderdesk outbox send|list|retry|discard` against a real SMTP server."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from core.rules import SENDING_STALE
from tests.mail import WAIT, free_port

ROOT = Path(__file__).resolve().parents[2]


def cancel_one(od) -> dict:
    order = next(o for o in od.orders("awaiting_shipment") if "cancel" in o["actions"]["buyer"])
    return od.ok("cancel", order["id"], "--as", "buyer", "--reason", "bought_by_mistake")


def test_pending_emails_are_delivered_once_with_their_message_id(od, mail_server):
    record = cancel_one(od)
    pending = od.ok("outbox", "list", "--status", "pending")
    ours = next(e for e in pending if e["cancellation_id"] == record["id"])
    done = od.ok("outbox", "send", "--smtp", mail_server.address)
    assert done["sent"] == len(pending) and done["pending"] == 0
    received = {m["Message-ID"]: m for m in mail_server.accepted}
    assert ours["message_id"] in received
    mail = received[ours["message_id"]]
    assert mail["To"] == ours["to"] and record["order_id"] in mail["Subject"]
    assert "Refund" in mail.get_payload()
    assert od.ok("outbox", "list", "--status", "pending") == []
    assert od.ok("outbox", "send", "--smtp", mail_server.address)["sent"] == 0  # nothing is sent twice
    assert len(mail_server.accepted) == len(pending)


def test_a_closed_port_exits_1_and_changes_nothing(od, mail_server):
    cancel_one(od)
    before = od.dump()
    run = od("outbox", "send", "--smtp", f"127.0.0.1:{free_port()}", "--json")
    assert run.code == 1
    assert run.json["error"]["code"] == "mail_server"
    assert "Cannot reach the mail server" in run.json["error"]["message"]
    assert od.dump() == before
    human = od("outbox", "send", "--smtp", f"127.0.0.1:{free_port()}")
    assert human.code == 1 and "Cannot reach the mail server" in human.err and "Traceback" not in human.err
    assert od.dump() == before
    pending = len(od.ok("outbox", "list", "--status", "pending"))
    assert od.ok("outbox", "send", "--smtp", mail_server.address)["sent"] == pending  # no backoff to wait out


def test_send_every_keeps_going_while_the_server_is_down_and_changes_nothing(od):
    cancel_one(od)
    before = od.dump()
    sender = subprocess.Popen([sys.executable, "-m", "tui.cli", "--database-url", od.url, "outbox", "send",
                               "--every", "1", "--smtp", f"127.0.0.1:{free_port()}"], cwd=ROOT, env=_env(),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in sender.stdout], daemon=True).start()
    try:
        while "Stopped: Cannot reach the mail server" not in (line := lines.get(timeout=WAIT)):
            pass
        assert "Trying again in 30 s." in line  # the backoff, kept in memory
        assert sender.poll() is None  # still going
    finally:
        sender.send_signal(signal.SIGINT)
        sender.wait(WAIT)
    assert sender.returncode == 0
    assert od.dump() == before


def _env() -> dict:
    """The environment for an `orderdesk` subprocess: the test's database, the real clock."""
    return {k: v for k, v in os.environ.items() if k not in ("ORDERDESK_NOW", "ORDERDESK_DATABASE_URL")}


def test_bad_mail_settings_are_bad_input(od):
    before = od.dump()
    for args, option in [(["--smtp", "localhost"], "--smtp"),
                         (["--sender", "shop@example.com\r\nBcc: everyone@example.com"], "--sender"),
                         (["--sender", "shop@example.com\nX: y"], "--sender"),
                         (["--password", "s3cret"], "ORDERDESK_SMTP_PASSWORD")]:
        run = od("outbox", "send", *args, "--json")
        assert run.code == 2 and run.json["error"]["code"] == "bad_input", args
        assert option in run.json["error"]["message"]
        human = od("outbox", "send", *args)
        assert human.code == 2 and human.err.startswith("Error: ") and "Traceback" not in human.err
    assert "s3cret" not in human.err
    assert od.dump() == before


def test_a_refused_email_is_listed_as_failed_with_the_reason_and_what_to_do(od, mail_server):
    cancel_one(od)
    [first, *_] = od.ok("outbox", "list", "--status", "pending")
    mail_server.rcpt_replies[first["to"]] = f"550 5.1.1 <{first['to']}>: Recipient address rejected"
    done = od.ok("outbox", "send", "--smtp", mail_server.address)
    assert done["permanent"] >= 1
    run = od("outbox", "list", "--status", "failed")
    assert run.code == 0 and f"{first['id']:>5}  failed" in run.out
    assert "550 5.1.1" in run.out and f"orderdesk outbox retry {first['id']}" in run.out
    assert od.ok("outbox", "send", "--smtp", mail_server.address, "--force")["sent"] == 0  # not tried again


def test_retry_and_discard(od, mail_server):
    cancel_one(od)
    pending = od.ok("outbox", "list", "--status", "pending")
    dropped, kept = pending[0], pending[1:]
    shown = od.ok("outbox", "discard", str(dropped["id"]))
    assert shown == {"id": dropped["id"], "status": "discarded", "was": "pending"}
    assert od.ok("outbox", "send", "--smtp", mail_server.address)["sent"] == len(kept)
    assert dropped["message_id"] not in mail_server.message_ids()
    assert [e["id"] for e in od.ok("outbox", "list", "--status", "discarded")] == [dropped["id"]]

    before = od.dump()
    for action in ("retry", "discard"):
        sent = od("outbox", action, str(kept[0]["id"]), "--json")
        assert sent.code == 1 and sent.json["error"]["code"] == "already_sent"
        for bad in ("999999", "abc", "0", "99999999999999999999999"):
            unknown = od("outbox", action, bad, "--json")
            assert unknown.code == 2 and unknown.json["error"]["code"] in ("unknown_email", "bad_input"), bad
    assert od.dump() == before

    back = od("outbox", "retry", str(dropped["id"]))
    assert back.code == 0 and "will be sent by the next `outbox send`" in back.out
    assert od.ok("outbox", "send", "--smtp", mail_server.address)["sent"] == 1
    assert mail_server.message_ids().count(dropped["message_id"]) == 1


def test_a_sender_killed_after_the_server_took_the_email_never_sends_it_twice(od, mail_server):
    """At most once per Message-ID: SIGKILL between claim and record."""
    cancel_one(od)
    pending = sorted(od.ok("outbox", "list", "--status", "pending"), key=lambda e: e["id"])
    mail_server.release.clear()  # the server takes the first email and holds its answer
    sender = subprocess.Popen([sys.executable, "-m", "tui.cli", "--database-url", od.url, "outbox", "send",
                               "--smtp", mail_server.address], cwd=ROOT, env=_env(),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert mail_server.arrived.wait(WAIT)
    finally:
        sender.send_signal(signal.SIGKILL)
        sender.wait(WAIT)
        mail_server.release.set()
    assert sender.returncode == -signal.SIGKILL
    killed = pending[0]

    done = od.ok("outbox", "send", "--smtp", mail_server.address)
    assert done["sent"] == len(pending) - 1
    received = mail_server.message_ids(mail_server.received)
    assert received.count(killed["message_id"]) == 1  # only the copy the dead sender handed over
    assert sorted(received) == sorted(e["message_id"] for e in pending)
    [stuck] = od.ok("outbox", "list", "--status", "sending")
    assert stuck["id"] == killed["id"] and not stuck["unknown"]  # as far as anyone knows, in flight
    busy = od("outbox", "retry", str(killed["id"]), "--json")
    assert busy.code == 1 and busy.json["error"]["code"] == "being_sent"

    later = (datetime.now(UTC) + SENDING_STALE + timedelta(minutes=1)).isoformat()
    [stuck] = od.ok("--now", later, "outbox", "list", "--status", "sending")
    assert stuck["unknown"] and "the sender stopped mid-send" in stuck["problem"]
    listed = od("--now", later, "outbox", "list")
    assert f"{killed['id']:>5}  unknown" in listed.out
    assert od.ok("--now", later, "outbox", "retry", str(killed["id"]))["status"] == "pending"
