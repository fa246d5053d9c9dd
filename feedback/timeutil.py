"""Time conventions (DESIGN.md: times are stored in UTC, shown in Asia/Shanghai)."""
from __future__ import annotations

from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app, has_app_context

LOCAL = ZoneInfo("Asia/Shanghai")
UTC = timezone.utc


def now() -> datetime:
    """The current time, aware. Tests inject a clock through app.config['CLOCK']."""
    if has_app_context():
        clock = current_app.config.get("CLOCK")
        if clock is not None:
            return clock()
    return datetime.now(UTC)


def local_date(t: datetime) -> date:
    return t.astimezone(LOCAL).date()


def end_of_local_day(d: date) -> datetime:
    return datetime.combine(d, time(23, 59, 59), tzinfo=LOCAL)


def start_of_local_day(d: date) -> datetime:
    return datetime.combine(d, time(0, 0, 0), tzinfo=LOCAL)


def assume_local(t: datetime) -> datetime:
    """A time without an offset in a file or CLI flag is Asia/Shanghai (CONTRACT.md)."""
    return t.replace(tzinfo=LOCAL) if t.tzinfo is None else t


# The years a person, a file or a URL may ask about: wider than any real ticket, narrow enough
# that date arithmetic (a quarter's last day, a cut-off's local day, a deadline, a time zone
# shift) never leaves what datetime and the databases hold. Every parser of outside input
# refuses a date outside them with an error naming its field.
FIRST_YEAR, LAST_YEAR = 2000, 2100
MAX_PAGE = 10**6  # a page number beyond this is refused (its OFFSET would overflow)


def in_supported_years(value) -> bool:
    return FIRST_YEAR <= value.year <= LAST_YEAR


def iso(t: datetime | None) -> str | None:
    """ISO 8601 with the +08:00 offset, as the office reads it."""
    if t is None:
        return None
    return t.astimezone(LOCAL).isoformat()


class UTCDateTime(sa.types.TypeDecorator):
    """Aware datetimes in Python, naive UTC in the database (same on SQLite and PostgreSQL)."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC)
