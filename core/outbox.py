"""Delivering the customer emails in the outbox over SMTP, at most once per Message-ID.

Each email was written in the same transaction as the cancellation it reports and
carries a Message-ID fixed at that moment. A sender delivers one email in three steps,
and no transaction is ever open across the network, so a slow mail server never holds
the database's write lock:

1. claim: a short write transaction marks the email `sending` with this run's claim
   token and time, and counts the attempt. Only a `pending` email that is due can be
   claimed, so two senders never take the same email.
2. send: the SMTP exchange, with no transaction open.
3. record: a short write transaction stores the server's answer for that email.

The answers (`rules.EMAIL_STATUSES`):
- accepted (250): `sent`.
- 4xx for the email or its recipient: transient; back to `pending` with the error, tried
  again after a backoff (30 s, doubling each time, at most an hour).
- 5xx for the email or its recipient: permanent; `failed` with the server's readable
  reason, never retried by itself (`outbox retry ID` once the cause is fixed, or
  `outbox discard ID`).
- an address that can never be delivered (`rules.undeliverable`: `@buyers.invalid`,
  malformed): `failed` without contacting the server.
- the server cannot be used at all (connection refused, DNS, TLS handshake, login
  refused, sender refused, lost before an email's content went out): not the emails'
  fault. Nothing is recorded; an email claimed for that try is put back exactly as it
  was, and the run reports the error. A run that changed nothing and has an error is
  a refusal (the CLI exits 1). `Mailer`, which sends again and again, remembers in
  memory to wait (the same backoff) before knocking again.

At most once: a sender claims one email at a time (a batch of one: a sender that dies
leaves at most one email in doubt) and only a `pending` email is ever sent. An email
left `sending` is "unknown": its sender died between claim and record (killed, crashed,
interrupted), or the connection broke while the server was taking its content. It may
or may not have been delivered, so it is never resent by itself; `outbox list` shows
it as unknown (at once when the sender let go, after `rules.SENDING_STALE` when the
sender vanished) and a person checks, then runs `outbox retry ID` or `outbox discard ID`.
What remains: SMTP has no idempotency. If a person retries an email that the server did
accept just before its sender died, the buyer gets it twice; both copies carry the same
Message-ID, so a receiver that deduplicates on Message-ID keeps one.

Delivery runs on the real clock (not a demo database's frozen one): it is about a real
mail server. Everything is logged to the "orderdesk.outbox" logger; never the password.
"""

from __future__ import annotations

import logging
import os
import re
import smtplib
import socket
import ssl
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, getaddresses

from sqlalchemy import func, or_, update
from sqlmodel import select

from core import rules
from core.db import Database
from core.models import OutboxEmail
from core.results import Refusal, Refused, Success

log = logging.getLogger("orderdesk.outbox")
log.addHandler(logging.NullHandler())  # no stray lines on a terminal until a log file is set up

SECURITY = ("none", "starttls", "tls")
_HOST = re.compile(r"(?=.{1,253}$)(?:[A-Za-z0-9_-]{1,63}\.)*[A-Za-z0-9_-]{1,63}\.?|\[[0-9A-Fa-f:.]{2,45}\]")
_REPLY_SHOWN = 300  # characters of a mail server's reply kept in an error


class SettingError(ValueError):
    """A mail setting that cannot be used; `setting` names it (ENV_SETTINGS' keys)."""

    def __init__(self, setting: str, message: str):
        super().__init__(message)
        self.setting = setting


ENV_SETTINGS = {"address": "$ORDERDESK_SMTP", "host": "$ORDERDESK_SMTP", "port": "$ORDERDESK_SMTP",
                "security": "$ORDERDESK_SMTP_SECURITY", "user": "$ORDERDESK_SMTP_USER",
                "sender": "$ORDERDESK_SMTP_SENDER"}


