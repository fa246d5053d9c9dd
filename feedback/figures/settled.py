"""The closure figures of whole months from the settled counts plus the tickets still open at T.

For a period of whole months, closure() without percentiles and without the platform clock
(the dashboard's table) reads its rows here instead of every ticket of the period. The parts,
as in series.py (its docstring says why each is exact), but keyed by unit or region:

- settled: settled_month_counts (figures/models.py, kept by triggers) summed per key over the
  months: closed, on_time and the integer sums of the handling times (microseconds and working
  days, with how many tickets each);
- corrections: the settled tickets of the period not closed by T or not yet received at T,
  subtracted (at T = now, an empty range of ix_tickets_closed_at);
- live: the cohort's tickets not closed by T (cohort.cohort and cohort.flags, as closure() evaluates
  them), counted, and those overdue at T.

Per key: closed = settled − corrections (likewise on_time and the sums), received = closed +
live, overdue_open = the live part's overdue, and derive.clock_figures derives the rest from
the same integers closure()'s own query sums, so the figures are the same to the last digit
(tests/figures/test_settled.py compares them). The total is the rows' sum: every part is an
integer sum over tickets, and each ticket has one key.

The settled part reads one row per unit and month of settled_month_counts, the live part the
month's open tickets through the unsettled index, instead of every ticket of the month.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

import sqlalchemy as sa

from feedback.calendar.workdays import WorkCalendar
from feedback.directory.models import Unit
from feedback.accounts.scope import Scope
from feedback.figures import rules
from feedback.figures.cohort import (as_of_param, bound, cohort, execute, flags, key_expr, region_map, reuse,
                                     scope_shape)
from feedback.figures.derive import clock_figures
from feedback.figures.models import SettledMonthCount, settled_clause
from feedback.figures.results import Figures
from feedback.tickets.models import Ticket
from feedback.timeutil import start_of_local_day

# the integer parts of a key's figures, in this order in every part's rows
PARTS = ("closed", "on_time", "timed", "micros", "days_n", "days")


def whole_months(date_from: date, date_to: date) -> bool:
    """[date_from, date_to] is one or more whole calendar months."""
    return date_from.day == 1 and (date_to + timedelta(days=1)).day == 1 and date_from <= date_to


def figures_by_key(scope: Scope, date_from: date, date_to: date, as_of: datetime, key_kind: str,
                   calendar: WorkCalendar) -> dict:
    """Figures per unit id (key_kind "unit") or group head id ("region"), and the total under
    None; median, P90 and the platform clock left None. The period must be whole months."""
    if not whole_months(date_from, date_to):
        raise ValueError(f"not whole months: {date_from}..{date_to}")
    settled = settled_sums(scope, date_from, date_to, key_kind)
    corrected = corrections(scope, date_from, date_to, as_of, key_kind)
    live = live_counts(scope, date_from, date_to, as_of, key_kind, calendar)
    zero, none = (0,) * len(PARTS), (0, 0)
    out = {}
    for key in settled.keys() | corrected.keys() | live.keys():
        parts, minus = settled.get(key, zero), corrected.get(key)
        if minus is not None:  # (at T = now there are none: most keys skip the subtraction)
            parts = tuple([a - b for a, b in zip(parts, minus)])
        open_at_t, overdue = live.get(key, none)
        if parts[0] + open_at_t:  # a key with no ticket in the cohort has no row (closure()'s zeros)
            out[key] = _figures(parts, open_at_t, overdue)
    # the total: each part's column sums (each ticket has one key, so this is the keys' sum)
    parts = [a - b for a, b in zip(_column_sums(settled, len(PARTS)), _column_sums(corrected, len(PARTS)))]
    out[None] = _figures(parts, *_column_sums(live, 2))
    return out


def _prefix(parts: tuple) -> tuple:
    """`parts`, checked to be the first names of PARTS (the rows' positions stay PARTS')."""
    if tuple(parts) != PARTS[:len(parts)] or not parts:
        raise ValueError(f"parts: a prefix of {PARTS}, not {parts!r}")
    return tuple(parts)


def _column_sums(rows: dict, width: int) -> list[int]:
    return [sum(column) for column in zip(*rows.values())] if rows else [0] * width


def _figures(parts, open_at_t: int, overdue: int) -> Figures:
    closed, on_time, timed, micros, days_n, days = parts
    return clock_figures(closed + open_at_t, closed, on_time, overdue, micros, timed, days, days_n)


def _keyed(query, scope: Scope, unit_id, key_kind: str, month=None):
    """query (over a table with a unit id column) keyed by unit, group head or (key_kind "month")
    the `month` expression, within the scope."""
    if not scope.covers_all:
        query = query.join(Unit, Unit.id == unit_id).where(scope.unit_clause())
    if key_kind == "month":
        return query.add_columns(month.label("key")), month
    if key_kind == "unit":  # an expression: SQLite must not read all tickets in unit order to group
        key = (unit_id + 0).label(None)
        return query.add_columns(key.label("key")), key
    if key_kind == "region":
        heads = region_map(scope)
        query = query.join(heads, heads.c.unit_id == unit_id)
        return query.add_columns(heads.c.region_id.label("key")), heads.c.region_id
    raise ValueError(key_kind)


def _rows(query, params: dict | None = None) -> dict:
    """key (the last column) → the integer sums before it (ints: counts, and sums by _total), the
    rows in one fetch (iterating the result fetches them one at a time)."""
    return {row[-1]: row[:-1] for row in execute(query, params).all()}


def _total(value):
    """sum(value) as a whole number, 0 over no value: a bigint, not the numeric PostgreSQL sums
    bigints into (a Decimal each in Python), so that _rows takes the rows as they come."""
    return sa.cast(sa.func.coalesce(sa.func.sum(value), 0), sa.BigInteger)


def settled_sums(scope: Scope, date_from: date, date_to: date, key_kind: str, parts: tuple = PARTS) -> dict:
    """key → `parts` (a prefix of PARTS) summed from settled_month_counts over the months of
    [date_from, date_to] (key_kind "month": the first day of each month)."""
    s = SettledMonthCount
    query = sa.select(*(_total(getattr(s, name)) for name in _prefix(parts))).select_from(s)
    query, key = _keyed(query, scope, s.unit_id, key_kind, month=s.month)
    last_month = date_to.replace(day=1)
    return _rows(query.where(s.month >= date_from, s.month <= last_month).group_by(key))


def corrections(scope: Scope, date_from: date, date_to: date, as_of: datetime, key_kind: str,
                months: list[date] | None = None, parts: tuple = PARTS) -> dict:
    """key → `parts` (a prefix of PARTS) of the settled tickets of the period counted in
    settled_sums that are not closed-and-received by T (key_kind "month" with `months`: the
    series' month index)."""
    t = as_of_param(as_of)
    micros = rules.handling_micros_sql(Ticket.assigned_at, Ticket.replied_at)
    columns = (sa.func.count(), _total(rules.on_time_flag_sql()), sa.func.count(micros), _total(micros),
               sa.func.count(Ticket.handling_workdays), _total(Ticket.handling_workdays))  # PARTS' order
    query = sa.select(*columns[:len(_prefix(parts))]).select_from(Ticket)
    query, key = _keyed(query, scope, Ticket.unit_id, key_kind,
                        month=key_expr(scope, "month", months)[0] if key_kind == "month" else None)
    query = query.where(settled_clause()).group_by(key)
    start, end = start_of_local_day(date_from), start_of_local_day(date_to + timedelta(days=1))
    # two index ranges, not one OR that reads the whole period: closed after T (at T = now an
    # empty range of ix_tickets_closed_at: the period's bounds are kept out of the index choice,
    # or SQLite reads the whole period through ix_tickets_received_at), and closed by T but
    # received after it
    received = sa.func.coalesce(Ticket.received_at, Ticket.received_at)
    closed_later = _rows(query.where(Ticket.closed_at > t, received >= start, received < end))
    lower = Ticket.received_at > t if as_of >= start else Ticket.received_at >= start  # one lower bound
    received_later = {} if as_of >= end else _rows(query.where(lower, Ticket.received_at < end,
                                                               Ticket.closed_at <= t))
    for k, parts in received_later.items():
        before = closed_later.get(k)
        closed_later[k] = parts if before is None else tuple(a + b for a, b in zip(before, parts))
    return closed_later


def live_counts(scope: Scope, date_from: date, date_to: date, as_of: datetime, key_kind: str,
                calendar: WorkCalendar, months: list[date] | None = None) -> dict:
    """key → (received, overdue_open) of the cohort's tickets not closed by T: never closed
    (closed_at IS NULL: the partial index) or closed after T (closed_at > T: the closed_at index),
    as two cohorts so that each reads its own index; cohort.flags decides overdue over both as
    closure() does. key_kind as cohort.key_expr ("month" with `months`: the series' month index)."""
    def build():
        t = as_of_param(as_of)
        never = cohort(scope, date_from, date_to, as_of, key_kind, months, extra=Ticket.closed_at.is_(None))
        later = cohort(scope, date_from, date_to, as_of, key_kind, months, extra=Ticket.closed_at > t,
                       by_received=False)
        both = sa.union_all(sa.select(never), sa.select(later)).subquery("cohort")
        f = flags(both, as_of, calendar, date_from, overdue_only=True).c  # no working days: no calendar
        return sa.select(sa.func.count(), _total(f.overdue), f.key).group_by(f.key)

    query = reuse(("live", scope_shape(scope), key_kind, tuple(months or ())), build)
    return _rows(query, bound(as_of, date_from, date_to))


__all__ = ["corrections", "figures_by_key", "live_counts", "settled_sums", "whole_months"]
