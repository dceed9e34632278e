"""The time, always aware and in UTC: the one clock the ledger, the supporter page and their
tests share (tests pass their own `clock`)."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)
