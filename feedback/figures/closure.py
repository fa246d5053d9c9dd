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
  by linear interpolation as PostgreSQL's percentile_cont), and in working days: the stored
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
- a deadline recomputed by a later calendar load is used as recomputed.
With T = now (the dashboard, the default) every figure is exact.

Rows. `unit_code` (or, without it, the caller's own unit; the system actor: the single top unit)
is the report's root; scope comes from accounts/scope.py (a unit staff member's scope is their
own unit only). group="unit": one row per unit in the root's subtree — every unit, zero rows
included — each row counting the tickets of that unit alone. group="region": one row per group
head: the root (holding itself and the non-region units directly under it and their subtrees,
e.g. 市直部门) and each region/office directly under the root (holding its whole subtree).
Rows are ordered so each region's units come together: the root's own group first, then each
region by code, each group in tree order (parents before children, siblings by code). The
total counts each ticket of the root's subtree once (= the sum of the rows' counts).

Tickets without a unit (in triage) belong to no unit's cohort: they are in no row and not in the
total; `unassigned` reports how many valid ones were received in the period (only to callers
whose scope includes triage: the top office and the system).

Entry points: closure() (rows and total; a region's 小计 with its own median comes from
group="region", as medians do not add up), overdue_details() (the 超期明细 lines, streamed), resolve_scope() (the units and
their group heads, without figures).

One query gives the rows and the total. On PostgreSQL it is a single pass: percentile_cont and
GROUP BY ROLLUP(key). SQLite has neither, so it ranks by window functions (the same linear
interpolation in integer arithmetic) and totals in a second query. Both run the same cohort and
flags layers, and the suite runs on both. As-of corrections read only the events after T, as
joins, so a cohort's cost does not grow with its history (1M tickets: a province month in ~50 ms).
"""
from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from feedback.accounts.scope import Actor, unit_ids_clause
from feedback.calendar.deadlines import overdue_workdays
from feedback.calendar.service import current_calendar
from feedback.calendar.workdays import WorkCalendar
from feedback.directory.models import Unit, UnitsVersion
from feedback.errors import InputError
from feedback.extensions import db
from feedback.figures import sql as fsql
from feedback.tickets.models import Ticket, TicketEvent
from feedback.timeutil import UTCDateTime, assume_local, iso, local_date, start_of_local_day

GROUPS = ("unit", "region")
QUANTUM = Decimal("0.01")  # hours and working days to two decimals (36 seconds)


# --- results ---------------------------------------------------------------------------------

@dataclass
class Figures:
    """FIGURES of CONTRACT.md (exactly these keys), plus the office's platform-clock figures."""

    received: int = 0  # 收到留言数
    closed: int = 0  # 办结数
    on_time: int = 0  # 按期办结数
    late: int = 0  # 超期办结数
    overdue_open: int = 0  # 超期未办结数
    pending: int = 0  # 办理中
    on_time_rate: float | None = None  # 按期办结率, None when closed + overdue_open == 0
    avg_handling_hours: float | None = None  # 平均办理时长(小时)
    median_handling_hours: float | None = None
    p90_handling_hours: float | None = None
    avg_handling_workdays: float | None = None  # 平均办理时长(工作日)
    platform: "Figures | None" = None

    KEYS = ("received", "closed", "on_time", "late", "overdue_open", "pending", "on_time_rate",
            "avg_handling_hours", "median_handling_hours", "p90_handling_hours", "avg_handling_workdays")

    @classmethod
    def zero(cls) -> "Figures":
        return cls(platform=cls())

    @property
    def below_target(self) -> bool:
        """Below 100% on time (an undefined rate is not below anything)."""
        return self.on_time_rate is not None and self.on_time_rate < 1

    def to_json(self) -> dict:
        out = dict(self.__dict__)  # the fields, in KEYS order (a 5,000-unit table calls this 10,000 times)
        platform = out.pop("platform")
        if platform is not None:
            out["platform"] = platform.to_json()
        return out


@dataclass(frozen=True)
class UnitRef:
    id: int
    code: str
    name: str
    parent_code: str | None
    kind: str
    depth: int
    path: str

    def to_json(self) -> dict:
        return {"code": self.code, "name": self.name, "parent_code": self.parent_code}


@dataclass
class Row:
    unit: UnitRef
    region: UnitRef  # the group head the unit belongs to (itself for group="region" rows)
    figures: Figures

    def to_json(self) -> dict:
        out = self.figures.to_json()
        out["unit"] = self.unit.to_json()
        out["region"] = {"code": self.region.code, "name": self.region.name}
        return out


