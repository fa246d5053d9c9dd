"""The cohort in SQL (DESIGN.md: Figures): the layers every figures query is built from.

1. cohort(): the period's valid tickets in scope with their group key, closed-by-T and the
   deadline in force at T;
2. flags(): per ticket 0/1 flags and handling times on both clocks, by the rules of
   figures/rules.py;
3. aggregate_native() (PostgreSQL 12+) or, on SQLite, aggregate() without percentiles and
   tally() with them: sums per key, the percentiles, the total;
figures_by_key() runs them and hands the sums to figures/derive.py.

One query gives the rows and the total. On PostgreSQL it is a single pass: each group's times in
order (percentile_scaled_sql) and GROUP BY ROLLUP(key). SQLite has neither: without percentiles
the total is the groups' sum; with them the per-ticket flags are fetched and tally() sums and
ranks them (the same linear interpolation in integer arithmetic). As-of corrections read only
the events after T, as joins, so a cohort's cost does not grow with its history.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from contextlib import ExitStack, contextmanager
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, aggregate_order_by

from feedback.accounts.scope import Scope
from feedback.calendar.workdays import WorkCalendar
from feedback.directory.models import Unit
from feedback.extensions import db
from feedback.figures import rules, snapshot
from feedback.figures import sql as fsql
from feedback.figures.derive import MEDIAN, P90, PER_CLOCK, to_figures
from feedback.tickets.handoffs import HandOff
from feedback.tickets.models import Ticket, TicketEvent
from feedback.timeutil import UTCDateTime, local_date, start_of_local_day

# The table aliases the figures queries join, made once: built per query, ORM aliased() entities
# (or fresh Core aliases, which copy every column of the table) cost noticeable Python time in
# every one of the dashboard's figures queries. An alias is an immutable construct; each use below sits in a
# subquery or EXISTS of its own, so one statement never has the same alias twice in one FROM.
ALIASES = {
    "extension_events": TicketEvent.__table__.alias("extension_events"),
    "extension_tickets": Ticket.__table__.alias("extension_tickets"),
    "replies": TicketEvent.__table__.alias("replies"),
    "rejects": TicketEvent.__table__.alias("rejects"),
    "map_units": Unit.__table__.alias("map_units"),
    "heads": Unit.__table__.alias("heads"),
    "clock_handoffs": HandOff.__table__.alias("clock_handoffs"),
    "handoff_extension_events": TicketEvent.__table__.alias("handoff_extension_events"),
}

# Which clock a row reads (DESIGN.md: Figures, "Which clock a row uses"):
# - "unit": each ticket's current unit's own clock (Ticket.assigned_at, unit_due_at), 本级 rows;
# - "head": the hand-off that brought the ticket into its group head's subtree (group="region",
#   a region's 及下级 and 小计); the root's own group reads each ticket at min(its unit's depth,
#   the root's depth + 1), i.e. a 市直 department's own clock and the root's for what it holds;
# - "root": the hand-off into the report's root (`office` below the top office).
UNIT_CLOCK, HEAD_CLOCK, ROOT_CLOCK = "unit", "head", "root"
UNASSIGNED_ONLY = "only"  # cohort(with_unassigned=...): the tickets without a unit alone
# sums_by_key(platform=...): the platform clock for the total alone (the top office's own figure);
# each group's platform times are then not ranked, nor its platform figures derived
PLATFORM_TOTAL = "total"
CLOCK_KINDS = (UNIT_CLOCK, HEAD_CLOCK, ROOT_CLOCK)


def as_of_param(as_of: datetime):
    """T, as the bind parameter "as_of" (a reused statement is run with its own T: reuse())."""
    return sa.bindparam(AS_OF, as_of, type_=UTCDateTime())


AS_OF, PERIOD_START, PERIOD_END = "as_of", "period_start", "period_end"  # the values a statement is run with


def period_params(date_from: date, date_to: date):
    """The period's bounds, [start, end) as UTC instants, as the bind parameters the cohort reads."""
    return (sa.bindparam(PERIOD_START, start_of_local_day(date_from), type_=UTCDateTime()),
            sa.bindparam(PERIOD_END, start_of_local_day(date_to + timedelta(days=1)), type_=UTCDateTime()))


def bound(as_of: datetime, date_from: date, date_to: date, scope: Scope | None = None) -> dict:
    """The values of a cohort statement's parameters for this T and period, and with `scope` its
    region map's (region_map; a statement without one ignores them)."""
    values = {AS_OF: as_of, PERIOD_START: start_of_local_day(date_from),
              PERIOD_END: start_of_local_day(date_to + timedelta(days=1))}
    return values if scope is None else {**values, **region_values(scope)}


REGION_UNITS, REGION_HEADS = "region_units", "region_heads"


def region_values(scope: Scope) -> dict:
    """The values of region_map's parameters (PostgreSQL: the scope's map itself)."""
    if db.session.get_bind().dialect.name != "postgresql":
        return {}
    units, heads = scope.region_arrays
    return {REGION_UNITS: units, REGION_HEADS: heads}


STATEMENTS_KEPT = 256
_statements: OrderedDict = OrderedDict()
_statements_lock = threading.Lock()


def reuse(shape: tuple, build):
    """The statement `build()` makes for `shape`, made once per process and shape.

    Building a figures statement (the cohort, its flags, the sums: a few hundred SQL elements)
    and hashing it for SQLAlchemy's compiled cache cost several milliseconds of every request
    that ran it, for the same SQL each time. A statement is SQL, not figures: T and the period
    are bind parameters its caller passes on every run (bound()); `shape` must name everything
    else the statement was built from (the database, the scope's units clause and root, the
    grouping, the clock, the calendar's exceptions written into the working-day count, the
    months of a series). The tests ask one shape at many T's and periods in one process (the
    differential suite, tests/figures/test_fresh.py), and fail when a shape leaves one of these
    out."""
    key = (str(db.session.get_bind().url), *shape)
    with _statements_lock:  # gthread workers: another thread may be evicting this very key
        statement = _statements.get(key)
        if statement is not None:
            _statements.move_to_end(key)
            return statement
    statement = build()  # outside the lock: two threads may both build it, and one is kept
    with _statements_lock:
        _statements[key] = statement
        while len(_statements) > STATEMENTS_KEPT:
            _statements.popitem(last=False)
    return statement


