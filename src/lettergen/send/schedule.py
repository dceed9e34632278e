"""When a letter may go: the recipient's office hours and the backoff between attempts.

The scheduler only decides *when*; the ledger records what happened and the transports send.
Office hours are read in the time zone of the fax number (phonenumbers knows it for most
numbers), else of the office's country; a busy line is tried again after a capped exponential
backoff, and after the last allowed attempt the letter has failed.
"""

from __future__ import annotations

import contextlib
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from lettergen.errors import DataError

log = logging.getLogger(__name__)

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Hours:
    """A weekly sending window in the recipient's local time: [start, end) on `days`
    (0 = Monday)."""

    start: time = time(8, 0)
    end: time = time(18, 0)
    days: frozenset[int] = frozenset(range(5))

    @classmethod
    def parse(cls, hours: str = "08:00-18:00", days: str = "mon-fri") -> Hours:
        """ "08:00-18:00" and "mon-fri" (or "mon,wed,fri", or "mon-sun")."""
        found = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", hours)
        if not found:
            raise DataError(f"hours {hours!r} is not HH:MM-HH:MM", hint="e.g. 08:00-18:00")
        h1, m1, h2, m2 = (int(g) for g in found.groups())
        if not (h1 < 24 and h2 <= 24 and m1 < 60 and m2 < 60):
            raise DataError(f"hours {hours!r} is not a time of day")
        start, end = time(h1, m1), time(23, 59, 59) if h2 == 24 else time(h2, m2)
        if start >= end:
            raise DataError(f"hours {hours!r}: the window must end after it starts")
        chosen: set[int] = set()
        for part in days.lower().replace(" ", "").split(","):
            ends = part.split("-")
            if not all(e[:3] in DAYS for e in ends) or len(ends) > 2:
                raise DataError(f"days {days!r}: use mon, tue, … sun, e.g. mon-fri")
            first, last = DAYS.index(ends[0][:3]), DAYS.index(ends[-1][:3])
            chosen.update(
                range(first, last + 1) if first <= last else [*range(first, 7), *range(last + 1)]
            )
        return cls(start, end, frozenset(chosen))

    def is_open(self, local: datetime) -> bool:
        return local.weekday() in self.days and self.start <= local.time() < self.end

    def next_open(self, moment: datetime, zone: ZoneInfo) -> datetime:
        """`moment` if the window is open then, else when it next opens (aware, UTC)."""
        local = moment.astimezone(zone)
        if self.is_open(local):
            return moment.astimezone(UTC)
        for ahead in range(8):
            day = (local + timedelta(days=ahead)).date()
            opening = datetime.combine(day, self.start, zone)
            if day.weekday() in self.days and opening > local:
                return opening.astimezone(UTC)
        raise DataError("the sending window has no day in it")


@dataclass(frozen=True)
class Backoff:
    """Attempt n (1-based) failed transiently: try again after first × factorⁿ⁻¹, at most
    `cap`; after `attempts` tries the letter has failed."""

    first: timedelta = timedelta(minutes=20)
    factor: float = 1.9
    cap: timedelta = timedelta(hours=24)
    attempts: int = 10

    def delay(self, attempts: int) -> timedelta:
        return min(self.first * self.factor ** max(attempts - 1, 0), self.cap)

    def retry_at(self, attempts: int, now: datetime) -> datetime | None:
        """When to try again after `attempts` tries, or None: no tries left."""
        return None if attempts >= self.attempts else now + self.delay(attempts)


@dataclass(frozen=True)
class Policy:
    hours: Hours = Hours()
    backoff: Backoff = Backoff()
    ignore_hours: bool = False  # --now: send outside office hours (a test, an urgent appeal)

    def due_at(
        self, number: str, country: str, not_before: datetime | None, now: datetime
    ) -> datetime:
        """The first moment from `now` at which this letter may go."""
        earliest = max(now, not_before) if not_before else now
        if self.ignore_hours:
            return earliest
        return self.hours.next_open(earliest, zone_for(number, country))


@cache
def zone_for(number: str, country: str = "") -> ZoneInfo:
    """The time zone of a fax number (the first phonenumbers gives), else of `country`'s
    numbers, else UTC (with a warning: office hours then are a guess)."""
    import phonenumbers
    from phonenumbers import timezone

    candidates: tuple[str, ...] = ()
    with contextlib.suppress(phonenumbers.NumberParseException):
        candidates = timezone.time_zones_for_number(phonenumbers.parse(number))
    if not [c for c in candidates if c != "Etc/Unknown"] and country:
        example = phonenumbers.example_number(country.upper())
        if example is not None:
            candidates = timezone.time_zones_for_number(example)
    for name in candidates:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            continue
    log.warning("no time zone known for %s (%s): office hours are read in UTC", number, country)
    return ZoneInfo("UTC")