@dataclass
class ClosureReport:
    date_from: date
    date_to: date
    as_of: datetime
    group: str
    root: UnitRef | None
    rows: list[Row]
    total: Figures
    unassigned: int | None = None  # valid tickets received in the period still in triage

    def to_json(self) -> dict:
        """The body of GET /api/v1/metrics/closure (CONTRACT.md), plus group/unit/unassigned."""
        return {
            "from": self.date_from.isoformat(),
            "to": self.date_to.isoformat(),
            "as_of": iso(self.as_of),
            "group": self.group,
            "unit": self.root.to_json() if self.root else None,
            "rows": [row.to_json() for row in self.rows],
            "total": self.total.to_json(),
            "unassigned": self.unassigned,
        }


@dataclass
class MonthPoint:
    month: date  # first day of the month
    date_from: date
    date_to: date
    figures: Figures


@dataclass
class OverdueItem:
    """One line of the 超期明细 sheet: a late-closed or overdue-open ticket as of T."""

    ticket_id: int
    platform_id: str
    unit_code: str
    unit_name: str
    received_at: datetime
    unit_due_at: datetime  # the deadline in force at T
    replied_at: datetime | None  # the reply submitted by T (the accepted one when closed)
    closed_at: datetime | None  # when closed by T
    state: str  # the ticket's current state
    status: str  # late (超期办结) | overdue_open (超期未办结)
    overdue_workdays: int  # working days past the deadline: to the reply (late) or to T (open)


# --- scope: which units, which rows ------------------------------------------------------------

@dataclass
class Scope:
    actor: Actor
    root: UnitRef | None  # None: the system actor over a forest of top units
    units: list[UnitRef]  # the root's subtree within the actor's scope, in report order
    region_of: dict[int, UnitRef]  # unit id → its group head
    includes_triage: bool
    covers_all: bool = False  # every unit there is (the top office of a single tree): no unit filter

    @property
    def heads(self) -> list[UnitRef]:
        seen, out = set(), []
        for unit in self.units:
            head = self.region_of[unit.id]
            if head.id not in seen:
                seen.add(head.id)
                out.append(head)
        return out

    @property
    def anchor_depth(self) -> int:
        return self.root.depth + 1 if self.root is not None else 0

    def unit_clause(self):
        """SQL on Unit: the units whose tickets this report counts."""
        if self.covers_all:
            return sa.true()
        clause = unit_ids_clause(self.actor)
        if self.root is not None:
            clause = sa.and_(clause, Unit.path.startswith(self.root.path, autoescape=True))
        return clause


SCOPE_CACHE_SIZE = 64  # resolved unit trees a process keeps (per caller scope, unit and picker)
_scopes: OrderedDict = OrderedDict()


def resolve_scope(actor: Actor, unit_code: str | None = None, *, picker_levels: int | None = None) -> Scope:
    """The report's root and units; a unit code outside the caller's scope is an InputError.
    picker_levels: only what a unit picker offers: the units directly under the root, and the
    regions and offices down to that many levels (a province's thousands of departments are
    reached by drilling down).

    A tree resolved before is reused while units_version's token stands (triggers replace it at
    any write to units, migration 0012). The token is read before the units, so a change that
    commits in between can only make the kept tree newer than its token, never older. The
    Scope's lists are shared between callers: read them, do not change them."""
    run = db.session.connection().execute
    version = run(sa.select(UnitsVersion.version).where(UnitsVersion.id == 1)).scalar()
    key = (str(db.session.get_bind().url), actor.role, actor.unit_id, actor.unit_path, unit_code, picker_levels)
    kept = _scopes.get(key) if version is not None else None
    if kept is not None and kept[0] == version:
        _scopes.move_to_end(key)
        return Scope(actor, *kept[1])
    scope = _resolve_scope(actor, unit_code, picker_levels, run)
    if version is not None:
        _scopes[key] = (version, (scope.root, scope.units, scope.region_of, scope.includes_triage, scope.covers_all))
        while len(_scopes) > SCOPE_CACHE_SIZE:
            _scopes.popitem(last=False)
    return scope


