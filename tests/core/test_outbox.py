"""Email delivery: claim, send, record, each on its own; what each answer of the mail
server does to an email; at most once per Message-ID; the app's background sender."""

from __future__ import annotations

import asyncio
import logging
import threading
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import text

from core import rules, services
from core.queries import board
from core.queries import outbox as outbox_queries
from core.outbox import Mailer, SettingError, SmtpSettings, backoff, change, send_pending
from tests.core.builders import NOW, OTHER_BUYER, SHOP, oid, simple_order
from tests.mail import WAIT, free_port
from tests.waiting import settled


def settings_for(server, **kw) -> SmtpSettings:
    return SmtpSettings("127.0.0.1", server.port, **kw)


def closed_port() -> SmtpSettings:
    return SmtpSettings("127.0.0.1", free_port())


def cancelled(make_world, n: int = 1, **kw):
    """A world with `n` cancelled orders, so `n` pending emails."""
    w = make_world(*(simple_order(i, **kw) for i in range(1, n + 1)))
    for i in range(1, n + 1):
        assert services.buyer_cancel(w.db, oid(i), "no_longer_needed", now=NOW).ok
    return w


def emails(w, now=NOW) -> list[dict]:
    """The outbox as `outbox list` shows it at `now`, oldest first."""
    with w.db.read() as session:
        return sorted((e.as_dict() for e in outbox_queries.emails(session, now=now)), key=lambda e: e["id"])


def test_backoff_doubles_from_30_seconds_up_to_an_hour():
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert backoff(20) == timedelta(hours=1)


def test_a_try_again_later_answer_waits_for_its_backoff_then_goes(make_world, mail_server):
    w = cancelled(make_world)
    mail_server.data_replies = ["451 4.3.0 Mailbox busy, try again later"]
    first = send_pending(w.db, settings_for(mail_server), now=NOW)
    assert (first["sent"], first["failed"], first["permanent"], first["pending"]) == (0, 1, 0, 1)
    [email] = emails(w)
    assert email["status"] == "pending" and email["attempts"] == 1 and "451" in email["last_error"]
    soon = send_pending(w.db, settings_for(mail_server), now=NOW + timedelta(seconds=10))
    assert (soon["sent"], soon["waiting"]) == (0, 1) and mail_server.accepted == []
    later = send_pending(w.db, settings_for(mail_server), now=NOW + timedelta(seconds=31))
    assert later["sent"] == 1 and len(mail_server.accepted) == 1
    [email] = emails(w)
    assert email["status"] == "sent" and email["attempts"] == 2 and email["last_error"] is None


@pytest.mark.parametrize("down, says", [
    (lambda server: closed_port(), "Cannot reach the mail server"),
    (lambda server: SmtpSettings("no-such-host.invalid", 25), "Cannot find the mail server"),
    (lambda server: settings_for(server, security="tls"), "The TLS handshake with the mail server"),
    (lambda server: settings_for(server, security="starttls"), "does not support that"),
], ids=["closed port", "unknown host", "TLS handshake", "no STARTTLS"])
def test_a_mail_server_that_cannot_be_used_changes_no_email(make_world, mail_server, down, says, caplog):
    w = cancelled(make_world, 2)
    before = w.dump()
    with caplog.at_level(logging.WARNING, logger="orderdesk.outbox"):
        done = send_pending(w.db, down(mail_server), now=NOW)
    assert says in done["error"] and not done["recorded"] and done["sent"] == done["failed"] == 0
    assert done["pending"] == 2 and mail_server.recipients == []
    assert w.dump() == before
    assert says in caplog.text and "Traceback" in caplog.text  # the cause, for whoever reads the log


def test_a_refused_login_changes_nothing_and_never_shows_the_password(make_world, caplog):
    from aiosmtpd.smtp import AuthResult

    w = cancelled(make_world)
    controller = Controller(object(), hostname="127.0.0.1", port=free_port(), auth_require_tls=False,
                            authenticator=lambda *args: AuthResult(success=False, handled=False))
    controller.start()
    try:
        settings = SmtpSettings("127.0.0.1", controller.port, user="shop", password="s3cret-Pa55")
        before = w.dump()
        with caplog.at_level(logging.INFO, logger="orderdesk.outbox"):
            done = send_pending(w.db, settings, now=NOW)
    finally:
        controller.stop()
    assert "refused the login of 'shop'" in done["error"] and not done["recorded"]
    assert w.dump() == before
    assert "s3cret" not in done["error"] + caplog.text + repr(settings)
    assert "refused the login" in caplog.text


