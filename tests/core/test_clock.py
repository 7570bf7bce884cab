"""core.clock: one bounded range for every time and duration the app accepts, so no later
arithmetic overflows (issue 13, class 5)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.clock import EARLIEST, LATEST, LONGEST, BadTime, advanced, parse_duration, parse_instant
from core.outbox import MAX_BACKOFF, backoff


@pytest.mark.parametrize("text, expected", [
    ("1970-01-01T00:00:00Z", EARLIEST),
    ("9000-01-01T00:00:00Z", LATEST),
    ("2026-11-20", datetime(2026, 11, 20, tzinfo=UTC)),
    ("2026-11-20T09:30:00+05:30", datetime(2026, 11, 20, 4, 0, tzinfo=UTC)),
    ("1970-01-01T05:00:00+05:00", EARLIEST),
])
def test_times_in_range_are_read_as_utc(text, expected):
    assert parse_instant(text) == expected


@pytest.mark.parametrize("text", [
    "9999-12-31T23:59:59-12:00",  # past datetime's end once in UTC
    "0001-01-01T00:00:00+14:00",  # before its start once in UTC
    "1969-12-31T23:59:59Z", "9000-01-01T00:00:01Z", "1970-01-01T00:00:00+00:01",
])
def test_times_out_of_range_are_bad_time_that_says_the_range(text):
    with pytest.raises(BadTime, match="from 1970-01-01 to 9000-01-01"):
        parse_instant(text)


@pytest.mark.parametrize("text, expected", [
    ("90m", timedelta(minutes=90)), ("2h", timedelta(hours=2)), ("0s", timedelta(0)),
    (" 36500d ", LONGEST), ("000001d", timedelta(days=1)),
])
def test_durations(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["36501d", "3000000d", "876001h", "99999999999999999999999d", "9" * 5000 + "s"])
def test_durations_too_long_are_bad_time_that_says_the_longest(text):
    with pytest.raises(BadTime, match="at most 36,500d"):
        parse_duration(text)


@pytest.mark.parametrize("text", ["", "-1h", "1.5h", "2w", "١٠h", "h", "x" * 100_000])
def test_what_is_not_a_duration_says_how_to_write_one(text):
    with pytest.raises(BadTime, match="use a number and s, m, h or d") as refused:
        parse_duration(text)
    assert len(str(refused.value)) < 200  # the message does not grow with the input


def test_the_clock_is_not_advanced_past_the_last_time():
    assert advanced(LATEST - timedelta(days=1), timedelta(days=1)) == LATEST
    with pytest.raises(BadTime, match="past 9000-01-01"):
        advanced(LATEST - timedelta(days=1), timedelta(days=2))


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(st.text(max_size=40) | st.datetimes().map(datetime.isoformat)
       | st.builds(lambda d, h: f"{d.isoformat()}{h:+03d}:00", st.datetimes(), st.integers(-23, 23)),
       st.from_regex(r"[0-9]{1,14}[smhd]", fullmatch=True) | st.text(max_size=12))
def test_whatever_is_typed_a_time_is_in_range_or_bad_time_and_arithmetic_stays_in_range(instant, duration):
    """Any accepted time, moved by any accepted duration either way, stays a datetime."""
    try:
        when = parse_instant(instant)
    except BadTime:
        return
    assert EARLIEST <= when <= LATEST
    try:
        by = parse_duration(duration)
    except BadTime:
        by = LONGEST
    assert when - by <= when <= when + by  # no OverflowError


@pytest.mark.parametrize("attempts", [0, 1, 7, 43, 1000, 10**9])
def test_an_email_failing_for_days_waits_at_most_an_hour_and_never_overflows(attempts):
    """The 43rd failed try used to double 30 s past timedelta's range (OverflowError)."""
    assert timedelta(0) < backoff(attempts) <= MAX_BACKOFF