def _resolve_scope(actor: Actor, unit_code: str | None, picker_levels: int | None, run) -> Scope:
    """resolve_scope, from the database (run: Core rows, no ORM loading for 5,000 plain tuples)."""
    parent = aliased(Unit)
    base = sa.select(Unit.id, Unit.code, Unit.name, parent.code, Unit.kind, Unit.depth, Unit.path) \
        .outerjoin(parent, parent.id == Unit.parent_id)
    if unit_code:
        found = run(base.where(Unit.code == unit_code.strip(), unit_ids_clause(actor))).first()
        if found is None:
            raise InputError({"unit": f"no unit with code {unit_code!r} in your scope"})
        root = UnitRef(*found)
    elif actor.role == "system":
        tops = run(base.where(Unit.parent_id.is_(None))).all()
        root = UnitRef(*tops[0]) if len(tops) == 1 else None
    else:
        root = UnitRef(*run(base.where(Unit.id == actor.unit_id)).one())
    clause = unit_ids_clause(actor)
    if root is not None:
        clause = sa.and_(clause, Unit.path.startswith(root.path, autoescape=True))
    if picker_levels is not None:
        top = root.depth if root is not None else 0
        clause = sa.and_(clause, sa.or_(Unit.depth <= top + 1,
                                        sa.and_(Unit.depth <= top + picker_levels, Unit.kind != "department")))
    units = [UnitRef(*r) for r in run(base.where(clause)).all()]
    region_of = _regions(units, root)
    ordered = _report_order(units, root, region_of)
    includes_triage = actor.role != "unit_staff" and (
        root is None or (root.depth == 0 and (actor.role == "system" or actor.is_root)))
    covers_all = picker_levels is None and includes_triage and (
        root is None or run(sa.select(sa.func.count()).where(Unit.parent_id.is_(None))).scalar() == 1)
    return Scope(actor, root, ordered, region_of, includes_triage, covers_all)


def _regions(units: list[UnitRef], root: UnitRef | None) -> dict[int, UnitRef]:
    """Each unit's group head: its ancestor directly under the root when that is a region or an
    office, else the root (市直/本级). Without a root: its top-level ancestor."""
    by_id = {u.id: u for u in units}
    anchor = root.depth + 1 if root is not None else 0
    out = {}
    for unit in units:
        if unit.depth < anchor:
            out[unit.id] = root
            continue
        head = by_id.get(int(unit.path.strip("/").split("/")[anchor]))
        if root is not None and (head is None or head.kind == "department"):
            head = root
        out[unit.id] = head
    return out


def _report_order(units: list[UnitRef], root: UnitRef | None, region_of: dict[int, UnitRef]) -> list[UnitRef]:
    children: dict[int | None, list[UnitRef]] = {}
    ids = {u.id for u in units}
    for unit in units:
        parent_id = _parent_id(unit)
        children.setdefault(parent_id if parent_id in ids else None, []).append(unit)
    for siblings in children.values():
        siblings.sort(key=lambda u: u.code)
    tree_index: dict[int, int] = {}

    def walk(unit: UnitRef) -> None:
        tree_index[unit.id] = len(tree_index)
        for child in children.get(unit.id, []):
            walk(child)

    for top in children.get(None, []):
        walk(top)
    root_id = root.id if root is not None else None

    def key(unit: UnitRef):
        head = region_of[unit.id]
        return (head.id != root_id, head.code, tree_index[unit.id])

    return sorted(units, key=key)


def _parent_id(unit: UnitRef) -> int | None:
    parts = unit.path.strip("/").split("/")
    return int(parts[-2]) if len(parts) >= 2 else None


# --- the cohort in SQL ------------------------------------------------------------------------

# The table aliases the figures queries join, made once: built per query, ORM aliased() entities
# (or fresh Core aliases, which copy every column of the table) cost ~10 ms of Python for each of
# the dashboard's figures queries. An alias is an immutable construct; each use below sits in a
# subquery or EXISTS of its own, so one statement never has the same alias twice in one FROM.
ALIASES = {
    "extension_events": TicketEvent.__table__.alias("extension_events"),
    "extension_tickets": Ticket.__table__.alias("extension_tickets"),
    "replies": TicketEvent.__table__.alias("replies"),
    "rejects": TicketEvent.__table__.alias("rejects"),
    "map_units": Unit.__table__.alias("map_units"),
    "heads": Unit.__table__.alias("heads"),
}


def _as_of_param(as_of: datetime):
    return sa.literal(as_of, UTCDateTime())


def _cohort(scope: Scope, date_from: date, date_to: date, as_of: datetime, key_kind: str | None,
            months: list[date] | None = None, extra=None):
    """Layer 1: the cohort's tickets with their group key, closed-by-T and the deadline in force at T."""
    t = _as_of_param(as_of)
    closed = sa.and_(Ticket.closed_at.is_not(None), Ticket.closed_at <= t)
    later = _extension_decided_after(t)
    due_at = sa.type_coerce(sa.case(
        (sa.and_(Ticket.extensions > 0, sa.not_(closed), Ticket.assigned_at <= t),
         sa.func.coalesce(later.c.old_due_at, Ticket.unit_due_at, type_=UTCDateTime())),
        else_=Ticket.unit_due_at), UTCDateTime())

    key, region_map = _key_expr(scope, key_kind, months)
    q = sa.select(
        key.label("key"),
        Ticket.id.label("ticket_id"),
        Ticket.state, Ticket.received_at, Ticket.assigned_at, Ticket.replied_at, Ticket.closed_at,
        Ticket.unit_due_at, Ticket.platform_due_at, Ticket.handling_workdays,
        sa.case((closed, 1), else_=0).label("closed"),
        due_at.label("due_at"),
    ).select_from(Ticket)
    if scope.covers_all:  # every unit: only "has a unit" is left of the scope
        q = q.where(Ticket.unit_id.is_not(None))
    else:
        q = q.join(Unit, Unit.id == Ticket.unit_id)
    q = q.outerjoin(later, later.c.ticket_id == Ticket.id)
    if region_map is not None:
        q = q.join(region_map, region_map.c.unit_id == Ticket.unit_id)
    if extra is not None:  # a further condition on Ticket (series.py: the tickets not settled by T)
        q = q.where(extra)
    return q.where(
        scope.unit_clause(),
        Ticket.state != "invalid",
        Ticket.received_at >= start_of_local_day(date_from),
        Ticket.received_at < start_of_local_day(date_to + timedelta(days=1)),
        Ticket.received_at <= t,
    ).subquery("cohort")


