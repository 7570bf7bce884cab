"""What time it is: --now / $ORDERDESK_NOW, else the database's demo clock, else the real clock.

The demo database carries its own clock (the `clock` setting) so its deadlines and
hold windows stay meaningful whatever the date; `orderdesk clock advance` moves it.
A database without that setting (a real shop's) follows the real clock.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # parsing times needs no database: the app's first frame uses this module
    from sqlmodel import Session

CLOCK_KEY = "clock"


class BadTime(ValueError):
    pass


def parse_instant(text: str) -> datetime:
    """ISO 8601; a time without an offset is UTC."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise BadTime(f"{text!r} is not a time; use ISO 8601 such as 2026-11-20T09:30:00Z.") from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


_DURATION = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")


def parse_duration(text: str) -> timedelta:
    match = _DURATION.match(text)
    if not match:
        raise BadTime(f"{text!r} is not a duration; use a number and s, m, h or d, e.g. 90m or 2h.")
    n, unit = int(match[1]), match[2]
    return timedelta(**{{"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}[unit]: n})


def stored_clock(session: Session) -> datetime | None:
    from core.models import Setting

    setting = session.get(Setting, CLOCK_KEY)
    return parse_instant(setting.value) if setting else None


def set_stored_clock(session: Session, when: datetime) -> None:
    from core.models import Setting

    setting = session.get(Setting, CLOCK_KEY) or Setting(key=CLOCK_KEY, value="")
    setting.value = when.astimezone(UTC).isoformat()
    session.add(setting)


def current_time(session: Session | None = None, override: str | datetime | None = None) -> datetime:
    if isinstance(override, datetime):
        return override
    text = override or os.environ.get("ORDERDESK_NOW")
    if text:
        return parse_instant(text)
    if session is not None and (when := stored_clock(session)):
        return when
    return datetime.now(UTC)
