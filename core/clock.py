"""What time it is: --now / $ORDERDESK_NOW, else the database's demo clock, else the real clock.

The demo database carries its own clock (the `clock` setting) so its deadlines and
hold windows stay meaningful whatever the date; `orderdesk clock advance` moves it.
A database without that setting (a real shop's) follows the real clock.

Every time the app accepts (--now, $ORDERDESK_NOW, --since, the stored clock, the
clock after `clock advance`) lies from EARLIEST to LATEST, and every duration
(`clock advance 2h`) is at most LONGEST. Decision (the spec is silent): 1970, the
Unix epoch, to the year 9000, and durations up to 100 years. That leaves about
1,000 years between LATEST and the end of Python's datetime (9999-12-31), so no
later arithmetic (hold windows, request deadlines, return windows, backoffs, all
far shorter) can overflow; a time outside is bad input (BadTime), never an
OverflowError.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from core.lazy import lazy_import

if TYPE_CHECKING:
    from sqlmodel import Session

models = lazy_import("core.models")  # parsing times needs no database: the app's first frame uses this module

CLOCK_KEY = "clock"
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)
LONGEST = timedelta(days=36_500)
_RANGE = f"from {EARLIEST:%Y-%m-%d} to {LATEST:%Y-%m-%d} (UTC)"


class BadTime(ValueError):
    pass


def _shown(text: str) -> str:
    """The user's text in a message, cut short: a message never grows with its input."""
    return repr(text if len(text) <= 40 else text[:40] + "...")


def as_utc(value: datetime) -> datetime:
    """The same instant in UTC; a time without an offset is UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def parse_instant(text: str) -> datetime:
    """ISO 8601 (or a date: its midnight); a time without an offset is UTC. The result
    is in UTC and between EARLIEST and LATEST."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise BadTime(f"{_shown(text)} is not a time; use ISO 8601 such as 2026-11-20T09:30:00Z.") from None
    try:
        value = as_utc(value)
    except OverflowError:  # year 1 or 9999 moved by its offset
        value = None
    if value is None or not EARLIEST <= value <= LATEST:
        raise BadTime(f"{_shown(text)} is out of range: orderdesk takes times {_RANGE}.")
    return value


_DURATION = re.compile(r"^\s*([0-9]+)\s*([smhd])\s*$")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86_400}


def parse_duration(text: str) -> timedelta:
    """A number and a unit (s, m, h, d), from 0 to LONGEST."""
    match = _DURATION.match(text)
    if not match:
        raise BadTime(f"{_shown(text)} is not a duration; use a number and s, m, h or d, e.g. 90m or 2h.")
    digits = match[1].lstrip("0") or "0"
    seconds = int(digits) * _SECONDS[match[2]] if len(digits) <= 20 else None  # int() of any length is slow
    if seconds is None or seconds > LONGEST.total_seconds():
        raise BadTime(f"{_shown(text)} is too long: a duration is at most {LONGEST.days:,}d (100 years).")
    return timedelta(seconds=seconds)


def advanced(when: datetime, by: timedelta) -> datetime:
    """`when` moved on by `by` (at most LONGEST), refused past LATEST."""
    later = when + by
    if later > LATEST:
        raise BadTime(f"That would move the clock to {later:%Y-%m-%d}, past {LATEST:%Y-%m-%d}: "
                      f"orderdesk takes times {_RANGE}.")
    return later


def stored_clock(session: Session) -> datetime | None:
    setting = session.get(models.Setting, CLOCK_KEY)
    return parse_instant(setting.value) if setting else None


def set_stored_clock(session: Session, when: datetime) -> None:
    setting = session.get(models.Setting, CLOCK_KEY) or models.Setting(key=CLOCK_KEY, value="")
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
