"""Loading a year's schedule: store the days, recompute the deadlines they move, tell the units.

One transaction holds all three (the caller commits), so a load never leaves deadlines
computed on the old calendar or units untold.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from feedback.calendar.service import DayRow, current_calendar, store_days


@dataclass
class LoadOutcome:
    years: set[int]
    changed: list  # tickets whose deadlines or handling days changed
    units_told: int


def load_schedule(rows: list[DayRow], at: datetime) -> LoadOutcome:
    from feedback.notices.notify import notify_deadline_changes
    from feedback.tickets.refresh import recompute_provisional

    before = current_calendar()
    years = store_days(rows)
    after = current_calendar()
    moved = [r.date for r in rows if before.is_workday(r.date) != after.is_workday(r.date)]
    recomputed = recompute_provisional(after, at, changed_days=moved)
    told = notify_deadline_changes(recomputed.unit_deadline_moved, at)
    return LoadOutcome(years, recomputed.changed, told)


def after_load_committed(outcome: LoadOutcome, at: datetime) -> None:
    """Send the e-mails for the notices the load recorded (in the background)."""
    if outcome.units_told:
        from feedback.jobs.queue import enqueue
        from feedback.jobs.timing import job_at

        enqueue("workers.tasks.send_mail", job_at(at), queue_name="notify")
