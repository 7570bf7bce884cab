"""The customer emails (the outbox): the outbox screen and `orderdesk outbox list` read
the same rows (`Email.as_dict()` is the CLI's JSON, ../shared/CONTRACT.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel import Session, select

from core import rules
from core.models import Order, OutboxEmail
from core.state import iso


@dataclass(frozen=True, slots=True)
class Email:
    id: int
    order_id: str
    cancellation_id: str | None
    message_id: str
    to: str
    subject: str
    body: str
    status: str  # rules.EMAIL_STATUSES
    attempts: int
    last_error: str | None
    next_attempt_at: datetime | None
    claimed_at: datetime | None
    created_at: datetime
    sent_at: datetime | None
    unknown: bool  # rules.email_unknown: `sending`, but its sender let go or vanished
    problem: str | None  # rules.email_problem: why it waits for a person, what to do

    @property
    def shown_status(self) -> str:
        """The status a person reads: `unknown` for a send nobody finished."""
        return "unknown" if self.unknown else self.status

    def as_dict(self) -> dict:
        return {"id": self.id, "order_id": self.order_id, "cancellation_id": self.cancellation_id,
                "message_id": self.message_id, "to": self.to, "subject": self.subject, "body": self.body,
                "status": self.status, "attempts": self.attempts, "last_error": self.last_error,
                "next_attempt_at": iso(self.next_attempt_at), "claimed_at": iso(self.claimed_at),
                "unknown": self.unknown, "problem": self.problem,
                "created_at": iso(self.created_at), "sent_at": iso(self.sent_at)}


def emails(session: Session, *, shop_id: int | None = None, status: str | None = None, limit: int = 200,
           now: datetime | None = None) -> list[Email]:
    """Emails newest first by when they were queued (`created_at`, the time of the
    cancellation that wrote them; then the newest row first), of one shop or all, judged
    at `now` (default: the real clock: email runs on it). Not by id: the demo's history,
    an import or a station with a fixed clock writes emails in another order than their
    times. Newest first because a person opens the outbox about what just happened."""
    now = now or datetime.now(UTC)
    query = select(OutboxEmail)
    if shop_id is not None:
        # `+ 0`: walk the emails and look each order up, rather than every order of the
        # shop first (SQLite's planner otherwise picks that)
        query = query.join(Order, Order.id == OutboxEmail.order_id).where((Order.shop_id + 0) == shop_id)
    if status:
        query = query.where(OutboxEmail.status == status)
    return [Email(e.id, e.order_id, e.cancellation_id, e.message_id, e.to_address, e.subject, e.body, e.status,
                  e.attempts, e.last_error, e.next_attempt_at, e.claimed_at, e.created_at, e.sent_at,
                  rules.email_unknown(e, now), rules.email_problem(e, now))
            for e in session.exec(query.order_by(OutboxEmail.created_at.desc(), OutboxEmail.id.desc()).limit(limit)).all()]