def _extension_decided_after(t):
    """ticket id → the deadline that the earliest extension decided after T replaced: the deadline
    in force at T. A join, not a subquery per ticket: it reads only the events after T (none when
    T is now), so its cost does not grow with the cohort, and the planner keeps the index scan."""
    events, tickets = ALIASES["extension_events"], ALIASES["extension_tickets"]
    ext, ticket = events.c, tickets.c
    old_due = ext.data["old_due_at"].as_string()
    ranked = (
        sa.select(ext.ticket_id.label("ticket_id"), fsql.iso_instant(old_due).label("old_due_at"),
                  sa.func.row_number().over(partition_by=ext.ticket_id, order_by=(ext.at, ext.id)).label("rn"))
        .join(tickets, ticket.id == ext.ticket_id)
        .where(ext.action == "decide-extension", ext.at > t, ext.at >= ticket.assigned_at, old_due.is_not(None))
        .subquery("extensions_after")
    )
    return sa.select(ranked.c.ticket_id, ranked.c.old_due_at).where(ranked.c.rn == 1).subquery("later_extension")


def _key_expr(scope: Scope, key_kind: str | None, months: list[date] | None):
    if key_kind is None:
        return sa.literal_column("0"), None
    if key_kind == "unit":
        return Ticket.unit_id, None
    if key_kind == "region":
        region_map = _region_map(scope)
        return region_map.c.region_id, region_map
    if key_kind == "month":
        whens = [(Ticket.received_at >= start_of_local_day(m), i) for i, m in reversed(list(enumerate(months)))]
        return sa.case(*whens, else_=0), None
    raise ValueError(key_kind)


def _region_map(scope: Scope):
    """unit id → group head id, the SQL twin of _regions (joined to tickets by unit id)."""
    units, heads = ALIASES["map_units"], ALIASES["heads"]
    u, head = units.c, heads.c
    above = len(scope.root.path) if scope.root is not None else len("/")  # the path before the head's id
    cond = [head.id == fsql.path_component(u.path, sa.literal(above, sa.Integer))]
    if scope.root is not None:
        cond.append(head.kind != "department")
        region_id = sa.func.coalesce(head.id, scope.root.id)
        where = u.path.startswith(scope.root.path, autoescape=True)
    else:
        region_id, where = head.id, sa.true()
    return sa.select(u.id.label("unit_id"), region_id.label("region_id")) \
        .select_from(units).outerjoin(heads, sa.and_(*cond)).where(where).subquery("region_map")


