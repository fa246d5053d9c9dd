"""Laws every deadline obeys, for any start time and calendar (hypothesis). Plain Python."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from feedback.calendar.deadlines import due_after, handling_workdays
from feedback.calendar.workdays import WorkCalendar
from feedback.timeutil import LOCAL, UTC, local_date

# Starts from 2025 (package data) across 2026 into 2027 (no data: weekend rule, provisional).
starts = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31),
                      timezones=st.just(UTC))
days_n = st.integers(min_value=1, max_value=40)
# Arbitrary loaded overrides (a holiday on any weekday, a make-up weekend day), including 2027.
overrides = st.dictionaries(st.dates(min_value=date(2025, 1, 1), max_value=date(2028, 3, 31)),
                            st.booleans(), max_size=25)


@settings(max_examples=300, deadline=None)
@given(t=starts, n=days_n, rows=overrides)
def test_a_deadline_is_the_last_second_of_a_working_day(t, n, rows):
    cal = WorkCalendar(rows)
    d = due_after(t, n, cal).at
    assert d.astimezone(LOCAL).timetz().replace(tzinfo=None) == time(23, 59, 59)
    assert cal.is_workday(local_date(d))
    assert d > t


@settings(max_examples=300, deadline=None)
@given(t=starts, later=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=20)),
       n=days_n, rows=overrides)
def test_a_later_start_never_gives_an_earlier_deadline(t, later, n, rows):
    cal = WorkCalendar(rows)
    assert due_after(t + later, n, cal).at >= due_after(t, n, cal).at


@settings(max_examples=300, deadline=None)
@given(t=starts, n=days_n, rows=overrides)
def test_one_more_day_is_strictly_later(t, n, rows):
    cal = WorkCalendar(rows)
    assert due_after(t, n + 1, cal).at > due_after(t, n, cal).at


@settings(max_examples=300, deadline=None)
@given(t=starts, n=days_n, rows=overrides)
def test_a_reply_at_the_deadline_took_exactly_n_working_days(t, n, rows):
    cal = WorkCalendar(rows)
    d = due_after(t, n, cal).at
    assert handling_workdays(t, d, cal) == n
    # and the day before the deadline's day had fewer than n
    assert handling_workdays(t, d - timedelta(days=1), cal) < n


@settings(max_examples=200, deadline=None)
@given(t=starts, n=days_n)
def test_provisional_exactly_when_an_unknown_year_lies_between_start_and_deadline(t, n):
    cal = WorkCalendar()
    d = due_after(t, n, cal)
    first, last = local_date(t) + timedelta(days=1), local_date(d.at)
    assert d.provisional == any(not cal.is_known_year(y) for y in range(first.year, last.year + 1))