def scope_shape(scope: Scope) -> tuple:
    """What of a scope a cohort statement is built from: the units clause (the actor's scope and
    the root's path), the region map and the level depths (the root)."""
    root = scope.root
    return (scope.actor.role, scope.actor.unit_id, scope.actor.unit_path, scope.covers_all, scope.includes_triage,
            None if root is None else (root.id, root.path, root.depth))


def cohort(scope: Scope, date_from: date, date_to: date, as_of: datetime, key_kind: str | None,
            months: list[date] | None = None, extra=None, *, by_received: bool = True, clock: str = UNIT_CLOCK,
            with_unassigned: bool | str = False, later_extensions: bool = True, fenced: bool = False):
    """Layer 1: the cohort's tickets with their group key, closed-by-T and the deadline in force at T.
    by_received=False: the period's bounds are kept out of the index choice, for an `extra` that
    an index serves better (closed after T: an empty range when T is now). clock: which level's
    clock assigned_at / unit_due_at / due_at are read from (CLOCK_KINDS). with_unassigned: the
    tickets without a unit too (the top office's own figure; only their platform clock means
    anything); UNASSIGNED_ONLY: those alone. later_extensions=False: no extension was decided
    after T (extensions_after), so every deadline in force at T is the one stored now and the
    lookups of the old ones are left out. fenced (PostgreSQL): an OFFSET 0 keeps the cohort a
    subquery of its own, its columns computed once per ticket; pulled up into flags(), `closed`
    and the deadline in force at T are expressions again, evaluated once per flag that reads
    them. sums_by_key fences its cohort; the live counts, which read two flags, do not (there
    the subquery's own cost was the larger)."""
    if clock not in CLOCK_KINDS:
        raise ValueError(f"clock: {clock!r}")
    t = as_of_param(as_of)
    closed = sa.and_(Ticket.closed_at.is_not(None), Ticket.closed_at <= t)
    later = extension_decided_after(t) if later_extensions else None
    due_at = Ticket.unit_due_at if later is None else sa.type_coerce(sa.case(
        (sa.and_(Ticket.extensions > 0, sa.not_(closed), Ticket.assigned_at <= t),
         sa.func.coalesce(later.c.old_due_at, Ticket.unit_due_at, type_=UTCDateTime())),
        else_=Ticket.unit_due_at), UTCDateTime())
    start, final_due, workdays = Ticket.assigned_at, Ticket.unit_due_at, Ticket.handling_workdays
    own_clock = sa.literal_column("1")  # the row reads the ticket's own clock (flags())
    level = None
    if clock != UNIT_CLOCK:
        level, level_on = level_clock(level_depth(scope, clock))
        level_later = handoff_extension_decided_after(t) if later_extensions else None
        h = level.c
        in_force = h.due_at if level_later is None else sa.case(
            (sa.and_(h.extensions > 0, sa.not_(closed), h.at <= t),
             sa.func.coalesce(level_later.c.old_due_at, h.due_at, type_=UTCDateTime())),
            else_=h.due_at)
        # nothing joined: the ticket's own clock covers this level (level_clock), or it has no
        # hand-off at all (a ledger row without 转办时间)
        has = h.id.is_not(None)
        start = sa.type_coerce(sa.case((has, h.at), else_=Ticket.assigned_at), UTCDateTime())
        final_due = sa.type_coerce(sa.case((has, h.due_at), else_=Ticket.unit_due_at), UTCDateTime())
        due_at = sa.type_coerce(sa.case((has, in_force), else_=due_at), UTCDateTime())
        workdays = sa.null()  # counted from this clock's start in flags()
        own_clock = sa.case((has, 0), else_=1)

    key, heads = key_expr(scope, key_kind, months)
    period_start, period_end = period_params(date_from, date_to)
    q = sa.select(
        key.label("key"),
        Ticket.id.label("ticket_id"),
        Ticket.state, Ticket.received_at, start.label("assigned_at"), Ticket.replied_at, Ticket.closed_at,
        final_due.label("unit_due_at"), Ticket.platform_due_at, workdays.label("handling_workdays"),
        sa.case((closed, 1), else_=0).label("closed"),
        due_at.label("due_at"),
        own_clock.label("own_clock"),
    ).select_from(Ticket)
    unit_clause = scope.unit_clause()
    if with_unassigned == UNASSIGNED_ONLY:
        unit_clause = Ticket.unit_id.is_(None)
    elif with_unassigned and scope.covers_all and level is None:  # every ticket there is: no unit filter
        pass
    elif with_unassigned:
        q = q.outerjoin(Unit, Unit.id == Ticket.unit_id)
        unit_clause = sa.or_(Ticket.unit_id.is_(None), unit_clause)
    elif scope.covers_all and level is None:  # every unit: only "has a unit" is left of the scope
        q = q.where(Ticket.unit_id.is_not(None))
    else:
        q = q.join(Unit, Unit.id == Ticket.unit_id)
    if later is not None:
        q = q.outerjoin(later, later.c.ticket_id == Ticket.id)
    if level is not None:
        q = q.outerjoin(level, level_on)
        if level_later is not None:
            q = q.outerjoin(level_later, level_later.c.handoff_id == level.c.id)
    if heads is not None:
        q = q.join(heads, heads.c.unit_id == Ticket.unit_id)
    if extra is not None:  # a further condition on Ticket (series.py: the tickets not settled by T)
        q = q.where(extra)
    received = Ticket.received_at if by_received else sa.func.coalesce(Ticket.received_at, Ticket.received_at)
    q = q.where(
        unit_clause,
        # a literal, not a parameter: SQLite uses a partial index (ix_tickets_unsettled_received_at)
        # only when the query states its condition
        Ticket.state != sa.literal_column("'invalid'"),
        received >= period_start,
        received < period_end,
        received <= t,
    )
    if fenced:
        q = q.offset(sa.literal_column("0"))
    return q.subquery("cohort")


def level_clock(depth):
    """The hand-off that is each cohort ticket's clock at `depth` (tickets/handoffs.py: the one
    current row with top_depth <= depth <= bottom_depth), and the condition to outer-join it on;
    none where the ticket's own clock covers the depth (Ticket.clock_top_depth <= depth: the
    ticket's columns are that hand-off's, and cohort() reads them when nothing is joined).
    PostgreSQL: a LATERAL lookup per forwarded ticket. As a plain join it hashes every current
    hand-off there is (one per open or closed ticket, a province's millions) for a month's few
    thousand tickets; the LIMIT keeps the subquery per ticket, and changes nothing, as at most
    one row covers a depth. SQLite looks each ticket up anyway."""
    handoffs = ALIASES["clock_handoffs"]
    h = handoffs.c
    covers = sa.and_(Ticket.clock_top_depth > depth, h.ticket_id == Ticket.id, h.ended_at.is_(None),
                     h.top_depth <= depth, h.bottom_depth >= depth)
    if db.session.get_bind().dialect.name != "postgresql":
        return handoffs, covers
    lookup = sa.select(h.id, h.at, h.due_at, h.extensions).where(covers).limit(1).lateral("clock_handoff")
    return lookup, sa.true()


