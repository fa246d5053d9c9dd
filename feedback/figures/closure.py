"""The closure figures (DESIGN.md: Figures), defined once, computed by SQL aggregates.

Dashboard, exports and the API all read them from here.

Definitions, for a period [date_from, date_to] (inclusive local dates) evaluated as of T:

- cohort: valid tickets (state != invalid) with received_at in [date_from 00:00, date_to+1 00:00)
  Asia/Shanghai and received_at <= T, attributed to their responsible unit = the last assignee
  (Ticket.unit_id). A ticket marked invalid or duplicate is excluded whenever it was marked:
  invalidity is a fact about the message, not a step in handling it.
- received = |cohort|.
- closed = closed_at <= T. on_time = closed and replied_at <= unit_due_at (replied_at of a closed
  ticket is the accepted reply; unit_due_at includes approved extensions). late = closed - on_time.
- overdue_open = not closed by T and T > the unit deadline in force at T, except a reply submitted
  by that deadline and awaiting review at T, which is pending (the unit did its part in time).
  pending = the other open ones. So received = closed + overdue_open + pending.
- on_time_rate = on_time / (closed + overdue_open); None when that is 0 (shown as "—").
- handling time over closed tickets: replied_at - assigned_at in hours (mean, and median and P90
  by linear interpolation between the closest ranks, in integers), and in working days: the stored
  Ticket.handling_workdays, set at approval with the deadline calendar (mean). The mean hours
  are exact: whole microseconds summed as integers, divided and rounded once (mean_hours), so
  a mean of exactly x.xx5 rounds up however the database adds the times.
- platform (the office's own clock): the same cohort with platform_due_at and closed_at: on time =
  closed_at <= platform_due_at; overdue_open = open at T and T > platform_due_at (no review
  exception: the office is the reviewer); handling time = closed_at - received_at, its working
  days counted like deadlines (working days after the received local date up to and including
  the closed local date) in SQL from the same calendar.

As of a past T. The ticket row holds the latest state; these corners are reconstructed:
- closed after T → open at T (closed_at is set once, so this is exact);
- a reply submitted by T but rejected after T, or a later reply after a rejection: whether a reply
  was awaiting review at T is read from the reply/reject TicketEvents (exact);
- an extension approved after T: the deadline in force at T is the old deadline recorded in the
  decide-extension event (exact).
These are approximated from the current row (documented, not reconstructed):
- the responsible unit is the *current* last assignee. A ticket returned and reassigned after T
  counts for its new unit with the new unit's clock (so at T, before that clock started, it is
  pending); a ticket returned after T and still in triage has no unit and is in no row;
- likewise a level's clock is the *current* hand-off covering that level: a region's clock
  restarted after T (the ticket left the region and came back) counts from its new start, so at
  T it is pending; a unit's clock started after T by a move inside a region (the county
  forwarding after T) is pending in that unit's own row, while the region's row, on the clock
  that was running at T, is exact;
- a deadline recomputed by a later calendar load is used as recomputed.
An extension approved after T is exact on every clock: the decide-extension event lists each
hand-off it moved with its old deadline.
With T = now (the dashboard, the default) every figure is exact.

Which clock (DESIGN.md: Figures, "Which clock a row uses"; cohort.py CLOCK_KINDS): a unit's own
row (group="unit") its own clock, Ticket.assigned_at / unit_due_at (the deepest current hand-off);
a group="region" row the current hand-off covering the group head's depth (tickets/handoffs.py:
the hand-off that brought the ticket into the region's subtree), its start as the handling
time's start, its deadline after the extensions that moved it. The root's own group (本级: the
root and the departments directly under it) reads each department's own clock and, for what
the root itself holds, the root's. The rules are figures/rules.py's either way; the cohort
chooses which start and deadline columns they read.

Rows. `unit_code` (or, without it, the caller's own unit; the system actor: the single top unit)
is the report's root; scope comes from accounts/scope.py (a unit staff member's scope is their
own unit only). group="unit": one row per unit in the root's subtree — every unit, zero rows
included — each row counting the tickets of that unit alone. group="region": one row per group
head: the root (holding itself and the non-region units directly under it and their subtrees,
e.g. 市直部门) and each region/office directly under the root (holding its whole subtree).
Rows are ordered so each region's units come together: the root's own group first, then each
region by code, each group in tree order (parents before children, siblings by code). The
total (合计) counts each ticket of the root's subtree once, on the clock of its row in the
requested grouping (= the sum of the rows' counts), and never a ticket without a unit.

`office`: the root's own figure on its own clock, every valid ticket beneath it, 未分派
included — the top office's on the platform clock (with the tickets in triage when the caller's
scope holds triage), a region's on the hand-off into it. `unassigned` (未分派, an integer): the
top office's tickets without a unit (0 for a caller whose scope has no triage); below it, the
tickets returned into the root's own triage (unit = the root, state new; they are in the
root's own row too, since they are with the root on its clock).

Entry points: closure() (rows and total; a region's 小计 with its own median comes from
group="region", as medians do not add up) and overdue_details() (the 超期明细 lines, streamed).
The parts stand apart: the rules (figures/rules.py), the report's units (accounts/scope.py),
the cohort SQL (figures/cohort.py), the rollups (figures/settled.py, figures/models.py), the
derivation of figures from sums (figures/derive.py) and the result types (figures/results.py).
Figures are computed fresh on every call; nothing derived from the data is kept between
requests (cohort.reuse keeps the SQL statements, which T and the period are bound into).
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

import sqlalchemy as sa

from feedback.accounts.scope import Actor, Scope, UnitRef, resolve_scope
from feedback.calendar.deadlines import overdue_workdays
from feedback.calendar.service import current_calendar
from feedback.calendar.workdays import WorkCalendar
from feedback.directory.models import Unit
from feedback.errors import InputError
from feedback.figures import cohort, settled
from feedback.figures.derive import clock_figures, exact_mean, mean_hours, to_figures
from feedback.figures.results import ClosureReport, Figures, MonthPoint, OverdueItem, Row, figures_json, root_is_top
from feedback.tickets.models import Ticket
from feedback.timeutil import assume_local, local_date

GROUPS = ("unit", "region")


def _check(date_from: date, date_to: date, as_of: datetime, group: str = "unit") -> datetime:
    if group not in GROUPS:
        raise InputError({"group": "unit or region"})
    if date_to < date_from:
        raise InputError({"to": f"must be on or after from ({date_from.isoformat()})"})
    return assume_local(as_of)


def closure(actor: Actor, date_from: date, date_to: date, as_of: datetime, *, unit_code: str | None = None,
            group: str = "unit", calendar: WorkCalendar | None = None, scope: Scope | None = None,
            percentiles: bool = True, platform: bool = True, via: str = "auto", office: bool = True,
            json_rows: bool = False) -> ClosureReport:
    """The closure figures per unit (or per region) and in total; see the module docstring.
    scope: resolve_scope(actor, unit_code) when the caller already has it (a page that needs it twice).
    percentiles=False: median and P90 left None; platform=False: no platform-clock figures (None).
    A table that does not show them skips their work: without both, a period of whole months is
    read from the settled counts (figures/settled.py, the same figures; the top office's own
    figure too, when the scope is the whole tree). via="cohort" or
    "settled" picks the way (the tests compare them). json_rows: the rows are to be written as
    JSON (ClosureReport.to_json(encoded_rows=True)): each row's is written as its figures are
    derived, while the database still computes the next. Computed fresh on every call."""
    as_of = _check(date_from, date_to, as_of, group)
    if via not in ("auto", "cohort", "settled"):
        raise ValueError(f"via: auto, cohort or settled, not {via!r}")
    return _closure(actor, date_from, date_to, as_of, unit_code, group, calendar, scope, percentiles, platform, via,
                    office, json_rows)


def _closure(actor: Actor, date_from: date, date_to: date, as_of: datetime, unit_code: str | None, group: str,
             calendar: WorkCalendar | None, scope: Scope | None, percentiles: bool, platform: bool,
             via: str, office: bool, json_rows: bool) -> ClosureReport:
    calendar = calendar or current_calendar()
    scope = scope or resolve_scope(actor, unit_code)
    clock = cohort.UNIT_CLOCK if group == "unit" else cohort.HEAD_CLOCK
    if via == "auto":
        # the settled counts hold whole months of counts and sums: no percentiles, and the
        # platform clock for the top office's own figure alone
        via = "settled" if (not percentiles and not platform and settled.whole_months(date_from, date_to)) \
            else "cohort"
    # the top office's own figure is the platform clock over the same cohort plus what waits in
    # triage: its sums come from this query's total and a small query of the tickets without a
    # unit, not a second pass over the period
    top_office = office and via == "cohort" and is_top(scope)
    # the whole tree's own figure on the platform clock: from its own settled counts, the open
    # tickets read once with the rows' (no percentiles on this way)
    settled_office = office and via == "settled" and is_top(scope) and scope.covers_all
    own = None
    # a row's JSON by its key, when every row comes from the statement as it is shown (each
    # group's platform clock only when asked for: the top office's own figure reads the total's)
    encoded: dict | None = {} if json_rows and via == "cohort" else None
    write = None if encoded is None else (lambda key, figures: encoded.__setitem__(key, figures_json(figures)))
    unassigned = None
    if via == "settled":
        by_key, own, unassigned = settled.report(scope, date_from, date_to, as_of, group, calendar, clock,
                                                 office=settled_office)
    else:
        sums = cohort.sums_by_key(scope, date_from, date_to, as_of, group, calendar, percentiles=percentiles,
                                  platform=platform or (cohort.PLATFORM_TOTAL if top_office else False),
                                  with_total=True, clock=clock, each=write)
        by_key = dict(sums.figures)  # closure's own: the total is taken out of it below
    total = by_key.pop(None, None) or Figures.zero()
    if not platform:
        for figures in (total, *by_key.values()):
            figures.platform = None
    # the rows of units without a ticket share one zero (a province has thousands; rows are read,
    # never changed, and ClosureReport.to_json writes a shared Figures once)
    zero = Figures.zero()
    if not platform:
        zero.platform = None
    # the rows are made from these when read (ClosureReport.rows); the API writes them without
    members, region_of = (scope.units, scope.region_of) if group == "unit" else (scope.heads, None)
    if top_office:
        own, unassigned = _top_office(scope, sums, date_from, date_to, as_of, calendar, percentiles)
    else:
        if unassigned is None:
            unassigned = _unassigned(scope, date_from, date_to, as_of)
        if office and own is None:
            own = office_figures(scope, date_from, date_to, as_of, calendar, percentiles=percentiles)
    return ClosureReport(date_from, date_to, as_of, group, scope.root, members, region_of, by_key, zero, total,
                         unassigned, own, encoded)


def _top_office(scope: Scope, sums: cohort.Sums, date_from: date, date_to: date, as_of: datetime,
                calendar: WorkCalendar, percentiles: bool) -> tuple[Figures, int]:
    """The top office's `office` and 未分派 from the report's own sums: its cohort is the report's
    (every ticket with a unit in the scope; the platform clock is the same whatever the row's
    clock) plus, when the scope holds triage, the tickets without a unit. Received, closed and
    every platform sum add exactly. A median or P90 does not add: it is the report's own while
    no ticket without a unit is closed by T (handling times are over closed tickets only, so the
    two closed sets are the same); otherwise office_figures counts the whole cohort again."""
    total = sums.rows.get(None) or cohort.add_sums(())
    if not scope.includes_triage:
        return to_figures(total, 0, rounded=sums.rounded).platform, 0
    extra = cohort.sums_by_key(scope, date_from, date_to, as_of, None, calendar, percentiles=False, platform=True,
                               with_unassigned=cohort.UNASSIGNED_ONLY).rows[None]
    unassigned, closed = int(extra[0] or 0), int(extra[1] or 0)
    if closed and percentiles:  # a closed ticket without a unit (imported so): count them all
        return office_figures(scope, date_from, date_to, as_of, calendar, percentiles=True), unassigned
    added = cohort.add_sums((total, extra))
    # the percentiles: the report's own (the closed sets are the same, or none was asked for)
    both = tuple(total[i] if added[i] is None else added[i] for i in range(len(added)))
    return to_figures(both, 0, rounded=sums.rounded).platform, unassigned


def is_top(scope: Scope) -> bool:
    """The report's root is a top office (or the system's forest of them): its own clock is the
    platform clock."""
    return root_is_top(scope.root)


def office_figures(scope: Scope, date_from: date, date_to: date, as_of: datetime, calendar: WorkCalendar, *,
                   percentiles: bool = True) -> Figures:
    """`office`: the report's root on its own clock, every valid ticket beneath it, 未分派 included
    (DESIGN.md: Figures). The top office: the platform clock, with the tickets in triage when the
    caller's scope holds triage. Below it: the hand-off that brought each ticket into the root's
    subtree (what the level above publishes about it); the tickets in its own triage have a unit
    (the root) and that clock running, so they are in the cohort already."""
    if is_top(scope):
        by_key = cohort.figures_by_key(scope, date_from, date_to, as_of, None, calendar, percentiles=percentiles,
                                       platform=True, with_unassigned=scope.includes_triage)
        figures = (by_key.get(None) or Figures.zero()).platform
    else:
        by_key = cohort.figures_by_key(scope, date_from, date_to, as_of, None, calendar, percentiles=percentiles,
                                       platform=False, clock=cohort.ROOT_CLOCK)
        figures = by_key.get(None) or Figures.zero()
    figures.platform = None
    return figures


def _unassigned(scope: Scope, date_from: date, date_to: date, as_of: datetime) -> int:
    """未分派 (cohort.unassigned_statement)."""
    statement = cohort.unassigned_statement(scope, is_top(scope), as_of, date_from, date_to)
    return 0 if statement is None else cohort.fetch_all(*statement)[0][0]


def add_months(d: date, n: int) -> date:
    index = d.year * 12 + d.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def overdue_details(actor: Actor, date_from: date, date_to: date, as_of: datetime, unit_code: str | None = None,
                    *, calendar: WorkCalendar | None = None, batch: int = 500) -> Iterator[OverdueItem]:
    """The cohort's late-closed and overdue-open tickets as of T, streamed in batches
    (for the 超期明细 sheet), ordered by unit code and received time. Same flags as closure()."""
    as_of = _check(date_from, date_to, as_of)
    calendar = calendar or current_calendar()
    scope = resolve_scope(actor, unit_code)
    flags = cohort.flags(cohort.cohort(scope, date_from, date_to, as_of, None), as_of, calendar, date_from)
    f = flags.c
    query = (
        sa.select(f.ticket_id, Ticket.platform_id, Unit.code, Unit.name, f.received_at, f.due_at, f.replied_at,
                  f.closed_at, f.state, f.closed, f.late)
        .select_from(flags).join(Ticket, Ticket.id == f.ticket_id).join(Unit, Unit.id == Ticket.unit_id)
        .where(sa.or_(f.late == 1, f.overdue == 1))
        .order_by(Unit.code, f.received_at, Ticket.platform_id)
    )
    known: dict[tuple[datetime, date], int] = {}

    def days_late(due: datetime, end: datetime) -> int:
        # these tickets are all past their deadline, so only the end's local date matters:
        # many share a deadline and a reply date, and counting days is a loop
        key = (due, local_date(end))
        if key not in known:
            known[key] = overdue_workdays(due, end, calendar)
        return known[key]

    for row in cohort.execute(query, stream=batch):
        late = row.late == 1
        replied_at = row.replied_at if row.replied_at is not None and row.replied_at <= as_of else None
        end = row.replied_at if late else as_of
        yield OverdueItem(
            ticket_id=row.ticket_id, platform_id=row.platform_id, unit_code=row.code, unit_name=row.name,
            received_at=row.received_at, unit_due_at=row.due_at, replied_at=replied_at,
            closed_at=row.closed_at if row.closed == 1 else None, state=row.state,
            status="late" if late else "overdue_open",
            overdue_workdays=days_late(row.due_at, end),
        )


__all__ = [
    "Figures", "UnitRef", "Row", "ClosureReport", "MonthPoint", "OverdueItem", "Scope",
    "add_months", "closure", "overdue_details", "resolve_scope",
    # derive.py's, for callers that import them from here
    "clock_figures", "exact_mean", "mean_hours",
]
