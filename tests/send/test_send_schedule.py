"""Office hours in the recipient's time zone, with fixed clocks: Tokyo, Canberra and New York
(the action day arrives there first, last and in between)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from lettergen.errors import DataError
from lettergen.send.schedule import Backoff, Hours, Policy, zone_for

TOKYO = "+81335820000"
CANBERRA = "+61262733000"
NEW_YORK = "+12125551234"

# Friday 6 September 2002, 23:30 UTC: Saturday 08:30 in Tokyo, Saturday 09:30 in Canberra
# (winter there), Friday 19:30 in New York (daylight time).
FRIDAY_LATE = datetime(2002, 9, 6, 23, 30, tzinfo=UTC)


def test_zones_come_from_the_number_then_the_country() -> None:
    assert str(zone_for(TOKYO)) == "Asia/Tokyo"
    assert str(zone_for(CANBERRA)) == "Australia/Sydney"
    assert str(zone_for(NEW_YORK)) == "America/New_York"
    assert str(zone_for("not a number", "JP")) == "Asia/Tokyo"
    assert str(zone_for("+7717", "KZ")).startswith("Asia/")


def test_a_weekend_waits_for_monday_morning_in_each_zone() -> None:
    policy = Policy()
    # Tokyo: Monday 9 Sept 08:00 JST = Sunday 23:00 UTC.
    assert policy.due_at(TOKYO, "JP", None, FRIDAY_LATE) == datetime(2002, 9, 8, 23, 0, tzinfo=UTC)
    # Canberra: Monday 08:00 AEST (UTC+10) = Sunday 22:00 UTC.
    assert policy.due_at(CANBERRA, "AU", None, FRIDAY_LATE) == datetime(
        2002, 9, 8, 22, 0, tzinfo=UTC
    )
    # New York: Friday 19:30 is after hours; Monday 08:00 EDT = 12:00 UTC.
    assert policy.due_at(NEW_YORK, "US", None, FRIDAY_LATE) == datetime(
        2002, 9, 9, 12, 0, tzinfo=UTC
    )


def test_open_hours_send_now_and_the_window_follows_daylight_saving() -> None:
    policy = Policy()
    wednesday = datetime(2002, 9, 4, 1, 0, tzinfo=UTC)  # 10:00 Tokyo, 11:00 Canberra
    assert policy.due_at(TOKYO, "JP", None, wednesday) == wednesday
    assert policy.due_at(CANBERRA, "AU", None, wednesday) == wednesday
    assert policy.due_at(NEW_YORK, "US", None, wednesday) == datetime(2002, 9, 4, 12, 0, tzinfo=UTC)
    # In January New York keeps standard time: 08:00 EST = 13:00 UTC; Canberra summer time:
    # 08:00 AEDT = 21:00 UTC the day before.
    january = datetime(2003, 1, 8, 8, 0, tzinfo=UTC)  # 19:00 in Canberra, 03:00 in New York
    assert policy.due_at(NEW_YORK, "US", None, january) == datetime(2003, 1, 8, 13, 0, tzinfo=UTC)
    assert policy.due_at(CANBERRA, "AU", None, january) == datetime(2003, 1, 8, 21, 0, tzinfo=UTC)


def test_the_window_closes_at_its_end() -> None:
    hours = Hours()
    from zoneinfo import ZoneInfo

    tokyo = ZoneInfo("Asia/Tokyo")
    closing = datetime(2002, 9, 4, 18, 0, tzinfo=tokyo)
    assert hours.next_open(closing - timedelta(seconds=1), tokyo) == closing - timedelta(seconds=1)
    assert hours.next_open(closing, tokyo) == datetime(2002, 9, 5, 8, 0, tzinfo=tokyo)


def test_a_retry_waits_for_its_time_and_then_for_office_hours() -> None:
    policy = Policy()
    busy_until = datetime(2002, 9, 6, 8, 50, tzinfo=UTC)  # Friday 17:50 in Tokyo
    now = datetime(2002, 9, 6, 8, 30, tzinfo=UTC)
    assert policy.due_at(TOKYO, "JP", busy_until, now) == busy_until
    too_late = datetime(2002, 9, 6, 9, 10, tzinfo=UTC)  # 18:10 Tokyo: next Monday
    assert policy.due_at(TOKYO, "JP", too_late, now) == datetime(2002, 9, 8, 23, 0, tzinfo=UTC)


def test_now_overrides_the_window_but_not_the_backoff() -> None:
    policy = Policy(ignore_hours=True)
    assert policy.due_at(NEW_YORK, "US", None, FRIDAY_LATE) == FRIDAY_LATE
    later = FRIDAY_LATE + timedelta(minutes=20)
    assert policy.due_at(NEW_YORK, "US", later, FRIDAY_LATE) == later


def test_hours_and_days_parse_and_refuse_nonsense() -> None:
    hours = Hours.parse("09:30-17:00", "mon,wed,fri")
    assert (hours.start, hours.end, hours.days) == (time(9, 30), time(17), frozenset({0, 2, 4}))
    assert Hours.parse("00:00-24:00", "sat-mon").days == frozenset({5, 6, 0})
    for bad in ("9-17", "18:00-08:00", "25:00-26:00"):
        with pytest.raises(DataError, match="hours"):
            Hours.parse(bad)
    with pytest.raises(DataError, match="days"):
        Hours.parse("08:00-18:00", "weekdays")


def test_backoff_grows_by_its_factor_up_to_the_cap_and_the_last_try() -> None:
    backoff = Backoff()  # 20 min × 1.9ⁿ, capped at 24 h, 10 tries
    now = datetime(2002, 9, 6, tzinfo=UTC)
    assert backoff.delay(1) == timedelta(minutes=20)
    assert backoff.delay(2) == timedelta(minutes=38)
    assert backoff.delay(3) == timedelta(minutes=72.2)
    assert backoff.delay(9) == timedelta(hours=24)
    assert backoff.retry_at(9, now) == now + timedelta(hours=24)
    assert backoff.retry_at(10, now) is None