def level_depth(scope: Scope, clock: str):
    """The depth whose clock a ticket is read on (tickets/handoffs.py: the row with top_depth <=
    depth <= bottom_depth): the root's for ROOT_CLOCK; for HEAD_CLOCK the group head's (the
    root's depth + 1), or the ticket's unit's own when it is the root itself."""
    if clock == ROOT_CLOCK:
        return sa.literal(scope.root.depth if scope.root is not None else 0, sa.Integer)
    anchor = scope.anchor_depth
    return sa.case((Unit.depth < anchor, Unit.depth), else_=anchor)


def handoff_extension_decided_after(t):
    """hand-off id → the deadline the earliest extension decided after T replaced on that clock:
    the deadline in force at T. The decide-extension event lists every clock it moved with its
    old deadline (lifecycle: data.handoffs); only the events after T are read (none when T is now)."""
    events = ALIASES["handoff_extension_events"]
    e = events.c
    if db.session.get_bind().dialect.name == "postgresql":
        moved = sa.func.json_array_elements(sa.cast(e.data, sa.JSON)["handoffs"]).table_valued("value").alias("moved")
        handoff_id = sa.cast(moved.c.value.op("->>")("id"), sa.Integer)
        old_due = moved.c.value.op("->>")("old_due_at")
    else:
        moved = sa.func.json_each(e.data, "$.handoffs").table_valued("value").alias("moved")
        handoff_id = sa.func.json_extract(moved.c.value, "$.id")
        old_due = sa.func.json_extract(moved.c.value, "$.old_due_at")
    ranked = (
        sa.select(handoff_id.label("handoff_id"), fsql.iso_instant(old_due).label("old_due_at"),
                  sa.func.row_number().over(partition_by=handoff_id, order_by=(e.at, e.id)).label("rn"))
        .select_from(events).join(moved, sa.true())
        .where(e.action == "decide-extension", e.at > t)
        .subquery("handoff_extensions_after")
    )
    return sa.select(ranked.c.handoff_id, ranked.c.old_due_at).where(ranked.c.rn == 1) \
        .subquery("later_handoff_extension")


def extensions_after(as_of: datetime, *, asked: list | None = None) -> bool:
    """Whether any extension was decided after T (a decide-extension event later than T). When
    none was (T is now, or after the last decision), the deadline in force at T on every clock is
    the stored one, and cohort(later_extensions=False) leaves out the two lookups of the old
    deadlines, which PostgreSQL would otherwise plan into every statement of a page. Asked once
    per snapshot and T (snapshot.once: the answer cannot change within one), else on every call.
    asked: the probe's rows, when the caller sent it with other statements (extensions_after_probe)."""
    return snapshot.once(("extensions after", as_of),
                         lambda: bool(fetch_all(*extensions_after_probe(as_of)) if asked is None else asked))


def extensions_after_probe(as_of: datetime) -> tuple:
    """extensions_after's statement and its values: a row when an extension was decided after T."""
    def build():
        e = TicketEvent
        return sa.select(sa.literal(1)).where(
            e.action == "decide-extension", e.at > sa.bindparam(AS_OF, type_=UTCDateTime())).limit(1)

    return reuse(("extensions after",), build), {AS_OF: as_of}


def unassigned_statement(scope: Scope, top: bool, as_of: datetime, date_from: date, date_to: date) -> tuple | None:
    """未分派's statement and its values: the valid tickets of the period (received by T) waiting in
    the root's triage — without a unit for a top office (None, for 0, when the caller's scope does
    not hold triage), for a region the ones returned into its own triage (unit = the region,
    state new)."""
    if top and not scope.includes_triage:
        return None

    def build():
        t, start, end = (sa.bindparam(name, type_=UTCDateTime()) for name in (AS_OF, PERIOD_START, PERIOD_END))
        where = [Ticket.unit_id.is_(None)] if top else \
            [Ticket.unit_id == sa.bindparam("root_id", type_=sa.Integer()), Ticket.state == "new"]
        return sa.select(sa.func.count()).select_from(Ticket).where(
            *where, Ticket.state != "invalid", Ticket.received_at >= start, Ticket.received_at < end,
            Ticket.received_at <= t)

    params = bound(as_of, date_from, date_to)
    if not top:
        params["root_id"] = scope.root.id
    return reuse(("unassigned", top), build), params


def extension_decided_after(t):
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


def key_expr(scope: Scope, key_kind: str | None, months: list[date] | None):
    if key_kind is None:
        return sa.literal_column("0"), None
    if key_kind == "unit":
        # an expression, not the bare column: grouped by the bare unit_id, SQLite reads every
        # ticket in unit order through ix_tickets_unit_state to skip a sort, instead of the
        # period's range of the received_at index
        return (Ticket.unit_id + 0).label(None), None
    if key_kind == "region":
        heads = region_map(scope)
        return heads.c.region_id, heads
    if key_kind == "month":
        whens = [(Ticket.received_at >= start_of_local_day(m), i) for i, m in reversed(list(enumerate(months)))]
        return sa.case(*whens, else_=0), None
    raise ValueError(key_kind)


def region_map(scope: Scope):
    """unit id → group head id (joined to tickets by unit id). PostgreSQL: the scope's own map
    (Scope.region_arrays), unnested from two parameters (region_values) that every run passes,
    as bound(scope=...) does: a province's 5,000 units hashed from an array, not scanned, their
    paths cut and their heads looked up on every statement. SQLite: the SQL twin of
    accounts.scope's group heads."""
    if db.session.get_bind().dialect.name == "postgresql":
        lists = (sa.cast(sa.bindparam(name, type_=sa.Text()), ARRAY(sa.Integer))
                 for name in (REGION_UNITS, REGION_HEADS))
        return sa.func.unnest(*lists).table_valued("unit_id", "region_id").render_derived(name="region_map")
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