def test_a_slow_mail_server_never_holds_the_database(make_world, mail_server):
    """The issue: SMTP inside the write transaction made a concurrent cancellation fail
    after 30 s with 'database is locked'."""
    w = make_world(simple_order(1), simple_order(2))
    assert services.buyer_cancel(w.db, oid(1), "no_longer_needed", now=NOW).ok
    mail_server.release.clear()  # the server takes the email, then holds its answer
    sending = threading.Thread(target=send_pending, args=(w.db, settings_for(mail_server, timeout=WAIT * 2)),
                               kwargs={"now": NOW})
    sending.start()
    try:
        assert mail_server.arrived.wait(WAIT)
        [email] = emails(w)
        assert email["status"] == "sending" and not email["unknown"]  # claimed, in flight
        assert services.seller_cancel(w.db, oid(2), "out_of_stock", now=NOW).ok  # while the server holds
        assert not mail_server.accepted
    finally:
        mail_server.release.set()
        sending.join(WAIT)
    assert [e["status"] for e in emails(w)] == ["sent", "pending"]


def test_a_permanent_refusal_fails_the_email_with_the_servers_reason_and_is_not_tried_again(
        make_world, mail_server):
    w = cancelled(make_world, 2)
    mail_server.rcpt_replies["mia@example.com"] = "550 5.1.1 <mia@example.com>: Recipient address rejected"
    with w.db.write() as session:  # order 2 goes to another buyer, who gets it
        session.execute(text("UPDATE outbox_emails SET to_address = 'noah@example.com' WHERE order_id = :o"),
                        {"o": oid(2)})
    done = send_pending(w.db, settings_for(mail_server), now=NOW)
    assert (done["sent"], done["failed"], done["permanent"], done["pending"]) == (1, 1, 1, 0)
    refused, delivered = emails(w)
    assert refused["status"] == "failed" and "550 5.1.1" in refused["last_error"]
    assert "Recipient address rejected" in refused["problem"] and "outbox retry" in refused["problem"]
    assert delivered["status"] == "sent"
    again = send_pending(w.db, settings_for(mail_server), now=NOW + timedelta(days=1), ignore_backoff=True)
    assert again["sent"] == again["failed"] == 0
    assert mail_server.recipients.count("mia@example.com") == 1
    assert emails(w)[0]["attempts"] == 1


def test_an_address_that_can_never_work_fails_without_contacting_the_server(make_world):
    w = cancelled(make_world, 2)
    with w.db.write() as session:
        session.execute(text("UPDATE outbox_emails SET to_address = 'mia@buyers.invalid' WHERE order_id = :o"),
                        {"o": oid(1)})
        session.execute(text("UPDATE outbox_emails SET to_address = 'noah@example.com\nBcc: x@evil.example' "
                             "WHERE order_id = :o"), {"o": oid(2)})
    done = send_pending(w.db, closed_port(), now=NOW)  # any contact would fail: none is made
    assert done["error"] is None and (done["failed"], done["permanent"], done["pending"]) == (2, 2, 0)
    imported, injected = emails(w)
    assert imported["status"] == injected["status"] == "failed"
    assert imported["attempts"] == injected["attempts"] == 0
    assert imported["last_error"] == rules.NO_REAL_ADDRESS
    assert "The buyer has no real email address (imported from a Seller Center export)" in imported["problem"]
    assert "is not an email address" in injected["last_error"]


def test_an_email_whose_header_would_break_the_message_fails_without_being_sent(make_world, mail_server):
    w = cancelled(make_world)
    with w.db.write() as session:
        session.execute(text("UPDATE outbox_emails SET subject = 'Cancelled\r\nBcc: all@example.com'"))
    done = send_pending(w.db, settings_for(mail_server), now=NOW)
    assert (done["sent"], done["permanent"]) == (0, 1) and mail_server.recipients == []
    [email] = emails(w)
    assert email["status"] == "failed" and "cannot be written" in email["last_error"]


def test_only_the_deliverable_emails_reach_the_server(make_world, mail_server):
    w = cancelled(make_world, 2)
    with w.db.write() as session:
        session.execute(text("UPDATE outbox_emails SET to_address = 'mia@buyers.invalid' WHERE order_id = :o"),
                        {"o": oid(1)})
    done = send_pending(w.db, settings_for(mail_server), now=NOW)
    assert (done["sent"], done["permanent"]) == (1, 1)
    assert mail_server.recipients == ["mia@example.com"]
    assert [m["Subject"].endswith(oid(2)) for m in mail_server.accepted] == [True]