def _flags(cohort, as_of: datetime, calendar: WorkCalendar, date_from: date, *, overdue_only: bool = False):
    """Layer 2: per ticket 0/1 flags and handling times, on both clocks. overdue_only: the key and
    the overdue flag alone (the tickets open at T have no handling times; the platform clock's
    working days would send the calendar's exceptions as a few hundred parameters for nothing)."""
    c = cohort.c
    t = _as_of_param(as_of)
    closed = c.closed == 1
    replies, rejects = ALIASES["replies"], ALIASES["rejects"]
    reply, reject = replies.c, rejects.c
    # A reply of the current assignment, submitted by the deadline, not rejected by T. Asked only
    # once T is past the deadline, so "by the deadline" implies "by T" (and one upper bound on
    # `at` lets SQLite pick the (ticket_id, action, at) index).
    on_time_reply_awaiting_at_t = sa.exists().where(
        reply.ticket_id == c.ticket_id, reply.action == "reply",
        reply.at >= c.assigned_at, reply.at <= c.due_at,
        ~sa.exists().where(reject.ticket_id == reply.ticket_id, reject.action == "reject",
                           reject.id > reply.id, reject.at <= t).correlate(replies),
    )
    latest_reply_stood_at_t = sa.and_(c.state.in_(("replied", "closed")), c.replied_at <= t)
    overdue = sa.case(
        (closed, 0),
        (c.due_at >= t, 0),
        # the row is exact here: the latest reply was submitted by T and nothing followed it by T
        (sa.and_(latest_reply_stood_at_t, c.replied_at <= c.due_at), 0),
        (latest_reply_stood_at_t, 1),
        (c.replied_at.is_(None), 1),
        # a rejected reply, or one after T: ask the events (rare, so the subquery rarely runs)
        (on_time_reply_awaiting_at_t, 0),
        else_=1,
    )
    if overdue_only:
        return sa.select(c.key, c.ticket_id, overdue.label("overdue")).subquery("flags")
    on_time = sa.case((sa.and_(closed, c.replied_at <= c.unit_due_at), 1), else_=0)
    last_day = max(local_date(as_of), date_from)
    workday = lambda ts: fsql.workday_index(fsql.local_day_number(ts), calendar, date_from, last_day)  # noqa: E731
    return sa.select(
        c.key, c.ticket_id, c.state, c.received_at, c.replied_at, c.closed_at, c.due_at, c.closed,
        on_time.label("on_time"),
        (c.closed - on_time).label("late"),
        overdue.label("overdue"),
        sa.case((closed, fsql.hours_between(c.assigned_at, c.replied_at))).label("hours"),
        sa.case((closed, fsql.micros_between(c.assigned_at, c.replied_at))).label("micros"),
        sa.case((closed, c.handling_workdays)).label("workdays"),
        sa.case((sa.and_(closed, c.closed_at <= c.platform_due_at), 1), else_=0).label("p_on_time"),
        sa.case((sa.and_(sa.not_(closed), c.platform_due_at < t), 1), else_=0).label("p_overdue"),
        sa.case((closed, fsql.hours_between(c.received_at, c.closed_at))).label("p_hours"),
        sa.case((closed, fsql.micros_between(c.received_at, c.closed_at))).label("p_micros"),
        sa.case((closed, workday(c.closed_at) - workday(c.received_at))).label("p_workdays"),
    ).subquery("flags")


AGGREGATED = ("key", "closed", "on_time", "overdue", "hours", "micros", "workdays",
              "p_on_time", "p_overdue", "p_hours", "p_micros", "p_workdays")


def _ranked(flags, grouped: bool):
    """Layer 3: ranks of the handling times within each group, for the percentiles."""
    f = flags.c
    partition = [f.key, f.closed] if grouped else [f.closed]
    return sa.select(
        *(f[name] for name in AGGREGATED),  # only what is summed: narrow rows sort faster
        sa.func.row_number().over(partition_by=partition, order_by=f.hours).label("rn"),
        sa.func.row_number().over(partition_by=partition, order_by=f.p_hours).label("p_rn"),
        sa.func.count().over(partition_by=partition).label("n"),
    ).subquery("ranked")


def _percentile(value, rn, n, closed, numerator: int, denominator: int):
    """percentile_cont(numerator/denominator) of `value` within each group, by linear
    interpolation between the ranks around 1 + p(n-1), in integer arithmetic both databases share."""
    below = (numerator * (n - 1)) // denominator  # 0-based rank at or below the position
    frac = sa.cast(numerator * (n - 1) - denominator * below, sa.Float) / denominator
    return sa.func.sum(sa.case(
        (sa.and_(closed == 1, rn == below + 1), value * (1 - frac)),
        (sa.and_(closed == 1, rn == below + 2), value * frac),
        else_=0.0,
    ))


CLOCKS = ("", "p_")  # column prefixes: the unit's clock, the office's platform clock
# aggregate columns per clock: on_time, overdue, the handling microseconds' sum and count, the
# median and P90 hours, the handling working days' sum and count
PER_CLOCK = 8


def _sum_and_count(value, prefix: str, name: str, count_name: str) -> list:
    """A mean's sum and count, exact integers, divided and rounded in Python (exact_mean). A mean
    of float hours would depend on the order the database adds them in (parallel plans vary it)
    and round a mean of exactly x.xx5 down about one time in four. The sum comes as a bigint,
    not the numeric PostgreSQL sums bigints into (a Decimal each in Python); a bigint holds
    290,000 years of microseconds."""
    return [sa.cast(sa.func.sum(value), sa.BigInteger).label(prefix + name),
            sa.func.count(value).label(prefix + count_name)]