def flags(tickets, as_of: datetime, calendar: WorkCalendar, date_from: date, *, overdue_only: bool = False,
          clock: str = UNIT_CLOCK):
    """Layer 2: per ticket 0/1 flags and handling times, on both clocks, over a cohort() (the
    rules: figures/rules.py). overdue_only: the key and the overdue flags alone, on the row's
    clock and the platform clock (the tickets open at T have no handling times; the platform
    clock's working days would send the calendar's exceptions as a few hundred parameters for
    nothing). clock: the cohort's (a level's clock counts its handling working days from its own
    start, in SQL; the unit's are stored at approval)."""
    c = tickets.c
    t = as_of_param(as_of)
    closed = c.closed == 1
    replies, rejects = ALIASES["replies"], ALIASES["rejects"]
    reply, reject = replies.c, rejects.c
    # A reply of the current assignment, submitted by the deadline, not rejected by T. Asked only
    # once T is past the deadline, so "by the deadline" implies "by T" (and one upper bound on
    # `at` lets SQLite pick the (ticket_id, action, at) index).
    on_time_reply_awaiting_at_t = sa.exists().where(
        reply.ticket_id == c.ticket_id, reply.action == "reply",
        reply.at >= c.assigned_at, rules.replied_by_sql(reply.at, c.due_at),
        ~sa.exists().where(reject.ticket_id == reply.ticket_id, reject.action == "reject",
                           reject.id > reply.id, reject.at <= t).correlate(replies),
    )
    # the states as literals: an IN list of parameters is expanded at each execution, and
    # arriving() sends a statement compiled once
    latest_reply_stood_at_t = sa.and_(c.state.in_([sa.literal_column("'replied'"), sa.literal_column("'closed'")]),
                                      c.replied_at <= t)
    whens = [
        (closed, 0),
        (sa.not_(rules.past_due_sql(c.due_at, t)), 0),
        # the row is exact here: the latest reply was submitted by T and nothing followed it by T
        (sa.and_(latest_reply_stood_at_t, rules.replied_by_sql(c.replied_at, c.due_at)), 0),
        (latest_reply_stood_at_t, 1),
    ]
    # no reply since the unit's clock started (an assignment clears replied_at). A level's clock
    # that is not the ticket's own may have started before that assignment: a reply of an
    # earlier unit of the same region may have been awaiting review at T, so those ask the events.
    # So may the ticket's own clock when its reply was rejected after T: the assignment that then
    # cleared it may have kept the clock running (a region taking the ticket back), and at T the
    # reply stood. A reply can be cleared only after its rejection (no reassignment from
    # replied), so without a rejection later than T the empty column is the answer at T too.
    no_reply = sa.and_(c.replied_at.is_(None), ~sa.exists().where(
        reject.ticket_id == c.ticket_id, reject.action == "reject", reject.at > t))
    whens.append((no_reply if clock == UNIT_CLOCK else sa.and_(c.own_clock == 1, no_reply), 1))
    # a rejected reply, or one after T: ask the events (rare, so the subquery rarely runs)
    whens.append((on_time_reply_awaiting_at_t, 0))
    overdue = sa.case(*whens, else_=1)
    p_overdue = sa.case((sa.and_(sa.not_(closed), rules.past_due_sql(c.platform_due_at, t)), 1), else_=0)
    if overdue_only:
        return sa.select(c.key, c.ticket_id, overdue.label("overdue"), p_overdue.label("p_overdue")).subquery("flags")
    on_time = sa.case((sa.and_(closed, rules.replied_by_sql(c.replied_at, c.unit_due_at)), 1), else_=0)
    last_day = max(local_date(as_of), date_from)  # as sums_by_key's shape names it
    workday = lambda ts: fsql.workday_index(fsql.local_day_number(ts), calendar, date_from, last_day)  # noqa: E731
    query = sa.select(
        c.key, c.ticket_id, c.state, c.received_at, c.replied_at, c.closed_at, c.due_at, c.closed,
        on_time.label("on_time"),
        (c.closed - on_time).label("late"),
        overdue.label("overdue"),
        sa.case((closed, rules.handling_micros_sql(c.assigned_at, c.replied_at))).label("micros"),
        sa.case((closed, c.handling_workdays if clock == UNIT_CLOCK
                 else workday(c.replied_at) - workday(c.assigned_at))).label("workdays"),
        sa.case((sa.and_(closed, rules.platform_on_time_sql(c.closed_at, c.platform_due_at)), 1),
                else_=0).label("p_on_time"),
        p_overdue.label("p_overdue"),
        sa.case((closed, rules.handling_micros_sql(c.received_at, c.closed_at))).label("p_micros"),
        sa.case((closed, workday(c.closed_at) - workday(c.received_at))).label("p_workdays"),
    )
    if db.session.get_bind().dialect.name == "sqlite":
        # SQLite flattens a plain subquery into the aggregate over it and then evaluates a flag's
        # expression once per reference (a sum and a count of the same times: twice); a LIMIT
        # keeps the subquery a co-routine whose columns are computed once per ticket
        query = query.limit(-1)
    return query.subquery("flags")


AGGREGATED = ("key", "closed", "on_time", "overdue", "micros", "workdays",
              "p_on_time", "p_overdue", "p_micros", "p_workdays")


CLOCKS = ("", "p_")  # column prefixes: the unit's clock, the office's platform clock


def sum_and_count(value, prefix: str, name: str, count_name: str) -> list:
    """A mean's sum and count, exact integers, divided and rounded in Python (exact_mean). A mean
    of float hours would depend on the order the database adds them in (parallel plans vary it)
    and round a mean of exactly x.xx5 down about one time in four. The sum comes as a bigint,
    not the numeric PostgreSQL sums bigints into (a Decimal each in Python); a bigint holds
    290,000 years of microseconds."""
    return [sa.cast(sa.func.sum(value), sa.BigInteger).label(prefix + name),
            sa.func.count(value).label(prefix + count_name)]


def aggregate(rows, grouped: bool):
    """Layer 3 on SQLite without percentiles: one row of sums per group key (median and P90 NULL)."""
    r = rows.c
    cols = [sa.func.count().label("received"), sa.func.sum(r.closed).label("closed")]
    for prefix in CLOCKS:
        cols += [
            sa.func.sum(r[prefix + "on_time"]).label(prefix + "on_time"),
            sa.func.sum(r[prefix + "overdue"]).label(prefix + "overdue"),
            *sum_and_count(r[prefix + "micros"], prefix, "micros", "timed"),
            sa.null().label(prefix + "median_hours"),
            sa.null().label(prefix + "p90_hours"),
            *sum_and_count(r[prefix + "workdays"], prefix, "days", "days_n"),
        ]
    if grouped:
        return sa.select(r.key, *cols).group_by(r.key)
    return sa.select(sa.literal(None).label("key"), *cols)


