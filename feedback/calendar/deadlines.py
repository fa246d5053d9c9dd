"""Deadline arithmetic (DESIGN.md: Deadlines — Counting).

N working days after time t = the end (23:59:59 Asia/Shanghai) of the Nth working day
strictly after t's local date.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from feedback.calendar.workdays import WorkCalendar
from feedback.timeutil import end_of_local_day, local_date


@dataclass(frozen=True)
class Deadline:
    at: datetime
    provisional: bool


def due_after(t: datetime, n: int, calendar: WorkCalendar) -> Deadline:
    if t.tzinfo is None:
        raise ValueError("deadline start must be an aware datetime")
    day, provisional = calendar.nth_workday_after(local_date(t), n)
    return Deadline(end_of_local_day(day), provisional)


def handling_workdays(assigned_at: datetime, replied_at: datetime, calendar: WorkCalendar) -> int:
    """Working days after the assignment's local date up to and including the reply's local date,
    so a reply is on time exactly when this is <= N (DESIGN.md: Figures)."""
    count, _ = calendar.workdays_between(local_date(assigned_at), local_date(replied_at))
    return count


def overdue_workdays(due_at: datetime, at: datetime, calendar: WorkCalendar) -> int:
    """Working days late: 0 when `at` is on or before the deadline."""
    from feedback.figures import rules  # the overdue test's home; imported late: it needs the models

    if not rules.past_due(due_at, at):
        return 0
    count, _ = calendar.workdays_between(local_date(due_at), local_date(at))
    return max(count, 1)


def workdays_left(due_at: datetime, at: datetime, calendar: WorkCalendar) -> int:
    """Working days after `at`'s local date up to and including the deadline's local date, so
    0 means the deadline is today. Only for `at` on or before the deadline; after it, see
    overdue_workdays. A ticket due N working days after t has N left at t."""
    if at > due_at:
        raise ValueError("the deadline has passed: use overdue_workdays")
    count, _ = calendar.workdays_between(local_date(at), local_date(due_at))
    return count
