"""Delivering the customer emails in the outbox over SMTP.

Each email was written in the same transaction as the cancellation it reports and
carries a Message-ID fixed at that moment, so a retry after an unclear failure sends
the same Message-ID and the receiver can drop the duplicate. An email that cannot
be sent stays pending with its error and attempt count; nothing is lost.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime

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


def send_pending(db: Database, settings: SmtpSettings, *, now: datetime, limit: int = 100) -> dict:
    """Send up to `limit` pending emails; each is marked sent in its own transaction."""
    with db.read() as session:
        pending = session.exec(select(OutboxEmail.id).where(OutboxEmail.status == "pending")
                               .order_by(OutboxEmail.id).limit(limit)).all()
    sent, failed, error = 0, 0, None
    if not pending:
        return {"sent": 0, "failed": 0, "pending": 0, "error": None}
    try:
        smtp = _connect(settings)
    except (OSError, smtplib.SMTPException) as exc:
        error = f"Cannot reach the mail server {settings.host}:{settings.port}: {exc}"
        _record_failure(db, pending, error)
        return {"sent": 0, "failed": len(pending), "pending": len(pending), "error": error}
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
                    failed += 1
                    continue
                email.status, email.sent_at = "sent", now
                email.attempts += 1
                email.last_error = None
                sent += 1
    return {"sent": sent, "failed": failed, "pending": len(pending) - sent, "error": error}


def _record_failure(db: Database, ids, error: str) -> None:
    with db.write() as session:
        for email in session.exec(select(OutboxEmail).where(OutboxEmail.id.in_(ids))):
            email.attempts += 1
            email.last_error = error