def figures_by_key(scope: Scope, date_from: date, date_to: date, as_of: datetime, key_kind: str | None,
                    calendar: WorkCalendar, months: list[date] | None = None, *, percentiles: bool = True,
                    platform: bool = True, with_total: bool = False, clock: str = UNIT_CLOCK,
                    with_unassigned: bool | str = False) -> dict:
    """Figures per group key; with_total, also the whole cohort's under the key None. clock and
    with_unassigned: as cohort()."""
    sums = sums_by_key(scope, date_from, date_to, as_of, key_kind, calendar, months, percentiles=percentiles,
                       platform=platform, with_total=with_total, clock=clock, with_unassigned=with_unassigned)
    return sums.figures


class Sums:
    """An aggregate's rows: group key → the sums to_figures reads from position 0 (received,
    closed, then PER_CLOCK columns per clock); rounded: the percentiles come as rounded hours
    (PostgreSQL) rather than scaled microseconds. `figures`: each row's Figures, derived when
    first read, or by sums_by_key as the rows arrived; with platform=PLATFORM_TOTAL only the
    total's (key None) has the platform clock."""

    __slots__ = ("rows", "rounded", "platform", "_figures")

    def __init__(self, rows: dict, rounded: bool, figures: dict | None = None, platform: bool | str = True):
        self.rows, self.rounded, self.platform, self._figures = rows, rounded, platform, figures

    @property
    def figures(self) -> dict:
        if self._figures is None:
            self._figures = {key: to_figures(row, 0, rounded=self.rounded,
                                             platform=shows_platform(self.platform, key))
                             for key, row in self.rows.items()}
        return self._figures


def shows_platform(platform: bool | str, key) -> bool:
    """Whether a row of sums_by_key(platform=...) has its platform clock's Figures."""
    return platform is True or (platform == PLATFORM_TOTAL and key is None)


# positions of the median and P90 in a Sums row: not sums, so never added (add_sums)
_PERCENTILE_POSITIONS = frozenset(2 + clock * PER_CLOCK + i for clock in range(len(CLOCKS)) for i in (4, 5))
_WIDTH = 2 + len(CLOCKS) * PER_CLOCK


def add_sums(rows) -> tuple:
    """The column sums of Sums rows of one shape (counts and integer sums add exactly); the
    percentiles are left None, as they do not add up."""
    rows = list(rows)
    return tuple(None if i in _PERCENTILE_POSITIONS else sum(int(row[i] or 0) for row in rows)
                 for i in range(_WIDTH))


def sums_by_key(scope: Scope, date_from: date, date_to: date, as_of: datetime, key_kind: str | None,
                calendar: WorkCalendar, months: list[date] | None = None, *, percentiles: bool = True,
                platform: bool | str = True, with_total: bool = False, clock: str = UNIT_CLOCK,
                with_unassigned: bool | str = False, each=None) -> Sums:
    """figures_by_key's sums, before they become Figures (closure.py adds the office's from them).
    platform: True, False (no platform clock) or PLATFORM_TOTAL (the total's alone).
    each: called with each row's key and Figures as they are derived; on PostgreSQL while the
    database is still computing the next rows (closure's json_rows writes each row's JSON there)."""
    grouped, native = key_kind is not None, native_percentiles()
    last_day = max(local_date(as_of), date_from)  # flags(): the working days counted up to T's day
    later_extensions = extensions_after(as_of)

    def build():
        tickets = cohort(scope, date_from, date_to, as_of, key_kind, months, clock=clock,
                         with_unassigned=with_unassigned, later_extensions=later_extensions, fenced=native)
        per_ticket = flags(tickets, as_of, calendar, date_from, clock=clock)
        if native:
            return aggregate_native(per_ticket, grouped, percentiles, rollup=grouped and with_total,
                                    platform=platform)
        if percentiles:
            f = per_ticket.c
            return sa.select(*(f[name] for name in AGGREGATED))
        return aggregate(per_ticket, grouped)

    shape = ("sums", native, scope_shape(scope), key_kind, tuple(months or ()), percentiles, platform,
             with_total, clock, with_unassigned, later_extensions, fsql.exceptions(calendar, date_from, last_day))
    query, params = reuse(shape, build), bound(as_of, date_from, date_to, scope)
    if native:
        # (key, total_row, sums...): positions, not names, for a province's thousands of rows;
        # each row's Figures derived as it arrives, while the database forms the next groups
        rows, figures = {}, {}
        for row in arriving(query, params):
            key, sums = None if row[1] else row[0], row[2:]
            rows[key] = sums
            derived = figures[key] = to_figures(sums, 0, rounded=True, platform=shows_platform(platform, key))
            if each is not None:
                each(key, derived)
        return Sums(rows, True, figures, platform)
    if percentiles:
        # SQLite has no percentile_cont and no ROLLUP: the flags come once per ticket and are
        # summed and ranked here (ranking in SQL took two window sorts per clock, and the total a
        # second pass over a materialised cohort)
        sums = Sums(tally(execute(query, params).all(), grouped, with_total), False, platform=platform)
    else:
        rows = {row[0]: row[1:] for row in execute(query, params).all()}
        if grouped and with_total:  # without percentiles every column of the total is the groups' sum
            rows[None] = add_sums(rows.values())
        sums = Sums(rows, False, platform=platform)
    if each is not None:
        for key, derived in sums.figures.items():
            each(key, derived)
    return sums