def _aggregate(rows, grouped: bool, percentiles: bool):
    """Layer 4: one row of sums per group key (over the ranked layer when percentiles are wanted)."""
    r = rows.c
    cols = [sa.func.count().label("received"), sa.func.sum(r.closed).label("closed")]
    for prefix in CLOCKS:
        hours, rank = r[prefix + "hours"], r.get(prefix + "rn")

        def pct(numerator, denominator):
            return _percentile(hours, rank, r.n, r.closed, numerator, denominator) if percentiles else sa.null()

        cols += [
            sa.func.sum(r[prefix + "on_time"]).label(prefix + "on_time"),
            sa.func.sum(r[prefix + "overdue"]).label(prefix + "overdue"),
            *_sum_and_count(r[prefix + "micros"], prefix, "micros", "timed"),
            pct(1, 2).label(prefix + "median_hours"),
            pct(9, 10).label(prefix + "p90_hours"),
            *_sum_and_count(r[prefix + "workdays"], prefix, "days", "days_n"),
        ]
    if grouped:
        return sa.select(r.key, *cols).group_by(r.key)
    return sa.select(sa.literal(None).label("key"), *cols)


def _figures_by_key(scope: Scope, date_from: date, date_to: date, as_of: datetime, key_kind: str | None,
                    calendar: WorkCalendar, months: list[date] | None = None, *, percentiles: bool = True,
                    platform: bool = True, with_total: bool = False) -> dict:
    """Figures per group key; with_total, also the whole cohort's under the key None."""
    cohort = _cohort(scope, date_from, date_to, as_of, key_kind, months)
    grouped = key_kind is not None
    flags = _flags(cohort, as_of, calendar, date_from)
    if _native_percentiles():
        query = _aggregate_native(flags, grouped, percentiles, rollup=grouped and with_total, platform=platform)
        # (key, total_row, sums...): positions, not names, for a province's 5,000 rows
        return {None if row[1] else row[0]: _to_figures(row, 2, rounded=True) for row in _execute(query).all()}
    query = _aggregate(_ranked(flags, grouped) if percentiles else flags, grouped, percentiles)
    out = {row[0]: _to_figures(row, 1) for row in _execute(query).all()}
    if grouped and with_total:
        out.update(_figures_by_key(scope, date_from, date_to, as_of, None, calendar, months,
                                   percentiles=percentiles))
    return out


def _native_percentiles() -> bool:
    """PostgreSQL 12+: percentile_cont itself, the total in the same pass (GROUP BY ROLLUP), the
    rounding in SQL. SQLite has none of these: ranks by window functions, a second query for the
    total, rounding in Python (same figures)."""
    bind = db.session.get_bind()
    return bind.dialect.name == "postgresql" and (bind.dialect.server_version_info or (0,)) >= (12,)


def rounded_sql(value):
    """round_half_up in PostgreSQL: a double (a median or P90) to two decimals, half up on its
    shortest decimal form. PostgreSQL 12+ writes a double in the shortest form that reads back
    exactly (with extra_float_digits = 1, set in _execute), the digits Python's str() gives, and
    rounds numeric halves away from zero as ROUND_HALF_UP does. A province's 5,000 rows round in
    the database, not in Python."""
    return sa.cast(sa.func.round(sa.cast(sa.cast(value, sa.Text), sa.Numeric), 2), sa.Float)


def _aggregate_native(flags, grouped: bool, percentiles: bool, *, rollup: bool, platform: bool = True):
    """Layer 3 on PostgreSQL: one row of sums per group key, and with rollup the total row
    (total_row = 1). percentile_cont skips the NULL hours of tickets not closed by T. Median and
    P90 come rounded (rounded_sql); the means' integer sums are divided in Python (exact_mean)."""
    f = flags.c
    cols = [sa.func.count().label("received"), sa.func.sum(f.closed).label("closed")]
    for prefix in CLOCKS:
        if prefix == "p_" and not platform:  # unread: the planner then computes none of its flags
            cols += [sa.null().label(prefix + name) for name in (
                "on_time", "overdue", "micros", "timed", "median_hours", "p90_hours", "days", "days_n")]
            continue
        hours = f[prefix + "hours"]

        def pct(fraction: float):
            return sa.func.percentile_cont(fraction).within_group(hours) if percentiles else sa.null()

        cols += [
            sa.func.sum(f[prefix + "on_time"]).label(prefix + "on_time"),
            sa.func.sum(f[prefix + "overdue"]).label(prefix + "overdue"),
            *_sum_and_count(f[prefix + "micros"], prefix, "micros", "timed"),
            rounded_sql(pct(0.5)).label(prefix + "median_hours"),
            rounded_sql(pct(0.9)).label(prefix + "p90_hours"),
            *_sum_and_count(f[prefix + "workdays"], prefix, "days", "days_n"),
        ]
    if not grouped:
        return sa.select(sa.literal(None).label("key"), sa.literal(0).label("total_row"), *cols)
    if rollup:
        return sa.select(f.key, sa.func.grouping(f.key).label("total_row"), *cols).group_by(sa.func.rollup(f.key))
    return sa.select(f.key, sa.literal(0).label("total_row"), *cols).group_by(f.key)


