"""Delivering the customer emails in the outbox over SMTP.

Each email was written in the same transaction as the cancellation it reports and
carries a Message-ID fixed at that moment, so a retry after an unclear failure sends
the same Message-ID and the receiver can drop the duplicate. An email that cannot
be sent stays pending with its error and attempt count; nothing is lost. After a
failure it waits before the next try: 30 s, doubling each time, at most an hour.
Delivery runs on the real clock (not a demo database's frozen one): it is about a
real mail server.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime

from sqlalchemy import func, or_
from sqlmodel import select

from core.db import Database
from core.models import OutboxEmail


@dataclass(frozen=True)
class SmtpSettings:
    host: str = "localhost"
    port: int = 25
    security: str = "none"  # none | starttls | tls
    user: str | None = None
    password: str | None = None
    sender: str = "orderdesk@localhost"
    timeout: float = 10.0

    @classmethod
    def from_env(cls) -> "SmtpSettings | None":
        """$ORDERDESK_SMTP (HOST:PORT) and its companions, or None when unset."""
        import os

        address = os.environ.get("ORDERDESK_SMTP")
        if not address:
            return None
        return cls.parse_address(address, security=os.environ.get("ORDERDESK_SMTP_SECURITY", "none"),
                                 user=os.environ.get("ORDERDESK_SMTP_USER"),
                                 password=os.environ.get("ORDERDESK_SMTP_PASSWORD"),
                                 sender=os.environ.get("ORDERDESK_SMTP_SENDER", "orderdesk@localhost"))

    @classmethod
    def parse_address(cls, text: str, **kw) -> "SmtpSettings":
        host, _, port = text.rpartition(":")
        if not host or not port.isdigit():
            raise ValueError(f"{text!r} is not HOST:PORT, e.g. localhost:1025.")
        return cls(host=host, port=int(port), **kw)


def _message(email: OutboxEmail, sender: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = email.to_address
    msg["Subject"] = email.subject
    msg["Message-ID"] = email.message_id
    msg["Date"] = format_datetime(email.created_at)
    msg.set_content(email.body)
    return msg


def _connect(settings: SmtpSettings) -> smtplib.SMTP:
    if settings.security == "tls":
        smtp = smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout,
                                context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
        if settings.security == "starttls":
            smtp.starttls(context=ssl.create_default_context())
    if settings.user:
        smtp.login(settings.user, settings.password or "")
    return smtp


FIRST_BACKOFF = timedelta(seconds=30)
MAX_BACKOFF = timedelta(hours=1)


def backoff(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed try (the doubling stops well past
    MAX_BACKOFF, so an email failing for days never overflows a timedelta)."""
    return min(FIRST_BACKOFF * 2 ** min(max(attempts - 1, 0), 20), MAX_BACKOFF)


def send_pending(db: Database, settings: SmtpSettings, *, now: datetime | None = None,
                 ignore_backoff: bool = False, limit: int = 100) -> dict:
    """Send up to `limit` pending emails that are due (all pending ones with
    `ignore_backoff`); each is marked sent in its own transaction."""
    now = now or datetime.now(UTC)
    due = OutboxEmail.status == "pending"
    if not ignore_backoff:
        due = due & or_(OutboxEmail.next_attempt_at.is_(None), OutboxEmail.next_attempt_at <= now)
    with db.read() as session:
        pending = session.exec(select(OutboxEmail.id).where(due).order_by(OutboxEmail.id).limit(limit)).all()
        waiting = session.exec(select(func.count()).select_from(OutboxEmail).where(
            OutboxEmail.status == "pending")).one() - len(pending)
    sent, failed, error = 0, 0, None
    if not pending:
        return {"sent": 0, "failed": 0, "pending": waiting, "waiting": waiting, "error": None}
    try:
        smtp = _connect(settings)
    except (OSError, smtplib.SMTPException) as exc:
        error = f"Cannot reach the mail server {settings.host}:{settings.port}: {exc}"
        _record_failure(db, pending, error, now)
        return {"sent": 0, "failed": len(pending), "pending": len(pending) + waiting,
                "waiting": waiting, "error": error}
    with smtp:
        for email_id in pending:
            with db.write() as session:
                email = session.get(OutboxEmail, email_id)
                if email.status != "pending":
                    continue
                try:
                    smtp.send_message(_message(email, settings.sender))
                except (OSError, smtplib.SMTPException) as exc:
                    email.attempts += 1
                    email.last_error = error = str(exc)
                    email.next_attempt_at = now + backoff(email.attempts)
                    failed += 1
                    continue
                email.status, email.sent_at = "sent", now
                email.attempts += 1
                email.last_error = None
                sent += 1
    return {"sent": sent, "failed": failed, "pending": len(pending) - sent + waiting,
            "waiting": waiting, "error": error}


def _record_failure(db: Database, ids, error: str, now: datetime) -> None:
    with db.write() as session:
        for email in session.exec(select(OutboxEmail).where(OutboxEmail.id.in_(ids))):
            email.attempts += 1
            email.last_error = error
            email.next_attempt_at = now + backoff(email.attempts)