def tally(rows, grouped: bool, with_total: bool) -> dict:
    """aggregate()'s rows with the percentiles, from the per-ticket flags (AGGREGATED, in that order):
    key → received, closed, then per clock on_time, overdue, the handling microseconds' sum and
    count, median and P90 (scaled integers: percentile_scaled) and the working days' sum and
    count. The total (key None) when not grouped or with_total. The handling times are those of
    closed tickets (flags() leaves the others NULL), NULLs skipped, as percentile_cont does."""
    groups: dict = {}
    for key, closed, on_time, overdue, micros, workdays, p_on_time, p_overdue, p_micros, p_workdays in rows:
        acc = groups.get(key if grouped else None)
        if acc is None:
            acc = groups[key if grouped else None] = [0, 0, 0, 0, [], 0, 0, 0, 0, [], 0, 0]
        # the two clocks' columns written out, not a helper per clock: this runs per ticket
        acc[0] += 1
        acc[1] += closed
        acc[2] += on_time
        acc[3] += overdue
        if micros is not None:
            acc[4].append(micros)
        if workdays is not None:
            acc[5] += workdays
            acc[6] += 1
        acc[7] += p_on_time
        acc[8] += p_overdue
        if p_micros is not None:
            acc[9].append(p_micros)
        if p_workdays is not None:
            acc[10] += p_workdays
            acc[11] += 1
    if grouped and with_total:  # the counts add; the times are pooled for the total's ranks
        accs = list(groups.values())
        groups[None] = [sum(acc[i] for acc in accs) if i not in (4, 9) else [v for acc in accs for v in acc[i]]
                        for i in range(12)]
    out = {}
    for k, (received, closed, on_time, overdue, micros, days, days_n, p_on_time, p_overdue, p_micros, p_days,
            p_days_n) in groups.items():
        out[k] = (received, closed,
                  *_clock_sums(on_time, overdue, micros, days, days_n),
                  *_clock_sums(p_on_time, p_overdue, p_micros, p_days, p_days_n))
    if not grouped or with_total:
        out.setdefault(None, add_sums(()))
    return out


def _clock_sums(on_time: int, overdue: int, micros: list[int], days: int, days_n: int) -> tuple:
    """One clock's PER_CLOCK columns, in aggregate()'s order, with the percentiles."""
    micros.sort()
    total = sum(micros) if micros else None
    return (on_time, overdue, total, len(micros), percentile_scaled(micros, *MEDIAN),
            percentile_scaled(micros, *P90), days if days_n else None, days_n)


def percentile_scaled(ordered: list[int], numerator: int, denominator: int) -> int | None:
    """percentile_cont(numerator/denominator) of sorted integers, times `denominator`: linear
    interpolation between the values around the 0-based position p·(n − 1), in integers only
    (lo·(d − r) + hi·r), so that a value exactly on a half cent stays exact when derive.py
    divides it by the denominator and rounds it (exact_mean); None over no value."""
    n = len(ordered)
    if not n:
        return None
    below, r = divmod(numerator * (n - 1), denominator)
    out = ordered[below] * (denominator - r)
    return out + ordered[below + 1] * r if r else out


def native_percentiles() -> bool:
    """PostgreSQL 12+: the percentiles from each group's values in order (percentile_scaled_sql),
    the total in the same pass (GROUP BY ROLLUP), the rounding in SQL. SQLite has neither ordered
    aggregates nor ROLLUP: the flags are ranked and summed in Python (tally), the same figures."""
    bind = db.session.get_bind()
    return bind.dialect.name == "postgresql" and (bind.dialect.server_version_info or (0,)) >= (12,)


def percentile_scaled_sql(micros, fraction: tuple[int, int]):
    """percentile_scaled in SQL: a group's percentile numerator/denominator of whole
    microseconds (NULLs skipped, as percentile_cont skips them) times the denominator, an exact
    integer: lo·(d − r) + hi·r around the 0-based position p·(n − 1) = below + r/d of the
    group's values in order. percentile_cont interpolates in doubles, whose error grows with the
    group's size and spread; this is the reference's figure on any group."""
    ordered = sa.type_coerce(sa.func.array_agg(aggregate_order_by(micros, micros)).filter(micros.is_not(None)),
                             ARRAY(sa.BigInteger)).self_group()
    return scaled_pick(ordered, sa.func.count(micros), fraction)


def scaled_pick(ordered, count, fraction: tuple[int, int]):
    """percentile_scaled_sql's value from `count` values in order (a 1-based array): lo·(d − r) +
    hi·r around the 0-based position p·(n − 1) = below + r/d; NULL over no value."""
    numerator, denominator = fraction
    position = (count - 1) * numerator
    below, r = position // denominator, position % denominator
    # at r = 0 the next value may be past the end (NULL), and counts for nothing
    return ordered[below + 1] * (denominator - r) + sa.func.coalesce(ordered[below + 2], 0) * r


def hours_rounded_sql(scaled, denominator: int):
    """derive.exact_mean(scaled, denominator, MICROS_PER_HOUR) in SQL, in integers: a percentile
    (percentile_scaled_sql) in hours, half up (away from zero) to two decimals. A province's
    rows round in the database, not in Python."""
    unit = denominator * fsql.MICROS_PER_HOUR

    def cents(x):  # floor(100·x/unit + 1/2) of x >= 0, as exact_mean
        return (200 * x + unit) // (2 * unit)

    return sa.cast(sa.case((scaled >= 0, cents(scaled)), else_=-cents(-scaled)), sa.Float) / 100


def aggregate_native(per_ticket, grouped: bool, percentiles: bool, *, rollup: bool, platform: bool | str = True):
    """Layer 3 on PostgreSQL: one row of sums per group key, and with rollup the total row
    (total_row = 1). The percentiles skip the NULL hours of tickets not closed by T. Median and
    P90 come rounded (hours_rounded_sql); the means' integer sums are divided in Python (exact_mean).
    platform=PLATFORM_TOTAL with rollup: the platform clock's median and P90 of the total row
    alone (NULL in the groups' rows), from its times put in order once a level up, instead of
    each group's times put in order for rows that do not show them."""
    f = per_ticket.c
    cols = [sa.func.count().label("received"), sa.func.sum(f.closed).label("closed")]
    scaled_by = {}  # the percentiles' labels → their denominators, rounded by the outer query
    total_only = {}  # platform=PLATFORM_TOTAL: such a percentile's label → its fraction
    for prefix in CLOCKS:
        if prefix == "p_" and not platform:  # unread: the planner then computes none of its flags
            cols += [sa.null().label(prefix + name) for name in (
                "on_time", "overdue", "micros", "timed", "median_hours", "p90_hours", "days", "days_n")]
            continue
        micros = f[prefix + "micros"]

        def scaled(name: str, fraction: tuple[int, int]):
            if not percentiles:
                return sa.null().label(prefix + name)
            scaled_by[prefix + name] = fraction[1]
            if prefix == "p_" and platform == PLATFORM_TOTAL and rollup:
                total_only[prefix + name] = fraction
                return sa.null().label(prefix + name)  # a placeholder: picked a level up
            return percentile_scaled_sql(micros, fraction).label(prefix + name)

        cols += [
            sa.func.sum(f[prefix + "on_time"]).label(prefix + "on_time"),
            sa.func.sum(f[prefix + "overdue"]).label(prefix + "overdue"),
            *sum_and_count(f[prefix + "micros"], prefix, "micros", "timed"),
            scaled("median_hours", MEDIAN),
            scaled("p90_hours", P90),
            *sum_and_count(f[prefix + "workdays"], prefix, "days", "days_n"),
        ]
    if total_only:
        # the total's platform times as they come (no sort per group), put in order below
        cols.append(sa.func.array_agg(f.p_micros).filter(f.p_micros.is_not(None)).label("p_times"))
    if not grouped:
        query = sa.select(sa.literal(None).label("key"), sa.literal(0).label("total_row"), *cols)
    elif rollup:
        query = sa.select(f.key, sa.func.grouping(f.key).label("total_row"), *cols).group_by(sa.func.rollup(f.key))
    else:
        query = sa.select(f.key, sa.literal(0).label("total_row"), *cols).group_by(f.key)
    if not scaled_by:
        return query
    sums = query.subquery("sums")
    columns = list(sums.c)
    if total_only:
        sums = _total_times_in_order(sums)
        columns = [sums.c[c.name] for c in columns if c.name != "p_times"]
    picked = {name: scaled_pick(sums.c.p_sorted, sums.c.p_timed, fraction) for name, fraction in total_only.items()}
    # rounded a level up, where each percentile is a value: hours_rounded_sql reads its argument
    # twice, and here that is not the ranking twice over
    return sa.select(*(hours_rounded_sql(picked.get(c.name, c), scaled_by[c.name]).label(c.name)
                       if c.name in scaled_by else c for c in columns))