def _execute(query, *, stream: int | None = None):
    """Run a figures query; `stream` rows at a time through a server-side cursor when given."""
    session = db.session
    bind = session.get_bind()
    if bind.dialect.name == "postgresql" and (bind.dialect.server_version_info or (0,)) >= (11,):
        # Both for this transaction only. JIT spends seconds compiling these wide expressions for
        # a large cohort and wins nothing back. A cursor is planned for its first 10% of rows by
        # default, which here picks nested loops 6x slower than the plan for all rows.
        # For this transaction only (set_config(..., true) is SET LOCAL), in one round trip:
        # - jit off: JIT spends seconds compiling these wide expressions and wins nothing back;
        # - work_mem: a month's cohort sorts (percentiles, groups) in memory, not on disk;
        # - extra_float_digits = 1: doubles as their shortest exact text (rounded_sql);
        # - parallel costs 0: one request's figures are worth the cores (at 1M tickets a parallel
        #   scan of a month's cohort takes ~65 ms against ~78 ms, a plan the default costs miss).
        # A cursor is planned for its first 10% of rows by default, which here picks nested loops
        # 6x slower than the plan for all rows: cursor_tuple_fraction = 1 when streaming.
        settings = {"jit": "off", "work_mem": "32MB", "extra_float_digits": "1",
                    "parallel_setup_cost": "0", "parallel_tuple_cost": "0"}
        if stream:
            settings["cursor_tuple_fraction"] = "1"
        session.execute(sa.select(*(sa.func.set_config(name, value, True) for name, value in settings.items())))
    # Core rows from the session's connection (same transaction): no ORM result machinery
    return session.connection().execute(query.execution_options(yield_per=stream) if stream else query)


def _to_figures(row, start: int, *, rounded: bool = False) -> Figures:
    """Figures of one aggregate row whose sums start at position `start`: received, closed, then
    for each clock (CLOCKS) the PER_CLOCK columns, as _aggregate and _aggregate_native select
    them. rounded: median and P90 come rounded from SQL (rounded_sql)."""
    received, closed = int(row[start] or 0), int(row[start + 1] or 0)
    unit_clock = start + 2
    figures = _clock(received, closed, rounded, row[unit_clock:unit_clock + PER_CLOCK])
    figures.platform = _clock(received, closed, rounded, row[unit_clock + PER_CLOCK:unit_clock + 2 * PER_CLOCK])
    return figures


def _clock(received: int, closed: int, rounded: bool, sums) -> Figures:
    """One clock's figures from its sums. A 5,000-unit table makes 10,000 of these: one
    constructor call each."""
    on_time, overdue, micros, timed, median, p90, days, days_n = sums
    on_time, overdue = int(on_time or 0), int(overdue or 0)
    return clock_figures(received, closed, on_time, overdue, micros, timed, days, days_n,
                         *((median, p90) if rounded else (_rounded(median), _rounded(p90))))


def clock_figures(received: int, closed: int, on_time: int, overdue: int, micros, timed, days, days_n,
                  median: float | None = None, p90: float | None = None) -> Figures:
    """A clock's Figures from its counts and the integer sums of its handling times (micros over
    `timed` tickets, working days over `days_n`): the one place the derived figures are defined
    (late, pending, the rate, the means), whichever query gave the sums."""
    denominator = closed + overdue
    if not closed:  # handling times are defined over closed tickets only
        hours = days_mean = median = p90 = None
    else:
        hours, days_mean = mean_hours(micros, timed), exact_mean(days, days_n)
    return Figures(received, closed, on_time, closed - on_time, overdue, received - closed - overdue,
                   on_time / denominator if denominator else None, hours, median, p90, days_mean)


def _rounded(value):
    return None if value is None else round_half_up(value)


def exact_mean(total, count, unit: int = 1) -> float | None:
    """total / (count · unit) rounded half up to two decimals, exactly (integer arithmetic: the same
    figure whatever order the values were added in). None when count is 0 or missing."""
    if not count:
        return None
    total, denominator = int(total), int(count) * unit
    cents = (200 * abs(total) + denominator) // (2 * denominator)  # floor(100·|mean| + 1/2)
    return (cents if total >= 0 else -cents) / 100 + 0.0


def mean_hours(micros, count) -> float | None:
    """The mean of `count` handling times summing to `micros` microseconds, in hours (exact_mean)."""
    return exact_mean(micros, count, fsql.MICROS_PER_HOUR)