class ServerUnavailable(Exception):
    """The mail server cannot be used at all: not any one email's fault."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str = "localhost"
    port: int = 25
    security: str = "none"  # none | starttls | tls
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    sender: str = "orderdesk@localhost"
    timeout: float = 10.0  # seconds, for each network step

    def __post_init__(self):
        if not _HOST.fullmatch(self.host):
            raise SettingError("host", f"{self.host!r} is not a mail server's host name or address.")
        if not 0 < self.port < 65536:
            raise SettingError("port", f"{self.port} is not a port (1 to 65535).")
        if self.security not in SECURITY:
            raise SettingError("security", f"{self.security!r} is not one of {', '.join(SECURITY)}.")
        if self.user is not None and (not self.user or _one_line(self.user) is None):
            raise SettingError("user", f"{self.user!r} is not a login: give one line without control characters.")
        if _one_line(self.sender) is None or len(getaddresses([self.sender])) != 1 \
                or rules.address_problem(self.envelope_sender):
            raise SettingError("sender", f"{self.sender!r} is not one sender address: give one line such "
                               "as orders@example.com or \"My Shop <orders@example.com>\".")

    @property
    def envelope_sender(self) -> str:
        return getaddresses([self.sender])[0][1]

    @property
    def server(self) -> str:
        return f"{self.host}:{self.port}"

    @classmethod
    def from_env(cls) -> SmtpSettings | None:
        """$ORDERDESK_SMTP (HOST:PORT) and its companions, or None when unset."""
        address = os.environ.get("ORDERDESK_SMTP")
        if not address:
            return None
        return cls.parse_address(address, security=os.environ.get("ORDERDESK_SMTP_SECURITY", "none"),
                                 user=os.environ.get("ORDERDESK_SMTP_USER"),
                                 password=os.environ.get("ORDERDESK_SMTP_PASSWORD"),
                                 sender=os.environ.get("ORDERDESK_SMTP_SENDER", "orderdesk@localhost"))

    @classmethod
    def parse_address(cls, text: str, **kw) -> SmtpSettings:
        host, _, port = text.rpartition(":")
        if not host or not port.isdigit() or len(port) > 5:
            raise SettingError("address", f"{text!r} is not HOST:PORT, e.g. localhost:1025.")
        return cls(host=host, port=int(port), **kw)


def _one_line(value: str) -> str | None:
    """`value` when it may go into a mail header or command: no line breaks, no control characters."""
    return None if any(ord(c) < 32 or ord(c) == 127 for c in value) else value


# -- the network step: no transaction is ever open here ---------------------------------------
def _connect(settings: SmtpSettings) -> smtplib.SMTP:
    """An open, logged-in connection, or ServerUnavailable saying why not and what to check."""
    host, smtp = settings.host.strip("[]"), None
    try:
        smtp = (smtplib.SMTP_SSL(host, settings.port, timeout=settings.timeout,
                                 context=ssl.create_default_context())
                if settings.security == "tls" else smtplib.SMTP(host, settings.port, timeout=settings.timeout))
        if settings.security == "starttls":
            smtp.starttls(context=ssl.create_default_context())
        if settings.user:
            smtp.login(settings.user, settings.password or "")
        smtp.ehlo_or_helo_if_needed()
        return smtp
    except (OSError, UnicodeError, smtplib.SMTPException) as exc:  # incl. ssl.SSLError, socket.gaierror
        if smtp is not None:
            smtp.close()
        raise ServerUnavailable(_unavailable(exc, settings)) from exc


def _unavailable(exc: BaseException, settings: SmtpSettings) -> str:
    """Why the server cannot be used, and what to check."""
    where = settings.server
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return (f"The mail server {where} refused the login of {settings.user!r} "
                f"({_reply(exc.smtp_code, exc.smtp_error)}). Check the user and $ORDERDESK_SMTP_PASSWORD.")
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return (f"The mail server {where} does not support that ({exc}). "
                "Check --security (tls for port 465, starttls for 587) and --user.")
    if isinstance(exc, ssl.SSLError):
        return (f"The TLS handshake with the mail server {where} failed ({exc.reason or exc}). "
                "Check --security (tls for port 465, starttls for 587).")
    if isinstance(exc, socket.gaierror):
        return f"Cannot find the mail server {settings.host!r} ({exc.strerror}). Check --smtp."
    if isinstance(exc, smtplib.SMTPResponseException):
        return (f"The mail server {where} turned the connection down "
                f"({_reply(exc.smtp_code, exc.smtp_error)}). Try again later.")
    return f"Cannot reach the mail server {where} ({_why(exc)}). Check that it runs and that --smtp is right."


def _why(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


@dataclass(frozen=True)
class Answer:
    """What became of one email: sent | transient | permanent | unknown, or `server`
    when the server failed before the email's content went out (the email is untouched)."""

    outcome: str
    reason: str | None = None
    error: BaseException | None = None  # the exception behind it, for the log's traceback


