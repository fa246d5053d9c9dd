"""The SQL time arithmetic of the figures equals the Python calendar's, on either database."""
from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feedback.calendar.workdays import WorkCalendar
from feedback.extensions import db
from feedback.figures import sql as fsql
from feedback.timeutil import LOCAL, UTCDateTime

FIRST, LAST = date(2025, 12, 1), date(2027, 3, 31)  # across a known year into an unknown one
days = st.integers(min_value=0, max_value=(LAST - FIRST).days).map(lambda n: FIRST + timedelta(days=n))
OVERRIDES = WorkCalendar({date(2026, 10, 12): False, date(2026, 10, 11): True, date(2027, 2, 8): False})


def scalar(expr):
    return db.session.execute(sa.select(expr)).scalar_one()


# the app fixture only provides a connection; nothing is written, so sharing it is safe
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(a=days, b=days)
def test_workdays_between_in_sql_matches_the_calendar(app, a, b):
    a, b = min(a, b), max(a, b)
    for cal in (WorkCalendar(), OVERRIDES):
        index = lambda d: fsql.workday_index(sa.literal(fsql.day_number(d)), cal, FIRST, LAST)  # noqa: E731
        assert scalar(index(b) - index(a)) == cal.workdays_between(a, b)[0], (a, b)


def test_local_day_of_a_utc_time_is_the_shanghai_date(app):
    for text, expected in [("2026-10-08T23:59:59+08:00", date(2026, 10, 8)),
                           # SQLite's date functions round a fraction to milliseconds: not this one
                           ("2026-10-08T23:59:59.999600+08:00", date(2026, 10, 8)),
                           ("2026-10-09T00:00:00+08:00", date(2026, 10, 9)),
                           ("2026-10-08T16:00:00+00:00", date(2026, 10, 9))]:
        t = sa.literal(datetime.fromisoformat(text), UTCDateTime())
        assert scalar(fsql.local_day_number(t)) == fsql.day_number(expected), text


def test_micros_between_is_the_span_python_computes(app):
    """The figures' handling times are (end - start) in whole microseconds, the value Python's
    timedelta gives, also for spans over months."""
    for start, seconds in itertools.product(
            (datetime(2026, 1, 3, 8, 0, 7, tzinfo=LOCAL), datetime(2026, 1, 3, 23, 59, 59, 999600, tzinfo=LOCAL)),
            (1, 3, 7, 3599, 44442, 86400 * 31 + 17, 86400 * 400 + 3 * 3600 + 59, 123456789, 0.0003)):
        end = start + timedelta(seconds=seconds)
        got = scalar(fsql.micros_between(sa.literal(start, UTCDateTime()), sa.literal(end, UTCDateTime())))
        assert got == (end - start) // timedelta(microseconds=1), seconds


def test_micros_between_and_iso_instants(app):
    start = sa.literal(datetime(2026, 10, 12, 9, tzinfo=LOCAL), UTCDateTime())
    end = sa.literal(datetime(2026, 10, 14, 10, 30, tzinfo=LOCAL), UTCDateTime())
    assert scalar(fsql.micros_between(start, end)) == 49.5 * fsql.MICROS_PER_HOUR  # 49.5 hours
    due = datetime(2026, 10, 15, 23, 59, 59, tzinfo=LOCAL)
    for text in (due.isoformat(), due.astimezone(datetime.now().astimezone().tzinfo).isoformat(),
                 "2026-10-15T15:59:59+00:00"):
        parsed = fsql.iso_instant(sa.literal(text))
        assert scalar(parsed == sa.literal(due, UTCDateTime())), text
        assert scalar(parsed < sa.literal(due + timedelta(seconds=1), UTCDateTime())), text