def test_a_server_lost_before_the_content_puts_the_email_back_exactly(make_world, mail_server):
    w = cancelled(make_world, 2)
    mail_server.mail_reply = "421 4.3.2 Service shutting down"
    before = w.dump()
    done = send_pending(w.db, settings_for(mail_server), now=NOW)
    assert "refused the sender" in done["error"] and "421" in done["error"] and not done["recorded"]
    assert w.dump() == before


def test_a_line_dropped_while_the_server_takes_the_content_leaves_the_email_unknown(make_world, mail_server):
    w = cancelled(make_world, 2)
    mail_server.data_replies = ["drop"]
    done = send_pending(w.db, settings_for(mail_server), now=NOW)
    assert (done["sent"], done["unknown"]) == (0, 1) and "connection" in done["error"]
    first, second = emails(w)
    assert first["status"] == "sending" and first["unknown"] and "may have been delivered" in first["problem"]
    assert second["status"] == "pending" and second["attempts"] == 0  # never claimed: the run stopped
    later = send_pending(w.db, settings_for(mail_server), now=NOW + timedelta(hours=2))
    assert later["sent"] == 1 and mail_server.message_ids() == [second["message_id"]]


def test_a_sender_that_dies_mid_send_never_sends_that_email_again_by_itself(make_world, mail_server, monkeypatch):
    """At most once: the server got the email, then its sender died before recording it."""
    import core.outbox

    w = cancelled(make_world, 2)
    transmit = core.outbox._transmit

    def deliver_then_die(*args):
        transmit(*args)
        raise KeyboardInterrupt

    monkeypatch.setattr(core.outbox, "_transmit", deliver_then_die)
    with pytest.raises(KeyboardInterrupt):
        send_pending(w.db, settings_for(mail_server), now=NOW)
    monkeypatch.undo()
    died, _ = emails(w)
    assert died["status"] == "sending" and died["unknown"] and "stopped mid-send" in died["problem"]
    done = send_pending(w.db, settings_for(mail_server), now=NOW + timedelta(days=1), ignore_backoff=True)
    assert done["sent"] == 1
    assert sorted(mail_server.message_ids()) == sorted(e["message_id"] for e in emails(w))  # each once
    # a person who checked decides to send it again: it goes, with the same Message-ID
    assert change(w.db, died["id"], "retry", now=NOW).ok
    assert send_pending(w.db, settings_for(mail_server), now=NOW)["sent"] == 1
    assert mail_server.message_ids().count(died["message_id"]) == 2


def test_a_claim_whose_sender_vanished_is_unknown_after_the_stale_time(make_world):
    import core.outbox

    w = cancelled(make_world)
    [email] = emails(w)
    assert core.outbox._claim(w.db, email["id"], "vanished", NOW, False) is not None  # then SIGKILL
    refused = change(w.db, email["id"], "retry", now=NOW + timedelta(minutes=1))
    assert refused.code == "being_sent" and "right now" in refused.message
    assert emails(w)[0]["status"] == "sending"
    later = NOW + rules.SENDING_STALE
    [shown] = emails(w, later)
    assert shown["unknown"] and "stopped mid-send" in shown["problem"]
    assert change(w.db, email["id"], "retry", now=later).ok
    assert emails(w)[0]["status"] == "pending"


def test_two_senders_at_once_send_each_email_once(make_world, mail_server):
    w = cancelled(make_world, 2, buyer=OTHER_BUYER)
    with w.db.write() as session:  # three more, to give the senders something to race for
        session.execute(text(
            "INSERT INTO outbox_emails (order_id, message_id, to_address, subject, body, status, attempts, "
            "created_at) SELECT order_id, 'x' || message_id, to_address, subject, body, status, attempts, "
            "created_at FROM outbox_emails"))
    runs = [threading.Thread(target=send_pending, args=(w.db, settings_for(mail_server)), kwargs={"now": NOW})
            for _ in range(2)]
    for run in runs:
        run.start()
    for run in runs:
        run.join(WAIT)
    ids = mail_server.message_ids()
    assert sorted(ids) == sorted(e["message_id"] for e in emails(w)) and len(ids) == 4
    assert {e["status"] for e in emails(w)} == {"sent"} and {e["attempts"] for e in emails(w)} == {1}