def _reply(code: int, reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    text = " ".join(text.split())
    return f"{code} {text[:_REPLY_SHOWN]}{'…' if len(text) > _REPLY_SHOWN else ''}".strip()


def _refused(code: int, reply: bytes) -> Answer:
    said = _reply(code, reply)
    if code >= 500:
        return Answer("permanent", f"The mail server refused this email for good: {said}.")
    return Answer("transient", f"The mail server asked to try again later: {said}.")


def _transmit(smtp: smtplib.SMTP, message: bytes, sender: str, to: str, where: str) -> Answer:
    """One email over an open connection. Before the content is handed over nothing can
    have been delivered; a break while the server takes it leaves the outcome unknown."""
    try:
        code, reply = smtp.mail(sender)
        if code != 250:
            _reset(smtp)
            return Answer("server", f"The mail server {where} refused the sender {sender} "
                                    f"({_reply(code, reply)}). Check --sender.")
        code, reply = smtp.rcpt(to)
        if code not in (250, 251):
            _reset(smtp)
            return _refused(code, reply)
        smtp.putcmd("data")
        code, reply = smtp.getreply()
    except (OSError, smtplib.SMTPException) as exc:
        return Answer("server", f"Lost the mail server {where} before sending ({_why(exc)}).", exc)
    if code != 354:
        _reset(smtp)
        return _refused(code, reply)
    try:  # the content: from here on the server may have the email
        smtp.send(_dot_stuffed(message))
        code, reply = smtp.getreply()
    except (OSError, smtplib.SMTPException) as exc:
        return Answer("unknown", f"Unknown: the connection to the mail server broke while it was taking "
                                 f"the email ({_why(exc)}); it may have been delivered.", exc)
    if code != 250:
        return _refused(code, reply)
    return Answer("sent")


def _dot_stuffed(message: bytes) -> bytes:
    """The DATA content as smtplib.SMTP.data sends it: leading dots doubled, then the end mark."""
    stuffed = re.sub(rb"(?m)^\.", b"..", message)
    return stuffed + (b"" if stuffed.endswith(b"\r\n") else b"\r\n") + b".\r\n"


def _reset(smtp: smtplib.SMTP) -> None:
    try:
        smtp.rset()
    except (OSError, smtplib.SMTPException):
        pass


def _quit(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        smtp.close()


_WIRE = SMTP.clone(cte_type="7bit")  # CRLF lines, ASCII only: any server takes it


def _message(email: OutboxEmail, settings: SmtpSettings) -> bytes:
    """The email as sent; ValueError when a header cannot be written (e.g. a line break)."""
    msg = EmailMessage(policy=_WIRE)
    msg["From"] = settings.sender
    msg["To"] = email.to_address
    msg["Subject"] = email.subject
    msg["Message-ID"] = email.message_id
    msg["Date"] = format_datetime(email.created_at)
    msg.set_content(email.body)
    return msg.as_bytes()


# -- the database steps: each its own short transaction ---------------------------------------
FIRST_BACKOFF = timedelta(seconds=30)
MAX_BACKOFF = timedelta(hours=1)


def backoff(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed try (the doubling stops well past
    MAX_BACKOFF, so an email failing for days never overflows a timedelta)."""
    return min(FIRST_BACKOFF * 2 ** min(max(attempts - 1, 0), 20), MAX_BACKOFF)


def _due(now: datetime, ignore_backoff: bool):
    due = OutboxEmail.status == "pending"
    if not ignore_backoff:
        due = due & or_(OutboxEmail.next_attempt_at.is_(None), OutboxEmail.next_attempt_at <= now)
    return due


def _claim(db: Database, email_id: int, token: str, now: datetime, ignore_backoff: bool) -> OutboxEmail | None:
    """Step 1: the email, now `sending` under `token`; None when it is no longer due
    (another sender took it, or a person discarded it)."""
    with db.write() as session:
        claimed = session.execute(
            update(OutboxEmail).where(OutboxEmail.id == email_id, _due(now, ignore_backoff))
            .values(status="sending", claim_token=token, claimed_at=now, attempts=OutboxEmail.attempts + 1)
        ).rowcount
        return session.get(OutboxEmail, email_id) if claimed else None


def _release(db: Database, email_id: int, token: str) -> None:
    """Undo a claim whose email never reached the server: exactly as it was before."""
    with db.write() as session:
        session.execute(
            update(OutboxEmail).where(OutboxEmail.id == email_id, OutboxEmail.status == "sending",
                                      OutboxEmail.claim_token == token)
            .values(status="pending", claim_token=None, claimed_at=None, attempts=OutboxEmail.attempts - 1))


def _record(db: Database, email_id: int, token: str, answer: Answer, now: datetime) -> None:
    """Step 3. A delivery is a fact and is always recorded; any other answer only while
    the claim is still this run's (a person's retry or discard meanwhile wins)."""
    with db.write() as session:
        email = session.get(OutboxEmail, email_id, with_for_update=True)
        if answer.outcome != "sent" and (email.status != "sending" or email.claim_token != token):
            log.warning("Email %s: %s; not recorded, a person changed it meanwhile.", email_id, answer.reason)
            return
        email.claim_token = None
        if answer.outcome == "unknown":  # stays `sending`, let go: `claimed_at` says since when
            email.last_error = answer.reason
            return
        email.claimed_at = None
        if answer.outcome == "sent":
            email.status, email.sent_at, email.last_error, email.next_attempt_at = "sent", now, None, None
        elif answer.outcome == "permanent":
            email.status, email.last_error, email.next_attempt_at = "failed", answer.reason, None
        else:
            email.status, email.last_error = "pending", answer.reason
            email.next_attempt_at = now + backoff(email.attempts)


def _give_up(db: Database, problems: dict[int, str]) -> None:
    """Emails that can never be delivered: `failed`, never tried (if still pending)."""
    with db.write() as session:
        for email_id, problem in problems.items():
            session.execute(update(OutboxEmail).where(OutboxEmail.id == email_id, OutboxEmail.status == "pending")
                            .values(status="failed", last_error=problem, next_attempt_at=None))


# -- a run ----------------------------------------------------------------------------------------
def send_pending(db: Database, settings: SmtpSettings, *, now: datetime | None = None,
                 ignore_backoff: bool = False, limit: int = 100) -> dict:
    """Deliver up to `limit` due emails (all pending ones with `ignore_backoff`), oldest
    first, over one connection. `now` fixes the clock (tests); else each step reads the
    real clock. Returns what happened: sent, failed (not delivered this time), of which
    permanent, unknown, the pending left (waiting: not yet due), and the server-level
    error that stopped the run, if any (then `recorded` says whether anything changed)."""
    clock: Callable[[], datetime] = (lambda: now) if now else (lambda: datetime.now(UTC))
    done = {"sent": 0, "failed": 0, "permanent": 0, "unknown": 0, "error": None}
    with db.read() as session:
        due = session.exec(select(OutboxEmail.id, OutboxEmail.to_address)
                           .where(_due(clock(), ignore_backoff)).order_by(OutboxEmail.id).limit(limit)).all()
    hopeless = {email_id: problem for email_id, to in due if (problem := rules.undeliverable(to))}
    deliverable = [email_id for email_id, _ in due if email_id not in hopeless]
    smtp = None
    if deliverable:
        try:
            smtp = _connect(settings)
        except ServerUnavailable as exc:
            log.warning("Sent nothing: %s", exc, exc_info=exc)
            done["error"] = str(exc)
            return _tally(db, done, clock())
    try:
        if hopeless:
            _give_up(db, hopeless)
            for email_id, problem in hopeless.items():
                log.warning("Email %s failed, not sent: %s", email_id, problem)
            done["failed"] += len(hopeless)
            done["permanent"] += len(hopeless)
        token = uuid.uuid4().hex
        for email_id in deliverable:
            answer = _send_one(db, smtp, settings, email_id, token, clock, ignore_backoff)
            if answer is None:
                continue
            if answer.outcome == "sent":
                done["sent"] += 1
            elif answer.outcome == "unknown":
                done["unknown"] += 1
            elif answer.outcome != "server":
                done["failed"] += 1
                done["permanent"] += answer.outcome == "permanent"
            if answer.outcome in ("server", "unknown"):  # the connection is no good any more
                done["error"] = answer.reason
                break
    finally:
        if smtp is not None:
            _quit(smtp)
    return _tally(db, done, clock())


def _send_one(db: Database, smtp: smtplib.SMTP, settings: SmtpSettings, email_id: int, token: str,
              clock: Callable[[], datetime], ignore_backoff: bool) -> Answer | None:
    """Claim, send, record one email; None when it was not due any more."""
    email = _claim(db, email_id, token, clock(), ignore_backoff)
    if email is None:
        return None
    try:
        try:
            message = _message(email, settings)
        except ValueError as exc:
            answer = Answer("permanent", f"The email cannot be written ({exc}).")
        else:
            answer = _transmit(smtp, message, settings.envelope_sender, email.to_address, settings.server)
    except BaseException as exc:  # a bug, Ctrl+C: the outcome is unknown; let go of the email
        _record(db, email_id, token, Answer("unknown", "Unknown: the sender stopped mid-send "
                                            f"({type(exc).__name__}); it may have been delivered."), clock())
        log.exception("Email %s (%s): the sender stopped mid-send", email_id, email.message_id)
        raise
    if answer.outcome == "server":
        _release(db, email_id, token)
        log.warning("Email %s not sent, put back: %s", email_id, answer.reason, exc_info=answer.error)
        return answer
    _record(db, email_id, token, answer, clock())
    if answer.outcome == "sent":
        log.info("Sent email %s (%s) for order %s", email_id, email.message_id, email.order_id)
    else:
        log.warning("Email %s (%s) %s: %s", email_id, email.message_id, answer.outcome, answer.reason,
                    exc_info=answer.error)
    return answer


def _tally(db: Database, done: dict, now: datetime) -> dict:
    with db.read() as session:
        pending = session.exec(select(func.count()).select_from(OutboxEmail)
                               .where(OutboxEmail.status == "pending")).one()
        due = session.exec(select(func.count()).select_from(OutboxEmail).where(_due(now, False))).one()
    done["pending"], done["waiting"] = pending, pending - due
    done["recorded"] = done["sent"] + done["failed"] + done["unknown"] > 0
    return done


class Mailer:
    """A sender that runs again and again (`outbox send --every`, the app's background
    sender). When the mail server cannot be used it remembers, in memory only, to wait
    before the next try (the emails' backoff: 30 s doubling, at most an hour); nothing is
    written to the database for it."""

    def __init__(self, settings: SmtpSettings):
        self.settings = settings
        self.failures = 0
        self.resume_at: datetime | None = None

    def wait(self, now: datetime | None = None) -> float:
        """Seconds until the server may be tried again (0: now)."""
        if self.resume_at is None:
            return 0.0
        return max((self.resume_at - (now or datetime.now(UTC))).total_seconds(), 0.0)

    def send(self, db: Database, *, ignore_backoff: bool = False, now: datetime | None = None) -> dict | None:
        """One run of `send_pending`, or None while waiting for the server."""
        if self.wait(now) > 0:
            return None
        done = send_pending(db, self.settings, now=now, ignore_backoff=ignore_backoff)
        if done["error"]:
            self.failures += 1
            self.resume_at = (now or datetime.now(UTC)) + backoff(self.failures)
        else:
            self.failures, self.resume_at = 0, None
        return done


# -- a person's decisions -------------------------------------------------------------------------
def change(db: Database, email_id: int, action: str, *, now: datetime | None = None) -> Success | Refusal:
    """`retry`: back to `pending`, due now (from failed, unknown, discarded, or pending in
    its backoff). `discard`: never to be sent. Refused for a sent email, and for one a
    sender is sending right now."""
    now = now or datetime.now(UTC)
    try:
        with db.write() as session:
            email = session.get(OutboxEmail, email_id, with_for_update=True)
            if email is None:
                raise Refused("unknown_email", f"There is no email {email_id}. "
                              "See `orderdesk outbox list` for the emails and their IDs.")
            verdict = rules.email_change(action, email, now)
            if not verdict.allowed:
                raise Refused(verdict.code, verdict.why_not)
            before = email.status
            email.claim_token = email.claimed_at = None
            if action == "retry":
                email.status, email.next_attempt_at = "pending", None
            else:
                email.status = "discarded"
    except Refused as refused:
        return refused.refusal
    log.info("Email %s: %s (was %s)", email_id, action, before)
    done = "will be sent by the next `outbox send`" if action == "retry" else "will never be sent"
    return Success({"id": email_id, "status": email.status, "was": before},
                   f"Email {email_id} ({before}) {done}.")
