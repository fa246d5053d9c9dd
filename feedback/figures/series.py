"""The dashboard's monthly chart from settled counts plus the tickets still open at T.

monthly_series() here gives, for each month, the same received, closed, on_time, late,
overdue_open, pending and on_time_rate as closure() for that month as of T (see closure.py's
docstring for the definitions), without reading every closed ticket of the year:

- settled part (settled.settled_sums, keyed by month; the dashboard's table keys the same sums
  by unit): settled_month_counts (figures/models.py, kept by triggers in the writers'
  transactions) summed over the scope's units and the months: every ticket with closed_at set,
  state <> 'invalid' and a unit — closed and on time as of any T from its close on;
- corrections (settled.corrections, likewise shared): those of them not closed by T
  (closed_at > T: open at T, so they join the live part) or not yet received at T
  (received_at > T, possible only in data with closed_at < received_at), subtracted from
  closed and on_time;
- live part (settled.live_counts, shared with the dashboard's table): the cohort
  (cohort.cohort, the same scope, months and received_at <= T) of tickets not closed by T —
  closed_at IS NULL, or closed_at > T — with cohort.flags deciding overdue at T (deadline in
  force at T, replies awaiting review at T) exactly as closure() does.

So received = settled − corrections + live, closed = settled − corrections, on_time likewise,
overdue_open = the live part's overdue, pending = received − closed − overdue_open. The hour and
working-day averages, median, P90 and the platform figures are left None: the chart shows none
of them.

The settled part is an index-only range scan of settled_month_counts' primary key over the
scope's units; the live part an index-only scan of ix_tickets_unsettled_received_at (partial:
closed_at IS NULL AND state <> 'invalid'); corrections and the closed-after-T cohort are empty
ranges of ix_tickets_closed_at at T = now. Both grow with T further in the past.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from feedback.accounts.scope import Actor, Scope, resolve_scope
from feedback.calendar.service import current_calendar
from feedback.calendar.workdays import WorkCalendar
from feedback.errors import InputError
from feedback.figures.closure import add_months
from feedback.figures.derive import clock_figures
from feedback.figures.results import MonthPoint
from feedback.figures.cohort import fetch_together
from feedback.figures.settled import (corrections_statements, keyed, live_statement, settled_statement,
                                      summed_by_key)
from feedback.timeutil import assume_local, local_date


def monthly_series(actor: Actor, as_of: datetime, *, months: int = 12, unit_code: str | None = None,
                   calendar: WorkCalendar | None = None, scope: Scope | None = None) -> list[MonthPoint]:
    """Each of the `months` months up to as_of's month, its cohort as of `as_of`: the figures of
    closure() for that month, the averages, median, P90 and platform figures left out (None).
    scope: resolve_scope(actor, unit_code) when the caller already has it (closure()'s too)."""
    if not 1 <= months <= 120:
        raise InputError({"months": "a whole number from 1 to 120"})
    as_of = assume_local(as_of)
    last = local_date(as_of).replace(day=1)
    starts = [add_months(last, i - months + 1) for i in range(months)]
    ends = [add_months(m, 1) - timedelta(days=1) for m in starts]
    return _series(actor, as_of, unit_code, calendar, starts, ends, scope)


def _series(actor: Actor, as_of: datetime, unit_code: str | None, calendar: WorkCalendar | None,
            starts: list, ends: list, scope: Scope | None) -> list[MonthPoint]:
    calendar = calendar or current_calendar()
    scope = scope or resolve_scope(actor, unit_code)  # kept per process while units are unchanged

    index = {m: i for i, m in enumerate(starts)}
    # the chart shows no handling times: closed and on_time alone (PostgreSQL sums a bigint as a
    # numeric, the slowest part of the settled sums)
    wanted = ("closed", "on_time")
    # the three parts in one round trip, all grouped by month (few groups: planned without sorts)
    fixes = corrections_statements(scope, starts[0], ends[-1], as_of, "month", months=starts, parts=wanted)
    settled_rows, *fix_rows, live_rows = fetch_together([
        settled_statement(scope, starts[0], ends[-1], "month", wanted), *fixes,
        live_statement(scope, starts[0], ends[-1], as_of, "month", calendar, months=starts)], hashed=True)
    settled = {index[month]: parts for month, parts in keyed(settled_rows).items()}
    corrected = summed_by_key(fix_rows)
    live = keyed(live_rows)
    points = []
    for i, (month, end) in enumerate(zip(starts, ends)):
        closed, on_time = (a - b for a, b in zip(settled.get(i, (0, 0)), corrected.get(i, (0, 0))))
        open_at_t, overdue = live.get(i, (0, 0))
        # no handling-time sums (the chart shows none): the means stay None
        figures = clock_figures(closed + open_at_t, closed, on_time, overdue, 0, 0, 0, 0)
        points.append(MonthPoint(month, month, end, figures))
    return points


__all__ = ["monthly_series"]
