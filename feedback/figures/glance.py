"""The dashboard's at-a-glance counts: what needs someone now, in the caller's scope.

- overdue now: the inbox's overdue filter (tickets/listing.overdue_clause), i.e. 超期未办结 at
  this moment with the same review exception as the figures;
- due today / due on the next working day: waiting on the unit (assigned, in progress) with the
  unit deadline later today / at the end of the next working day (deadlines fall at the end of
  working days, so the buckets do not overlap and nothing is due on a day off);
- awaiting triage (state new) and awaiting review (state replied).
One query with conditional counts over the scope's open tickets; the same scan counts the
menu's queues (tickets/triage.queue_columns), which the page then need not count again.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from feedback.accounts.scope import Actor
from feedback.calendar.workdays import WorkCalendar
from feedback.figures import rules
from feedback.figures.cohort import fetch_all, reuse
from feedback.accounts.scope import resolve_scope
from feedback.tickets.listing import overdue_clause
from feedback.tickets.models import Ticket, is_open
from feedback.tickets.triage import QUEUES, open_in_scope, queue_columns
from feedback.timeutil import UTCDateTime, end_of_local_day, local_date


@dataclass(frozen=True)
class Glance:
    overdue: int  # 已超期
    due_today: int  # 今日到期
    due_next_workday: int  # 下一工作日到期
    awaiting_triage: int  # 待分派
    awaiting_review: int  # 待审核
    queues: dict[str, int] = field(default_factory=dict, compare=False)  # triage.queue_counts' answer


def at_a_glance(actor: Actor, at: datetime, calendar: WorkCalendar) -> Glance:
    """When the actor's scope holds every ticket there is (resolve_scope(actor).covers_all: the
    top office of a single tree, the resolved tree kept per process), no scope test runs per
    open ticket: the scan of the open tickets is the whole cost."""
    everything = resolve_scope(actor).covers_all
    today = local_date(at)
    values = {"at": at, "end_today": end_of_local_day(today),
              "end_next": end_of_local_day(calendar.nth_workday_after(today, 1)[0])}

    def build():
        # by name, not by the order of `values`' keys
        now, end_today, end_next = (sa.bindparam(name, type_=UTCDateTime())
                                    for name in ("at", "end_today", "end_next"))
        with_unit = Ticket.state.in_(("assigned", "in_progress"))

        def count(condition):  # count(*) FILTER: no CASE and no sum per open ticket
            return sa.func.count().filter(condition)

        return sa.select(
            count(overdue_clause(now)),
            count(sa.and_(with_unit, rules.not_yet_due_sql(Ticket.unit_due_at, now), Ticket.unit_due_at <= end_today)),
            count(sa.and_(with_unit, Ticket.unit_due_at > end_today, Ticket.unit_due_at <= end_next)),
            count(Ticket.state == "new"),
            count(Ticket.state == "replied"),
            *queue_columns(actor),
        ).where(is_open() if everything else open_in_scope(actor))

    # the same SQL for every view of this caller: the times are its values
    query = reuse(("glance", actor.role, actor.unit_id, actor.unit_path, everything), build)
    figures = [int(n or 0) for n in fetch_all(query, values)[0]]
    return Glance(*figures[:5], queues=dict(zip(QUEUES, figures[5:])))