def _total_times_in_order(sums):
    """sums with p_sorted: the total row's platform times in order (NULL in the groups' rows),
    one sort of the total's times. A fenced subquery (OFFSET 0), so that the picks that read it
    do not each sort them again."""
    times = sa.func.unnest(sums.c.p_times).table_valued("v").render_derived()
    in_order = sa.select(sa.func.array_agg(aggregate_order_by(times.c.v, times.c.v))).scalar_subquery()
    p_sorted = sa.type_coerce(sa.case((sums.c.total_row == 1, in_order)), ARRAY(sa.BigInteger))
    return (sa.select(*(c for c in sums.c if c.name != "p_times"), p_sorted.label("p_sorted"))
            .offset(0).subquery("ranked"))


def execute(query, params: dict | None = None, *, stream: int | None = None):
    """Run a figures query (with `params`, a reused statement's values: bound()); `stream` rows
    at a time through a server-side cursor when given."""
    session = db.session
    if session.get_bind().dialect.name == "postgresql":
        _settings(session, stream=bool(stream))
    # Core rows from the session's connection (same transaction): no ORM result machinery
    return session.connection().execute(query.execution_options(yield_per=stream) if stream else query, params)


def _settings(session, *, stream: bool = False) -> None:
    """The figures' planner settings, for this transaction only (set_config(..., true) is SET
    LOCAL), in one round trip, once per transaction (a page runs several figures queries):
    - jit off: JIT spends seconds compiling these wide expressions and wins nothing back;
    - work_mem: a month's cohort sorts (percentiles, groups) in memory, not on disk;
    - extra_float_digits = 1: the hours (doubles) as their shortest text that reads back
      exactly, whatever the server's own setting;
    - no parallel workers: a page's statements read a few thousand rows each, and starting
      workers cost them more than the workers saved (a month's aggregate for
      /api/v1/metrics/closure is planned serial either way).
    A cursor is planned for its first 10% of rows by default, which here picks nested loops
    far slower than the plan for all rows: cursor_tuple_fraction = 1 when streaming."""
    sql = _settings_sql(session, stream=stream)
    if sql is not None:
        session.connection().exec_driver_sql(sql)


_SETTINGS = {"jit": "off", "work_mem": "32MB", "extra_float_digits": "1", "max_parallel_workers_per_gather": "0"}


def _settings_sql(session, *, stream: bool = False) -> str | None:
    """The statement that applies _settings' values when this transaction has not had them yet
    (it is then counted as having them: the caller sends it); None when nothing is to be sent."""
    if (session.get_bind().dialect.server_version_info or (0,)) < (11,):
        return None
    connection = session.connection()
    transaction = connection.get_transaction()
    settings = {}
    if connection.info.get("figures_settings") is not transaction:
        settings = dict(_SETTINGS)
        connection.info["figures_settings"] = transaction
    if stream:
        settings["cursor_tuple_fraction"] = "1"
    if not settings:
        return None
    return "SELECT " + ", ".join(f"set_config('{name}', '{value}', true)" for name, value in settings.items())


def arriving(query, params: dict | None = None):
    """The rows of a figures query as the server sends them (PostgreSQL): the caller works on
    each row while the database is still computing the next ones, in the same transaction and
    snapshot. execute() returns only once the last row is in, and a province's thousands of
    groups leave the database's aggregate one by one over most of the statement's time.
    The values are the driver's own (no SQLAlchemy result types): for statements of numbers.
    Elsewhere (SQLite, in process) the rows of execute()."""
    session = db.session
    connection = session.connection()
    statement = _driver_statement(connection, query, params)
    if statement is None:
        yield from execute(query, params)
        return
    _settings(session)
    driver = connection.connection.driver_connection
    connection.info[_STREAMED] = True  # for fetch_together, on the DBAPI connection's own info
    with _driver_errors(connection, statement):
        # rows in chunks (libpq's chunked rows mode), not a round trip each
        with driver.cursor() as cursor:
            yield from cursor.stream(*statement, size=ARRIVING_CHUNK)


_STREAMED = "figures_streamed"  # arriving() streamed on this connection since fetch_together last ran


def fetch_all(query, params: dict | None = None, *, hashed: bool = False) -> list:
    """All the rows of a figures query of numbers, in one fetch. hashed (PostgreSQL): the query
    groups by a key of few values that the planner cannot count (a CASE over received_at, a
    region): it is planned without sorts (a hash aggregate, not a sort of every row by the key),
    and the setting is put back after it."""
    return fetch_together([(query, params)], hashed=hashed)[0]