def round_half_up(value) -> float:
    """value to two decimals, half up on its shortest decimal form (what str() shows).

    The float arithmetic answers unless value*100 lies near a half, where the binary error of
    the product could matter; there (and for Decimals and negatives) the exact decimal path.
    A table of 5,000 units rounds 40,000 values, so the fast path matters."""
    if isinstance(value, float) and value >= 0:
        scaled = value * 100
        below = math.floor(scaled)
        if abs(scaled - below - 0.5) > 1e-6 and scaled < 1e7:  # error of the product < 4e-9 there
            return (below + (scaled - below > 0.5)) / 100 + 0.0
    exact = Decimal(str(value)) if not isinstance(value, Decimal) else value
    return float(exact.quantize(QUANTUM, rounding=ROUND_HALF_UP)) + 0.0  # + 0.0: never -0.0


# --- public entry points ----------------------------------------------------------------------

def _check(date_from: date, date_to: date, as_of: datetime, group: str = "unit") -> datetime:
    if group not in GROUPS:
        raise InputError({"group": "unit or region"})
    if date_to < date_from:
        raise InputError({"to": f"must be on or after from ({date_from.isoformat()})"})
    return assume_local(as_of)


def closure(actor: Actor, date_from: date, date_to: date, as_of: datetime, *, unit_code: str | None = None,
            group: str = "unit", calendar: WorkCalendar | None = None, scope: Scope | None = None,
            percentiles: bool = True, platform: bool = True, via: str = "auto") -> ClosureReport:
    """The closure figures per unit (or per region) and in total; see the module docstring.
    scope: resolve_scope(actor, unit_code) when the caller already has it (a page that needs it twice;
    without picker_levels: a kept result is found by the scope's root).
    percentiles=False: median and P90 left None; platform=False: no platform-clock figures (None).
    A table that does not show them skips their work: without both, a period of whole months is
    read from the settled counts (figures/settled.py, the same figures). via="cohort" or
    "settled" picks the way (the tests compare them). Computed fresh on every call."""
    as_of = _check(date_from, date_to, as_of, group)
    if via not in ("auto", "cohort", "settled"):
        raise ValueError(f"via: auto, cohort or settled, not {via!r}")
    return _closure(actor, date_from, date_to, as_of, unit_code, group, calendar, scope, percentiles, platform, via)


def _closure(actor: Actor, date_from: date, date_to: date, as_of: datetime, unit_code: str | None, group: str,
             calendar: WorkCalendar | None, scope: Scope | None, percentiles: bool, platform: bool,
             via: str) -> ClosureReport:
    calendar = calendar or current_calendar()
    scope = scope or resolve_scope(actor, unit_code)
    from feedback.figures import settled  # it builds on this module's layers

    if via == "auto":
        via = "settled" if not percentiles and not platform and settled.whole_months(date_from, date_to) else "cohort"
    if via == "settled":
        by_key = settled.figures_by_key(scope, date_from, date_to, as_of, group, calendar)
    else:
        by_key = _figures_by_key(scope, date_from, date_to, as_of, group, calendar, percentiles=percentiles,
                                 platform=platform, with_total=True)
    total = by_key.pop(None, None) or Figures.zero()
    if not platform:
        for figures in (total, *by_key.values()):
            figures.platform = None
    if group == "unit":
        rows = [Row(u, scope.region_of[u.id], by_key.get(u.id) or Figures.zero()) for u in scope.units]
    else:
        rows = [Row(head, head, by_key.get(head.id) or Figures.zero()) for head in scope.heads]
    unassigned = _unassigned(date_from, date_to, as_of) if scope.includes_triage else None
    return ClosureReport(date_from, date_to, as_of, group, scope.root, rows, total, unassigned)


def _unassigned(date_from: date, date_to: date, as_of: datetime) -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(Ticket).where(
        Ticket.unit_id.is_(None), Ticket.state != "invalid",
        Ticket.received_at >= start_of_local_day(date_from),
        Ticket.received_at < start_of_local_day(date_to + timedelta(days=1)),
        Ticket.received_at <= as_of,
    )).scalar_one()


def _add_months(d: date, n: int) -> date:
    index = d.year * 12 + d.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def overdue_details(actor: Actor, date_from: date, date_to: date, as_of: datetime, unit_code: str | None = None,
                    *, calendar: WorkCalendar | None = None, batch: int = 500) -> Iterator[OverdueItem]:
    """The cohort's late-closed and overdue-open tickets as of T, streamed in batches
    (for the 超期明细 sheet), ordered by unit code and received time. Same flags as closure()."""
    as_of = _check(date_from, date_to, as_of)
    calendar = calendar or current_calendar()
    scope = resolve_scope(actor, unit_code)
    flags = _flags(_cohort(scope, date_from, date_to, as_of, None), as_of, calendar, date_from)
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

    for row in _execute(query, stream=batch):
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
    "closure", "overdue_details", "resolve_scope",
]
