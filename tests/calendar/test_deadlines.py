"""Deadline arithmetic at the edges naive weekday code gets wrong (DESIGN.md: Deadlines).

Plain Python: no app, no database. Working days of 2026 come from the chinese_calendar
package; 2027 is not in it (1.11 stops at 2026).
"""
from __future__ import annotations

from datetime import date, datetime

import pytest

from feedback.calendar.deadlines import due_after, handling_workdays, overdue_workdays
from feedback.calendar.workdays import DEFAULT, WorkCalendar
from feedback.timeutil import LOCAL, UTC


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=LOCAL)


def due(t: datetime, n: int, cal: WorkCalendar = DEFAULT) -> str:
    return due_after(t, n, cal).at.isoformat()


def test_design_example_counts_the_make_up_saturday():
    # Wed 30 Sep 15:00, N=3: Oct 1–7 National Day holiday, then Thu Oct 8, Fri Oct 9,
    # Sat Oct 10 (调休 make-up workday) → the 3rd working day is Saturday the 10th.
    d = due_after(local("2026-09-30T15:00"), 3, DEFAULT)
    assert d.at.isoformat() == "2026-10-10T23:59:59+08:00"
    assert d.provisional is False


def test_a_sunday_after_the_make_up_saturday_is_still_a_day_off():
    # N=4 from the same time: Oct 8, 9, 10, then Sun Oct 11 is off → Mon Oct 12
    assert due(local("2026-09-30T15:00"), 4) == "2026-10-12T23:59:59+08:00"


def test_a_holiday_week_is_skipped_whole():
    # Forwarded Tue 29 Sep, N=1: Wed Sep 30 is a working day → due Sep 30.
    assert due(local("2026-09-29T09:00"), 1) == "2026-09-30T23:59:59+08:00"
    # N=2: Sep 30, then Oct 1–7 are holidays → Thu Oct 8.
    assert due(local("2026-09-29T09:00"), 2) == "2026-10-08T23:59:59+08:00"


def test_a_forward_on_a_holiday_evening_counts_from_the_next_working_day():
    # Forwarded Sat 3 Oct 21:30 (National Day holiday), N=1 → Thu Oct 8; N=3 → Sat Oct 10.
    assert due(local("2026-10-03T21:30"), 1) == "2026-10-08T23:59:59+08:00"
    assert due(local("2026-10-03T21:30"), 3) == "2026-10-10T23:59:59+08:00"


def test_a_forward_on_the_make_up_saturday_counts_from_that_day_like_any_working_day():
    # Sat Oct 10 is a working day; the count starts strictly after it: Mon Oct 12.
    assert due(local("2026-10-10T10:00"), 1) == "2026-10-12T23:59:59+08:00"


def test_23_59_and_00_01_local_are_different_days():
    # Thu 8 Oct 23:59 local: N=1 → Fri Oct 9. Two minutes later (Fri 00:01): N=1 → Sat Oct 10 (make-up).
    assert due(local("2026-10-08T23:59"), 1) == "2026-10-09T23:59:59+08:00"
    assert due(local("2026-10-09T00:01"), 1) == "2026-10-10T23:59:59+08:00"


def test_the_local_date_decides_not_the_utc_date():
    # 2026-10-09T16:30Z is Sat Oct 10 00:30 in Asia/Shanghai: counting starts after Oct 10,
    # so N=1 → Mon Oct 12 (a UTC-date implementation would say Sat Oct 10).
    t = datetime(2026, 10, 9, 16, 30, tzinfo=UTC)
    assert due(t, 1) == "2026-10-12T23:59:59+08:00"
    # 15:59Z is still Fri Oct 9 23:59 local → N=1 is Sat Oct 10.
    assert due(datetime(2026, 10, 9, 15, 59, tzinfo=UTC), 1) == "2026-10-10T23:59:59+08:00"


def test_naive_times_are_refused():
    with pytest.raises(ValueError):
        due_after(datetime(2026, 10, 9, 12, 0), 1, DEFAULT)


def test_n_must_be_positive():
    with pytest.raises(ValueError):
        due_after(local("2026-10-09T12:00"), 0, DEFAULT)