def fetch_together(statements: list[tuple], *, hashed: bool | list[bool] = False) -> list[list]:
    """The rows of each (query, params), all at once. On PostgreSQL the queries go in one round
    trip (psycopg's pipeline), with the transaction's figures settings when it has not had them
    yet and, around the hashed ones, enable_sort off before them and back after: a page runs two
    dozen small statements, and the round trips were a good part of its time. hashed: as
    fetch_all's, for every statement or (a list) for each. The values are the driver's own (no
    SQLAlchemy result types): for statements of numbers. If one fails, the server skips the rest
    and the transaction is aborted (its rollback undoes the settings); its own error, with its
    SQL and values, is what the caller sees."""
    if not statements:
        return []
    flags = list(hashed) if isinstance(hashed, (list, tuple)) else [hashed] * len(statements)
    if len(flags) != len(statements):
        raise ValueError(f"hashed: one flag per statement ({len(statements)}), not {len(flags)}")
    session = db.session
    connection = session.connection()
    prepared = [_driver_statement(connection, query, params) for query, params in statements]
    if connection.dialect.name != "postgresql":
        return [execute(query, params).all() for query, params in statements]
    # each statement's place in what is sent: the settings first, the sort switched off before a
    # run of hashed statements and back after it
    sent, places = [], []
    settings = _settings_sql(session)
    if settings is not None:
        sent.append((settings,))
    for i, statement in enumerate(prepared):
        if flags[i] and (i == 0 or not flags[i - 1]):
            sent.append((_SORT_OFF,))
        places.append(len(sent))
        sent.append(statement)
        if flags[i] and (i + 1 == len(flags) or not flags[i + 1]):
            sent.append((_SORT_BACK,))
    if None in prepared:  # one statement at a time
        out, which = [], {place: k for k, place in enumerate(places)}
        for i, statement in enumerate(sent):
            if i in which:
                query, params = statements[which[i]]
                out.append(execute(query, params).all())
            else:
                connection.exec_driver_sql(statement[0])
        return out
    driver = connection.connection.driver_connection
    cursors_sent: list = []

    def refused():  # the statement the server failed: the first one sent that has no result
        return next((statement for statement, cursor in zip(sent, cursors_sent) if cursor.pgresult is None),
                    sent[0])

    with ExitStack() as cursors, _driver_errors(connection, refused):  # named while the cursors are open
        cursors_sent += [cursors.enter_context(driver.cursor()) for _ in sent]
        first = 0
        if connection.info.pop(_STREAMED, False):
            # libpq keeps a stream's chunked-rows mode into a pipeline that follows it (the
            # pipeline then fails on the first result); a query of its own ends that mode
            cursors_sent[0].execute(*sent[0])
            first = 1
        with driver.pipeline():
            for cursor, statement in zip(cursors_sent[first:], sent[first:]):
                cursor.execute(*statement)
        return [cursors_sent[i].fetchall() for i in places]


def _driver_statement(connection, query, params: dict | None):
    """(SQL, values) of a figures statement for the driver itself, as SQLAlchemy would send them
    (its bind processors applied: a UTC time goes as the naive UTC the columns hold); None on
    SQLite, or when the SQL depends on the values (expanding IN lists)."""
    compiled = _compiled(query, connection.dialect) if connection.dialect.name == "postgresql" else None
    if compiled is None:
        return None
    sql, processors, escaped, compiled = compiled
    values = compiled.construct_params(params, escape_names=False)
    for name, process in processors.items():
        values[name] = process(values[name])
    return sql, {escaped.get(name, name): value for name, value in values.items()}


@contextmanager
def _driver_errors(connection, statement):
    """The driver's errors as SQLAlchemy's own execution raises them: its error classes, the
    statement's SQL and values (`statement`, or a function that names it once the error is in),
    and a lost connection invalidated, not handed to the next request."""
    dialect = connection.dialect
    try:
        yield
    except dialect.loaded_dbapi.Error as error:
        lost = dialect.is_disconnect(error, connection.connection.driver_connection, None)
        if lost:
            connection.invalidate(error)
        sql, *values = statement() if callable(statement) else statement  # (settings,) have no values
        values = values[0] if values else None
        raise sa.exc.DBAPIError.instance(sql, values, error, dialect.loaded_dbapi.Error,
                                         connection_invalidated=lost, dialect=dialect) from error


ARRIVING_CHUNK = 64
_compiled_statements: OrderedDict = OrderedDict()


def _compiled(query, dialect):
    """(the SQL for the driver, its parameters' bind processors by name, the escaped names,
    the compiled form) of a statement, compiled once per statement object: reused statements
    (reuse()) are the same object on every request. The processors are what SQLAlchemy
    applies before the driver sees a value (a UTCDateTime goes as the naive UTC the columns
    hold). None when the SQL depends on the values (expanding or literal parameters)."""
    key = id(query)
    with _statements_lock:
        kept = _compiled_statements.get(key)
        if kept is not None and kept[0] is query:
            _compiled_statements.move_to_end(key)
            return kept[1]
    compiled = query.compile(dialect=dialect)
    out = None
    if not compiled.literal_execute_params and not compiled.post_compile_params:
        processors = {}
        for bindparam, name in compiled.bind_names.items():
            process = bindparam.type.dialect_impl(dialect).bind_processor(dialect)
            if process is not None:
                processors[name] = process
        out = (compiled.string, processors, dict(compiled.escaped_bind_names or {}), compiled)
    with _statements_lock:
        # the statement is kept with its entry, so its id is no other's while the entry lasts
        _compiled_statements[key] = (query, out)
        while len(_compiled_statements) > STATEMENTS_KEPT:
            _compiled_statements.popitem(last=False)
    return out


# enable_sort off for the statements between, and back as it was: the value before is kept in a
# setting of the transaction's own, so that all go to the server at once (fetch_together). The
# estimate of a computed key's values is the rows' count, so PostgreSQL would sort a year's open
# tickets by month to group them into twelve.
_SORT_OFF = ("SELECT set_config('feedback.enable_sort', current_setting('enable_sort'), true), "
             "set_config('enable_sort', 'off', true)")
_SORT_BACK = "SELECT set_config('enable_sort', current_setting('feedback.enable_sort'), true)"


__all__ = [
    "ALIASES", "AS_OF", "CLOCKS", "CLOCK_KINDS", "HEAD_CLOCK", "ROOT_CLOCK", "UNIT_CLOCK", "PER_CLOCK", "aggregate", "aggregate_native", "as_of_param", "cohort", "execute", "extensions_after", "extensions_after_probe", "fetch_all", "unassigned_statement", "region_values", "fetch_together", "arriving",
    "Sums", "UNASSIGNED_ONLY", "add_sums", "bound", "period_params", "reuse", "scope_shape", "percentile_scaled", "tally", "figures_by_key", "flags", "sums_by_key", "key_expr", "native_percentiles", "region_map", "hours_rounded_sql", "percentile_scaled_sql",
]
