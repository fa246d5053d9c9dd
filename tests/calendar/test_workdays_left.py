"""Working days left until a deadline (the inbox's "剩 N 个工作日")."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feedback.calendar.deadlines import due_after, workdays_left
from feedback.calendar.workdays import WorkCalendar
from feedback.timeutil import LOCAL

CAL = WorkCalendar()


def t(s: str) -> datetime:
    return datetime.fromisoformat(s).replace(tzinfo=LOCAL)


def test_counts_the_working_days_after_today_up_to_the_deadline_day():
    due = t("2026-11-27T23:59:59")  # Friday
    assert workdays_left(due, t("2026-11-24T10:00"), CAL) == 3  # Tue → Wed, Thu, Fri
    assert workdays_left(due, t("2026-11-26T18:00"), CAL) == 1  # Thu → Fri
    assert workdays_left(due, t("2026-11-27T09:00"), CAL) == 0  # due today


def test_holidays_and_make_up_days_follow_the_calendar():
    # DESIGN.md example: due Sat 2026-10-10, a make-up workday after the National Day week.
    due = t("2026-10-10T23:59:59")
    assert workdays_left(due, t("2026-09-30T15:00"), CAL) == 3  # Oct 8, Oct 9, Oct 10
    assert workdays_left(due, t("2026-10-03T12:00"), CAL) == 3  # the holiday does not count down
    assert workdays_left(due, t("2026-10-09T12:00"), CAL) == 1


def test_a_weekend_before_a_monday_deadline_leaves_one_day():
    due = t("2026-11-30T23:59:59")  # Monday
    assert workdays_left(due, t("2026-11-27T10:00"), CAL) == 1  # Fri: Sat, Sun do not count
    assert workdays_left(due, t("2026-11-28T10:00"), CAL) == 1  # Sat


def test_after_the_deadline_it_refuses_and_points_to_overdue_workdays():
    with pytest.raises(ValueError, match="overdue_workdays"):
        workdays_left(t("2026-11-27T23:59:59"), t("2026-11-28T00:00"), CAL)


@settings(max_examples=200, deadline=None)
@given(start=st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2027, 12, 1)),
       n=st.integers(min_value=1, max_value=25))
def test_a_deadline_n_working_days_away_has_n_left(start, n):
    at = start.replace(tzinfo=LOCAL)
    due = due_after(at, n, CAL).at
    assert workdays_left(due, at, CAL) == n
    assert workdays_left(due, due, CAL) == 0
    assert workdays_left(due, due - timedelta(days=1), CAL) in (0, 1)