class TestTurnOfTheYear:
    """2027 has no data in the package: weekends only, and provisional."""

    def test_a_deadline_in_an_unknown_year_uses_the_weekend_rule_and_is_provisional(self):
        # Wed 30 Dec 2026, N=3: Thu Dec 31 (2026, known), Fri Jan 1 (weekend rule: working),
        # Mon Jan 4 → due Jan 4, provisional.
        d = due_after(local("2026-12-30T15:00"), 3, DEFAULT)
        assert d.at.isoformat() == "2027-01-04T23:59:59+08:00"
        assert d.provisional is True

    def test_a_deadline_inside_the_known_year_is_not_provisional(self):
        # Wed 30 Dec, N=1 → Thu Dec 31, never looked at 2027
        d = due_after(local("2026-12-30T15:00"), 1, DEFAULT)
        assert d.at.isoformat() == "2026-12-31T23:59:59+08:00" and d.provisional is False

    def test_loading_the_year_moves_the_deadline_and_makes_it_final(self):
        # The published 2027 schedule: Jan 1 a holiday → Dec 31, Jan 4, Jan 5.
        cal = WorkCalendar({date(2027, 1, 1): False})
        d = due_after(local("2026-12-30T15:00"), 3, cal)
        assert d.at.isoformat() == "2027-01-05T23:59:59+08:00"
        assert d.provisional is False

    def test_a_loaded_make_up_sunday_counts(self):
        cal = WorkCalendar({date(2027, 1, 1): False, date(2027, 1, 3): True})
        # Dec 31, (Jan 1 off, Sat Jan 2 off) Sun Jan 3 make-up, Mon Jan 4
        assert due(local("2026-12-30T15:00"), 3, cal) == "2027-01-04T23:59:59+08:00"

    def test_new_years_eve_at_the_utc_boundary(self):
        # 2026-12-31T16:30Z is Fri 1 Jan 2027 00:30 local: the count starts after Jan 1.
        d = due_after(datetime(2026, 12, 31, 16, 30, tzinfo=UTC), 1, DEFAULT)
        assert d.at.isoformat() == "2027-01-04T23:59:59+08:00" and d.provisional is True


class TestHandlingWorkdays:
    def test_a_reply_on_the_assignment_day_is_zero(self):
        assert handling_workdays(local("2026-10-08T09:00"), local("2026-10-08T17:00"), DEFAULT) == 0

    def test_counts_working_days_after_assignment_up_to_the_reply_day(self):
        # assigned Wed Sep 30; reply Sat Oct 10 (make-up): Oct 8, 9, 10 → 3
        assert handling_workdays(local("2026-09-30T15:00"), local("2026-10-10T11:00"), DEFAULT) == 3
        # reply Sun Oct 11 (a day off) is still 3
        assert handling_workdays(local("2026-09-30T15:00"), local("2026-10-11T11:00"), DEFAULT) == 3

    def test_a_reply_at_the_deadline_is_exactly_n(self):
        assigned = local("2026-09-30T15:00")
        deadline = due_after(assigned, 3, DEFAULT).at
        assert handling_workdays(assigned, deadline, DEFAULT) == 3

    def test_a_reply_on_a_day_off_after_the_deadline_is_late_yet_counts_n_days(self):
        # N=2 from Thu Oct 8: Oct 9, Sat Oct 10 → due Oct 10; a reply on Sun Oct 11 counts
        # still 2 working days, yet comes after unit_due_at. On time compares times, not counts.
        assigned = local("2026-10-08T10:00")
        deadline = due_after(assigned, 2, DEFAULT).at
        reply = local("2026-10-11T10:00")
        assert deadline.isoformat() == "2026-10-10T23:59:59+08:00"
        assert handling_workdays(assigned, reply, DEFAULT) == 2 and reply > deadline
        assert overdue_workdays(deadline, reply, DEFAULT) == 1

    def test_the_local_date_decides(self):
        # assigned Oct 8 23:30 local (15:30Z); reply 2026-10-09T16:30Z = Oct 10 00:30 local:
        # Oct 9, Oct 10 → 2 (UTC dates would give Oct 8 → Oct 9 = 1)
        assigned = datetime(2026, 10, 8, 15, 30, tzinfo=UTC)
        reply = datetime(2026, 10, 9, 16, 30, tzinfo=UTC)
        assert handling_workdays(assigned, reply, DEFAULT) == 2

    def test_across_the_turn_of_the_year(self):
        # assigned Wed Dec 30; reply Tue Jan 5: Dec 31, Jan 1 (weekend rule), Jan 4, Jan 5 → 4;
        # with Jan 1 loaded as a holiday → 3
        assigned, reply = local("2026-12-30T10:00"), local("2027-01-05T10:00")
        assert handling_workdays(assigned, reply, DEFAULT) == 4
        assert handling_workdays(assigned, reply, WorkCalendar({date(2027, 1, 1): False})) == 3


class TestOverdueWorkdays:
    def test_not_overdue_up_to_the_last_second(self):
        deadline = local("2026-10-10T23:59:59")
        assert overdue_workdays(deadline, deadline, DEFAULT) == 0

    def test_working_days_past_the_deadline(self):
        deadline = local("2026-10-10T23:59:59")
        # Sun Oct 11: late, but no working day has passed → counted as 1
        assert overdue_workdays(deadline, local("2026-10-11T09:00"), DEFAULT) == 1
        # Wed Oct 14: Oct 12, 13, 14 → 3
        assert overdue_workdays(deadline, local("2026-10-14T09:00"), DEFAULT) == 3
