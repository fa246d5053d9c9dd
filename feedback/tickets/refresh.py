"""Recomputing deadlines after the calendar changed (DESIGN.md: Deadlines).

A deadline that reached into a year without a published schedule was computed on the
weekend rule and flagged `deadline_provisional`; once that year is loaded it is recomputed.
Each ticket whose figures move gets one `recompute-deadline` event with the old and new
values, in the caller's transaction, so every figure stays reproducible from the events: its
own deadlines and handling days, and under `handoffs` each level's clock that moved.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from feedback.calendar.deadlines import handling_workdays
from feedback.calendar.workdays import WorkCalendar
from feedback.extensions import db
from feedback.tickets import clocks, handoffs
from feedback.tickets.handoffs import HandOff
from feedback.tickets.models import Ticket, TicketEvent
from feedback.timeutil import iso, start_of_local_day

ACTION = "recompute-deadline"
FIGURES = ("unit_due_at", "platform_due_at", "handling_workdays")  # a change of one writes the event
HANDOFFS = "handoffs"  # the event's list of the levels' clocks that moved, as decide-extension's


@dataclass
class Recomputed:
    changed: list[Ticket] = field(default_factory=list)  # figures moved: one event each
    # of those, the ones whose own deadline moved: news for the unit. A move of the platform's
    # clock or of a level above is not the unit's deadline (and a provisional mark that a load
    # confirms is no change at all)
    unit_deadline_moved: list[Ticket] = field(default_factory=list)


def recompute_provisional(calendar: WorkCalendar, at: datetime,
                          changed_days: Iterable[date] = ()) -> Recomputed:
    """Recompute the clocks of every provisional ticket, and of every ticket whose clocks or
    handling time span one of `changed_days` (days whose working status a load changed: a
    correction to a known year, or a newly loaded year's holidays, which also reach closed
    tickets that were never provisional). Returns the tickets whose figures changed, and those
    whose own deadline did.

    Does not commit: the calendar change, the tickets and their events are one transaction.
    """
    # a level's clock (a county's, say) can be provisional, or span a changed day, while the
    # ticket's own clocks are not and do not: it started earlier, and an extension may carry it
    # past the platform deadline
    where = sa.or_(Ticket.deadline_provisional.is_(True), _handoffs_where(HandOff.provisional.is_(True)))
    spans = _runs(sorted(set(changed_days)))
    if spans:
        where = sa.or_(where, *(_spans_days(lo, hi) for lo, hi in spans))
    tickets = db.session.execute(sa.select(Ticket).where(where).order_by(Ticket.id)).scalars().all()
    out = Recomputed()
    for ticket in tickets:
        data = _recompute(ticket, calendar)
        if HANDOFFS in data or any(name in data for name in FIGURES):
            db.session.add(TicketEvent(
                ticket_id=ticket.id, at=at, actor_id=None, actor="system", action=ACTION,
                from_state=ticket.state, to_state=ticket.state, unit_id=ticket.unit_id, data=data))
            out.changed.append(ticket)
        if "unit_due_at" in data:
            out.unit_deadline_moved.append(ticket)
    db.session.flush()
    return out


def _recompute(ticket: Ticket, calendar: WorkCalendar) -> dict:
    """Recompute in place; returns {field: {"old": …, "new": …}} for what changed."""
    before = _values(ticket)
    levels = handoffs.recompute(ticket, calendar)  # every level's clock, not only the unit's own
    clocks.recompute(ticket, calendar)
    if ticket.handling_workdays is not None and ticket.assigned_at and ticket.replied_at:
        ticket.handling_workdays = handling_workdays(ticket.assigned_at, ticket.replied_at, calendar)
    after = _values(ticket)
    data = {name: {"old": _json(before[name]), "new": _json(after[name])}
            for name in before if before[name] != after[name]}
    if levels:  # a level's deadline is a figure too (the county's row reads its clock)
        data[HANDOFFS] = [{"id": h.id, "old_due_at": _json(old), "new_due_at": _json(h.due_at)} for h, old in levels]
    return data


def _values(ticket: Ticket) -> dict:
    return {"unit_due_at": ticket.unit_due_at, "platform_due_at": ticket.platform_due_at,
            "handling_workdays": ticket.handling_workdays, "deadline_provisional": ticket.deadline_provisional}


def _json(value):
    return iso(value) if isinstance(value, datetime) else value


def _runs(days: list[date]) -> list[tuple[date, date]]:
    """Consecutive days merged: a holiday week is one range, not seven."""
    runs: list[tuple[date, date]] = []
    for day in days:
        if runs and runs[-1][1] + timedelta(days=1) == day:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def _spans_days(lo: date, hi: date):
    """True when a ticket's counted days — the days after a clock's start up to its deadline,
    or after assignment up to the reply — include a day in [lo, hi]."""
    first, after_last = start_of_local_day(lo), start_of_local_day(hi)

    def span(start, end):
        # days (local_date(start), local_date(end)] meet [lo, hi] ⇔ end's date >= lo and start's date < hi
        return sa.and_(start.is_not(None), end.is_not(None), end >= first, start < after_last)

    return sa.or_(span(Ticket.received_at, Ticket.platform_due_at),
                  span(Ticket.assigned_at, Ticket.unit_due_at),
                  span(Ticket.assigned_at, Ticket.replied_at),
                  _handoffs_where(span(HandOff.at, HandOff.due_at)))


def _handoffs_where(condition):
    """The ticket has a hand-off (a level's clock, current or not) meeting `condition`."""
    return sa.exists().where(HandOff.ticket_id == Ticket.id, condition)
