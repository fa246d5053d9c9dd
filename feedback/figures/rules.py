"""The rules of the figures (DESIGN.md: Figures), each written here once as a SQLAlchemy
expression and once as plain Python over one ticket's values. Every path that judges a ticket —
the figures' cohort and rollups, the series, the inbox's overdue filter, the urgency badge, the
reminder sweep, the hand-back, the lifecycle's events, the bench's baseline — calls these;
tests/figures/test_rules.py holds the two spellings to each other. Migrations 0010 and 0013
keep frozen copies in their trigger text (a migration must not change when this module does);
they say which rule they mirror.

- on time (按期): the accepted reply was submitted by the deadline in force: replied_at <= due.
- past due (超期): the moment T is after the deadline: due < T (a deadline is the last
  microsecond of its day, so T = due is still in time).
- awaiting review in time: a reply submitted by the deadline and not yet decided is the office's
  wait, not the unit's lateness: such a ticket is pending, not overdue, however late T is.
- overdue now (超期未办结 at T, from the row as it stands): open, past due, and not awaiting
  review in time.
- platform clock: on time = closed by platform_due_at; overdue = open and past it.
- handling time: the unit's from assigned_at to the accepted reply, the office's from
  received_at to the close, in whole microseconds (exact sums: sql.micros_between).
- derived: late = closed − on_time; pending = received − closed − overdue_open; the rate
  on_time / (closed + overdue_open), undefined (None, shown "—") when that is 0.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from feedback.figures import sql as fsql
from feedback.tickets.models import Ticket

# the states in which a ticket waits on a unit or on the office's review
OPEN_WITH_UNIT = ("assigned", "in_progress", "replied")
MICROSECOND = timedelta(microseconds=1)


# --- on time: a reply by the deadline -----------------------------------------------------------

def replied_by_sql(replied_at, due_at):
    """SQL: the reply was submitted by the deadline (NULL either side: not true)."""
    return replied_at <= due_at


def replied_by(replied_at: datetime | None, due_at: datetime | None) -> bool:
    return replied_at is not None and due_at is not None and replied_at <= due_at


# --- past due: T after the deadline -------------------------------------------------------------

def past_due_sql(due_at, t):
    return due_at < t


def past_due(due_at: datetime | None, t: datetime) -> bool:
    return due_at is not None and due_at < t


def not_yet_due_sql(due_at, t):
    """The complement of past_due_sql for a set deadline, written as a range an index serves."""
    return due_at >= t


# --- overdue now, from the ticket row (the inbox, the glance, the sweep, urgency) ---------------

def awaiting_review_in_time_sql(state, replied_at, due_at):
    """Never NULL (a missing time is "no"), so that its negation in overdue_now_sql is exact."""
    return sa.and_(state == "replied", replied_at.is_not(None), due_at.is_not(None),
                   replied_by_sql(replied_at, due_at))


def awaiting_review_in_time(state: str, replied_at: datetime | None, due_at: datetime | None) -> bool:
    return state == "replied" and replied_by(replied_at, due_at)


def overdue_now_sql(at, ticket=Ticket):
    """Open with a unit, past the unit deadline, and not a reply in time awaiting review."""
    return sa.and_(
        ticket.state.in_(OPEN_WITH_UNIT),
        past_due_sql(ticket.unit_due_at, at),
        sa.not_(awaiting_review_in_time_sql(ticket.state, ticket.replied_at, ticket.unit_due_at)),
    )


def overdue_now(state: str, unit_due_at: datetime | None, replied_at: datetime | None, at: datetime) -> bool:
    return (state in OPEN_WITH_UNIT and past_due(unit_due_at, at)
            and not awaiting_review_in_time(state, replied_at, unit_due_at))


def on_time_flag_sql(replied_at=Ticket.replied_at, due_at=Ticket.unit_due_at):
    """1 when a closed ticket's accepted reply was by its deadline, else 0 (the rollups' on_time)."""
    return sa.case((replied_by_sql(replied_at, due_at), 1), else_=0)


# --- the platform clock (the office's own) ------------------------------------------------------

def platform_on_time_sql(closed_at, platform_due_at):
    return closed_at <= platform_due_at


def platform_on_time(closed_at: datetime | None, platform_due_at: datetime | None) -> bool:
    return closed_at is not None and platform_due_at is not None and closed_at <= platform_due_at


# --- handling time ------------------------------------------------------------------------------

def handling_micros_sql(start, end):
    """(end − start) in whole microseconds; the unit's: assigned_at → replied_at, the office's:
    received_at → closed_at."""
    return fsql.micros_between(start, end)


def handling_micros(start: datetime | None, end: datetime | None) -> int | None:
    if start is None or end is None:
        return None
    return (end - start) // MICROSECOND


# --- derived figures ----------------------------------------------------------------------------

def late(closed: int, on_time: int) -> int:
    return closed - on_time


def pending(received: int, closed: int, overdue_open: int) -> int:
    return received - closed - overdue_open


def on_time_rate(on_time: int, closed: int, overdue_open: int) -> float | None:
    denominator = closed + overdue_open
    return on_time / denominator if denominator else None


# --- one ticket as of T, from what was true at T ------------------------------------------------

def status_at(t: datetime, *, closed_at: datetime | None, replied_at: datetime | None, due_at: datetime | None,
              reply_in_time_awaiting: bool = False) -> str:
    """on_time | late | overdue_open | pending for a ticket of the cohort as of T. closed_at: when
    it was closed (None: not yet); replied_at: the accepted reply's time (for a closed ticket);
    due_at: the deadline in force at T (the final one for a closed ticket);
    reply_in_time_awaiting: at T a reply submitted by due_at was awaiting review."""
    if closed_at is not None and closed_at <= t:
        return "on_time" if replied_by(replied_at, due_at) else "late"
    if past_due(due_at, t) and not reply_in_time_awaiting:
        return "overdue_open"
    return "pending"


__all__ = [
    "OPEN_WITH_UNIT", "awaiting_review_in_time", "awaiting_review_in_time_sql", "handling_micros",
    "handling_micros_sql", "late", "on_time_flag_sql", "on_time_rate", "overdue_now", "overdue_now_sql",
    "not_yet_due_sql", "past_due", "past_due_sql", "pending", "platform_on_time", "platform_on_time_sql", "replied_by",
    "replied_by_sql", "status_at",
]