def test_retry_and_discard(make_world, mail_server):
    w = cancelled(make_world, 2)
    first, second = emails(w)
    assert change(w.db, 999, "retry").code == "unknown_email"
    assert change(w.db, first["id"], "discard", now=NOW).record["status"] == "discarded"
    assert send_pending(w.db, settings_for(mail_server), now=NOW)["sent"] == 1
    assert mail_server.message_ids() == [second["message_id"]]
    before = w.dump()
    for action in ("retry", "discard"):
        refused = change(w.db, second["id"], action, now=NOW)
        assert refused.code == "already_sent" and "cannot be called back" in refused.message
    assert w.dump() == before
    assert change(w.db, first["id"], "retry", now=NOW).record == {"id": first["id"], "status": "pending",
                                                                   "was": "discarded"}
    assert send_pending(w.db, settings_for(mail_server), now=NOW)["sent"] == 1


def test_the_background_sender_waits_in_memory_while_the_server_is_down(make_world):
    w = cancelled(make_world)
    mailer = Mailer(closed_port())
    before = w.dump()
    assert mailer.send(w.db, now=NOW)["error"]
    assert mailer.wait(NOW) == 30
    assert mailer.send(w.db, now=NOW + timedelta(seconds=10)) is None  # not knocking yet
    assert mailer.send(w.db, now=NOW + timedelta(seconds=30))["error"]
    assert mailer.wait(NOW + timedelta(seconds=30)) == 60  # the backoff doubles
    assert w.dump() == before  # all in memory


@pytest.mark.parametrize("setting, kw", [
    ("sender", {"sender": "shop@example.com\r\nBcc: everyone@example.com"}),
    ("sender", {"sender": "a@example.com, b@example.com"}),
    ("sender", {"sender": "not an address"}),
    ("user", {"user": "shop\r\nRSET"}),
    ("host", {"host": "mail.example.com\n"}),
])
def test_a_mail_setting_with_a_line_break_or_worse_is_refused(setting, kw):
    with pytest.raises(SettingError) as refused:
        SmtpSettings(**{"host": "localhost", **kw})
    assert refused.value.setting == setting


def test_sends_are_logged_without_the_password(make_world, mail_server, caplog):
    w = cancelled(make_world, 2)
    mail_server.rcpt_replies["mia@example.com"] = "550 5.1.1 User unknown"
    _, other = emails(w)
    with w.db.write() as session:
        session.execute(text("UPDATE outbox_emails SET to_address = 'noah@example.com' WHERE id = :i"),
                        {"i": other["id"]})
    with caplog.at_level(logging.INFO, logger="orderdesk.outbox"):
        send_pending(w.db, settings_for(mail_server, password="s3cret-Pa55"), now=NOW)
    records = [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "orderdesk.outbox"]
    assert ("INFO", f"Sent email {other['id']} ({other['message_id']}) for order {oid(2)}") in records
    assert any(level == "WARNING" and "550 5.1.1" in message for level, message in records)
    assert "s3cret" not in caplog.text


def test_the_app_sends_emails_in_the_background_when_smtp_is_set(make_world, mail_server, monkeypatch):
    from tui.app import OrderDeskApp

    monkeypatch.setenv("ORDERDESK_SMTP", mail_server.address)
    w = cancelled(make_world)

    async def run():
        app = OrderDeskApp(w.db)
        async with app.run_test() as pilot:
            await settled(pilot)  # the settings (its `smtp`) are read off the UI thread
            app.send_emails()  # what the 30-second timer does
            await app.workers.wait_for_complete()
            await pilot.pause()

    asyncio.run(run())
    assert len(mail_server.accepted) == 1 and w.outbox()[0]["status"] == "sent"


def test_the_outbox_lists_newest_first_by_when_the_email_was_queued_not_by_row(make_world):
    """An email written later for an earlier cancellation (the demo's history, an import, a
    station with a fixed clock) takes its place by time, in the shop's list and in all."""
    w = make_world(simple_order(1), simple_order(2))
    assert services.buyer_cancel(w.db, oid(2), "no_longer_needed", now=NOW + timedelta(hours=2)).ok
    assert services.buyer_cancel(w.db, oid(1), "no_longer_needed", now=NOW).ok  # a later row, an earlier time
    with w.db.read() as session:
        shop = board.shop_by_name(session, SHOP)
        for listed in (outbox_queries.emails(session, now=NOW), outbox_queries.emails(session, shop_id=shop.id, now=NOW)):
            assert [e.order_id for e in listed] == [oid(2), oid(1)]
            assert listed[0].id < listed[1].id  # so not by row
