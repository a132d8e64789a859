"""The injectable clock: all "now" in the register comes from here, so tests can move time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def today(self) -> date:
        """Today's date in the Netherlands (dates in the register are Dutch dates)."""
        return self.now().astimezone(AMSTERDAM).date()


class FakeClock(SystemClock):
    """A clock that stands still until a test moves it."""

    def __init__(self, start: datetime | None = None):
        self.current = start or datetime(2026, 11, 27, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def set(self, when: datetime) -> None:
        self.current = when

    def advance(self, **delta) -> None:
        self.current = self.current + timedelta(**delta)


def clock() -> SystemClock:
    """The current app's clock."""
    return current_app.extensions["clock"]


def utcnow() -> datetime:
    return clock().now()


def aware(value: datetime | None) -> datetime | None:
    """A timestamp read back from the database, as UTC: SQLite hands back naive datetimes,
    and every timestamp the register stores is UTC."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)
