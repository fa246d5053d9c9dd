"""How pressing a ticket is, in working days, as people read it in the inbox (DESIGN.md: Deadlines).

The clock that matters: the unit clock once a unit has the ticket, the office's platform
clock while it waits in triage. A reply submitted by the deadline is waiting on the office,
not late (DESIGN.md: Figures, 超期未办结).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from feedback.calendar.deadlines import overdue_workdays, workdays_left
from feedback.calendar.workdays import WorkCalendar
from feedback.figures import rules

SOON = 1  # one working day left or less: amber


@dataclass(frozen=True)
class Urgency:
    kind: str  # overdue | today | soon | ok | waiting | done
    days: int | None  # working days left, or late for "overdue"
    due_at: datetime | None
    clock: str | None  # "unit" | "platform"
    provisional: bool = False


def clock_of(ticket) -> tuple[str | None, datetime | None]:
    if ticket.unit_due_at is not None:
        return "unit", ticket.unit_due_at
    if ticket.state == "new":
        return "platform", ticket.platform_due_at
    return None, None


def urgency(ticket, at: datetime, calendar: WorkCalendar) -> Urgency:
    provisional = bool(ticket.deadline_provisional)
    if ticket.state in ("closed", "invalid"):
        return Urgency("done", None, ticket.unit_due_at, "unit", provisional)
    clock, due = clock_of(ticket)
    if due is None:
        return Urgency("done", None, None, None, provisional)
    if rules.awaiting_review_in_time(ticket.state, ticket.replied_at, due):
        return Urgency("waiting", None, due, clock, provisional)
    if rules.past_due(due, at):
        return Urgency("overdue", overdue_workdays(due, at, calendar), due, clock, provisional)
    left = workdays_left(due, at, calendar)
    kind = "today" if left == 0 else "soon" if left <= SOON else "ok"
    return Urgency(kind, left, due, clock, provisional)
