"""The closure figures of whole months from the settled counts plus the tickets still open at T.

For a period of whole months, closure() without percentiles and without the platform clock
(the dashboard's table, by unit or by region, and the top office's own figure) reads here
instead of every ticket of the period. The parts, as in series.py (its docstring says why each
is exact), but keyed by unit or region:

- settled: settled_month_counts (figures/models.py, kept by triggers) summed per key over the
  months: closed, on_time and the integer sums of the handling times (microseconds and working
  days, with how many tickets each);
- corrections: the settled tickets of the period not closed by T or not yet received at T,
  subtracted (at T = now, an empty range of ix_tickets_closed_at);
- live: the cohort's tickets not closed by T (cohort.cohort and cohort.flags, as closure() evaluates
  them), counted, and those overdue at T.

- forwarded (group="region" only, each row on the hand-off into its region): the settled
  tickets counted at T that a level above their unit forwarded (clock_top_depth > 0, a partial
  index), their own clock's parts swapped for the region clock's (cohort.flags on each).

Per key: closed = settled − corrections (likewise on_time and the sums), received = closed +
live, overdue_open = the live part's overdue, and derive.clock_figures derives the rest from
the same integers closure()'s own query sums, so the figures are the same to the last digit
(tests/figures/test_settled.py compares them). The total is the rows' sum: every part is an
integer sum over tickets, and each ticket has one key.

The settled part reads one row per unit and month of settled_month_counts, the live part the
month's open tickets through the unsettled index, instead of every ticket of the month.

office_platform(): the top office's own figure on the platform clock, from
settled_day_counts (per month and day; the working days as a difference of positions in
the working-day count) with the same three parts over every valid ticket, 未分派 included.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

import sqlalchemy as sa

from feedback.calendar.workdays import WorkCalendar
from feedback.directory.models import Unit
from feedback.accounts.scope import Scope
from feedback.figures import rules
from feedback.figures import snapshot
from feedback.figures import sql as fsql
from feedback.figures.cohort import (AS_OF, HEAD_CLOCK, PERIOD_END, PERIOD_START, UNASSIGNED_ONLY, UNIT_CLOCK,
                                     as_of_param, bound, cohort, extensions_after, extensions_after_probe,
                                     fetch_all, fetch_together, flags, key_expr,
                                     period_params, region_map, region_values, reuse, scope_shape,
                                     unassigned_statement)
from feedback.figures.derive import clock_figures
from feedback.figures.models import SettledMonthCount, SettledDayCount, settled_clause
from feedback.figures.results import Figures
from feedback.tickets.models import Ticket
from feedback.timeutil import UTCDateTime, local_date

# the integer parts of a key's figures, in this order in every part's rows
PARTS = ("closed", "on_time", "timed", "micros", "days_n", "days")


def whole_months(date_from: date, date_to: date) -> bool:
    """[date_from, date_to] is one or more whole calendar months."""
    return date_from.day == 1 and (date_to + timedelta(days=1)).day == 1 and date_from <= date_to


def figures_by_key(scope: Scope, date_from: date, date_to: date, as_of: datetime, key_kind: str,
                   calendar: WorkCalendar, clock: str = UNIT_CLOCK) -> dict:
    """Figures per unit id (key_kind "unit") or group head id ("region"), and the total under
    None; median, P90 and the platform clock left None. The period must be whole months.
    clock: UNIT_CLOCK (each unit's own) or HEAD_CLOCK (group="region": the hand-off into each
    row's region). The settled counts hold the own clocks; a ticket a level above its unit
    forwarded (clock_top_depth > 0) may be on another clock in its region's row, and those few
    are read one by one (forwarded())."""
    return report(scope, date_from, date_to, as_of, key_kind, calendar, clock)[0]


def report(scope: Scope, date_from: date, date_to: date, as_of: datetime, key_kind: str, calendar: WorkCalendar,
           clock: str = UNIT_CLOCK, *, office: bool = False) -> tuple[dict, Figures | None, int | None]:
    """figures_by_key's figures, and with `office` the top office's own figure (office_platform)
    and 未分派 (cohort.unassigned_statement) beside them: its open tickets are the rows' (each
    ticket with a unit has one key) plus those in triage, so the month's open tickets are read
    once."""
    if not whole_months(date_from, date_to):
        raise ValueError(f"not whole months: {date_from}..{date_to}")
    if clock not in (UNIT_CLOCK, HEAD_CLOCK):
        raise ValueError(f"the settled counts serve the units' and the heads' clocks, not {clock!r}")
    # One round trip: the settled sums, the probes that decide which other parts to read, and
    # the parts as the probes' usual answer has them (at T = now no ticket was closed or extended
    # after T, and a ticket forwarded below the level that routed it is rare). A probe that
    # answers otherwise has its parts asked again below; the guess then cost the database a
    # statement, and the answer is the same.
    probes = [settled_statement(scope, date_from, date_to, key_kind), closed_after_probe(as_of),
              extensions_after_probe(as_of)]
    if clock == HEAD_CLOCK:
        probes.append(_forwarded_probe(bound(as_of, date_from, date_to)))
    guess = dict(clock=UNIT_CLOCK, later=(False, False))
    guesses = [live_statement(scope, date_from, date_to, as_of, key_kind, calendar, platform=office, **guess)]
    if office:
        guesses += [live_statement(scope, date_from, date_to, as_of, None, calendar,
                                   with_unassigned=UNASSIGNED_ONLY, platform=True, **guess),
                    office_platform_statement(scope, date_from, date_to, as_of, calendar)]
        guesses += filter(None, [unassigned_statement(scope, True, as_of, date_from, date_to)])
    # the first guess planned as live_counts plans it
    hashed = [False] * len(probes) + [key_kind is not None] + [False] * (len(guesses) - 1)
    answers = fetch_together(probes + guesses, hashed=hashed)
    (rows, closed, extended, *moved), (live, *office_rows) = answers[:len(probes)], answers[len(probes):]
    closed_after(as_of, asked=closed)  # the snapshot's answers, for the parts below
    extensions_after(as_of, asked=extended)
    guessed = not (closed or extended or (moved and moved[0]))
    settled = keyed(rows)
    corrected = corrections(scope, date_from, date_to, as_of, key_kind)
    live_clock = clock
    if clock == HEAD_CLOCK:
        if moved[0]:  # forwarded below the level that routed them: their own clocks out, their region's in
            _add(corrected, forwarded(scope, date_from, date_to, as_of, key_kind, calendar))
        else:
            # no ticket of the cohort was forwarded below the level that routed it, so each one's
            # region clock is its own (cohort.level_clock joins nothing): the live part need not
            # look up hand-offs
            live_clock = UNIT_CLOCK
    if guessed:
        live = keyed(live)
    else:
        live = live_counts(scope, date_from, date_to, as_of, key_kind, calendar, clock=live_clock, platform=office)
    zero, none = (0,) * len(PARTS), (0, 0)
    out = {}
    for key in settled.keys() | corrected.keys() | live.keys():
        parts, minus = settled.get(key, zero), corrected.get(key)
        if minus is not None:  # (at T = now there are none: most keys skip the subtraction)
            parts = tuple([a - b for a, b in zip(parts, minus)])
        open_at_t, overdue = live.get(key, none)[:2]
        if parts[0] + open_at_t:  # a key with no ticket in the cohort has no row (closure()'s zeros)
            out[key] = _figures(parts, open_at_t, overdue)
    # the total: each part's column sums (each ticket has one key, so this is the keys' sum)
    parts = [a - b for a, b in zip(_column_sums(settled, len(PARTS)), _column_sums(corrected, len(PARTS)))]
    live_total = _column_sums(live, 3 if office else 2)
    out[None] = _figures(parts, *live_total[:2])
    if not office:
        return out, None, None
    triage_rows, rollup_rows, *unassigned = office_rows
    if guessed:
        triage = keyed(triage_rows)
    else:
        triage = live_counts(scope, date_from, date_to, as_of, None, calendar, with_unassigned=UNASSIGNED_ONLY,
                             platform=True)
    open_at_t, _overdue, p_overdue = (a + b for a, b in zip(_column_sums(triage, 3), live_total))
    own = office_platform(scope, date_from, date_to, as_of, calendar, live=(open_at_t, p_overdue),
                          asked=rollup_rows)
    return out, own, unassigned[0][0][0] if unassigned else 0


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


def _rows(query, params: dict | None = None, *, hashed: bool = False) -> dict:
    """key (the last column) → the integer sums before it (ints: counts, and sums by _total), the
    rows in one fetch (iterating the result fetches them one at a time). hashed: as cohort.fetch_all."""
    return keyed(fetch_all(query, params, hashed=hashed))


def keyed(rows) -> dict:
    """Rows with their key last (this module's statements) as key → the values before it."""
    return {row[-1]: tuple(row[:-1]) for row in rows}


def _total(value):
    """sum(value) as a whole number, 0 over no value: a bigint, not the numeric PostgreSQL sums
    bigints into (a Decimal each in Python), so that _rows takes the rows as they come."""
    return sa.cast(sa.func.coalesce(sa.func.sum(value), 0), sa.BigInteger)


def settled_sums(scope: Scope, date_from: date, date_to: date, key_kind: str, parts: tuple = PARTS) -> dict:
    """key → `parts` (a prefix of PARTS) summed from settled_month_counts over the months of
    [date_from, date_to] (key_kind "month": the first day of each month; for the whole tree,
    closed and on_time from settled_day_counts)."""
    return _rows(*settled_statement(scope, date_from, date_to, key_kind, parts))


def settled_statement(scope: Scope, date_from: date, date_to: date, key_kind: str, parts: tuple = PARTS) -> tuple:
    """settled_sums' statement and its values."""
    parts = _prefix(parts)
    first, last = (sa.bindparam(name, type_=sa.Date()) for name in ("first_month", "last_month"))
    by_day = key_kind == "month" and scope.covers_all and len(parts) <= 2

    def build():
        if by_day:
            # the whole tree's closed and on-time counts per month: settled_day_counts' unit_closed
            # and unit_on_time are settled_month_counts' summed over the units, a few dozen rows a month
            d = SettledDayCount
            columns = (_total(d.unit_closed), _total(d.unit_on_time))[:len(parts)]
            return sa.select(*columns, d.month.label("key")).where(d.month >= first, d.month <= last) \
                .group_by(d.month)
        s = SettledMonthCount
        query = sa.select(*(_total(getattr(s, name)) for name in parts)).select_from(s)
        query, key = _keyed(query, scope, s.unit_id, key_kind, month=s.month)
        return query.where(s.month >= first, s.month <= last).group_by(key)

    shape = ("settled", scope_shape(scope), key_kind, parts, by_day)
    return reuse(shape, build), {"first_month": date_from, "last_month": date_to.replace(day=1),
                                 **(region_values(scope) if key_kind == "region" else {})}


def corrections(scope: Scope, date_from: date, date_to: date, as_of: datetime, key_kind: str,
                months: list[date] | None = None, parts: tuple = PARTS) -> dict:
    """key → `parts` (a prefix of PARTS) of the settled tickets of the period counted in
    settled_sums that are not closed-and-received by T (key_kind "month" with `months`: the
    series' month index)."""
    statements = corrections_statements(scope, date_from, date_to, as_of, key_kind, months, parts)
    return summed_by_key(fetch_together(statements))


def corrections_statements(scope: Scope, date_from: date, date_to: date, as_of: datetime, key_kind: str,
                           months: list[date] | None = None, parts: tuple = PARTS) -> list[tuple]:
    """corrections' statements and their values (none, one or two: _not_counted_at_t); their
    rows, summed key by key (summed_by_key), are its answer."""
    parts = _prefix(parts)

    def build():
        micros = rules.handling_micros_sql(Ticket.assigned_at, Ticket.replied_at)
        columns = (sa.func.count(), _total(rules.on_time_flag_sql()), sa.func.count(micros), _total(micros),
                   sa.func.count(Ticket.handling_workdays), _total(Ticket.handling_workdays))  # PARTS' order
        query = sa.select(*columns[:len(parts)]).select_from(Ticket)
        query, key = _keyed(query, scope, Ticket.unit_id, key_kind,
                            month=key_expr(scope, "month", months)[0] if key_kind == "month" else None)
        return query.where(settled_clause()).group_by(key)

    shape = ("corrections", scope_shape(scope), key_kind, tuple(months or ()), parts)
    return _not_counted_at_t(shape, build, scope, date_from, date_to, as_of)


def summed_by_key(results: list[list]) -> dict:
    """Rows of sums with their key last, of one or more statements, added key by key."""
    out: dict = {}
    for rows in results:
        _add(out, keyed(rows))
    return out


def _not_counted_at_t(shape: tuple, build, scope: Scope, date_from: date, date_to: date,
                      as_of: datetime) -> list[tuple]:
    """The statements (with their values) of `build()` (sums over tickets with a key last; reused
    under `shape`) over the closed tickets of the period that T does not count as closed: closed
    after T, or closed by T but received after it. Two index ranges, not one OR that reads the
    whole period: closed after T is an empty range of ix_tickets_closed_at at T = now (the
    period's bounds are kept out of the index choice, or SQLite reads the whole period through
    ix_tickets_received_at)."""
    params = bound(as_of, date_from, date_to, scope)
    t, (start, end) = as_of_param(as_of), period_params(date_from, date_to)
    received = sa.func.coalesce(Ticket.received_at, Ticket.received_at)
    out = []
    if closed_after(as_of):
        out.append((reuse((*shape, "closed after T"),
                          lambda: build().where(Ticket.closed_at > t, received >= start, received < end)), params))
    if as_of < params[PERIOD_END]:
        after_start = as_of >= params[PERIOD_START]  # one lower bound: the later of T and the start

        def received_after():
            lower = Ticket.received_at > t if after_start else Ticket.received_at >= start
            return build().where(lower, Ticket.received_at < end, Ticket.closed_at <= t)

        out.append((reuse((*shape, "received after T", after_start), received_after), params))
    return out


def closed_after(as_of: datetime, *, asked: list | None = None) -> bool:
    """Whether any ticket was closed after T: at T = now none was, and the parts that read the
    tickets closed after T (the corrections, the live part's second cohort) are left out. A probe
    of ix_tickets_closed_at, asked once per snapshot and T (snapshot.once); asked: its rows, when
    the caller sent the probe with other statements (closed_after_probe)."""
    return snapshot.once(("closed after", as_of),
                         lambda: bool(fetch_all(*closed_after_probe(as_of)) if asked is None else asked))


def closed_after_probe(as_of: datetime) -> tuple:
    """closed_after's statement and its values: a row when a ticket was closed after T."""
    def build():
        return sa.select(sa.literal(1)).where(Ticket.closed_at > as_of_param(as_of)).limit(1)

    return reuse(("closed after",), build), {AS_OF: as_of}


def _add(into: dict, rows: dict) -> None:
    """Add `rows` (key → integer sums) into `into`, key by key."""
    for key, parts in rows.items():
        before = into.get(key)
        into[key] = parts if before is None else tuple(a + b for a, b in zip(before, parts))


def live_counts(scope: Scope, date_from: date, date_to: date, as_of: datetime, key_kind: str | None,
                calendar: WorkCalendar, months: list[date] | None = None, *, clock: str = UNIT_CLOCK,
                with_unassigned: bool | str = False, platform: bool = False) -> dict:
    """live_statement's rows: key → (received, overdue_open[, platform overdue])."""
    statement = live_statement(scope, date_from, date_to, as_of, key_kind, calendar, months, clock=clock,
                               with_unassigned=with_unassigned, platform=platform)
    # grouped by a month's or a region's key: a few groups the planner cannot count
    return _rows(*statement, hashed=key_kind is not None)


def live_statement(scope: Scope, date_from: date, date_to: date, as_of: datetime, key_kind: str | None,
                   calendar: WorkCalendar, months: list[date] | None = None, *, clock: str = UNIT_CLOCK,
                   with_unassigned: bool | str = False, platform: bool = False,
                   later: tuple[bool, bool] | None = None) -> tuple:
    """key → (received, overdue_open) of the cohort's tickets not closed by T, and with
    `platform` the overdue on the platform clock third: never closed (closed_at IS NULL: the
    partial index) or closed after T (closed_at > T: the closed_at index), as two cohorts so
    that each reads its own index; cohort.flags decides overdue over both as closure() does.
    key_kind as cohort.key_expr ("month" with `months`: the series' month index; None: the total
    alone). clock and with_unassigned: as cohort.cohort. Without `platform` the partial index
    covers every column read (PostgreSQL: an index-only scan). later: (extensions_after,
    closed_after) as the caller assumes them, for a statement sent before the probes answer
    (report()); by default the probes' answers."""
    later_extensions, later_closes = later or (extensions_after(as_of), closed_after(as_of))

    def build():
        t = as_of_param(as_of)
        common = dict(clock=clock, with_unassigned=with_unassigned, later_extensions=later_extensions)
        tickets = cohort(scope, date_from, date_to, as_of, key_kind, months, extra=Ticket.closed_at.is_(None),
                         **common)
        if later_closes:
            later = cohort(scope, date_from, date_to, as_of, key_kind, months, extra=Ticket.closed_at > t,
                           by_received=False, **common)
            tickets = sa.union_all(sa.select(tickets), sa.select(later)).subquery("cohort")
        # no working days: no calendar
        f = flags(tickets, as_of, calendar, date_from, overdue_only=True, clock=clock).c
        columns = (sa.func.count(), _total(f.overdue), *((_total(f.p_overdue),) if platform else ()))
        return sa.select(*columns, f.key).group_by(f.key)

    shape = ("live", scope_shape(scope), key_kind, tuple(months or ()), clock, with_unassigned, platform,
             later_extensions, later_closes)
    return reuse(shape, build), bound(as_of, date_from, date_to, scope)


def forwarded(scope: Scope, date_from: date, date_to: date, as_of: datetime, key_kind: str,
              calendar: WorkCalendar) -> dict:
    """key → PARTS to subtract from the settled sums so that they hold the forwarded tickets
    (clock_top_depth > 0) counted at T on the row's clock (HEAD_CLOCK) instead of their own: the
    own clock's parts minus the head clock's. Only the tickets the corrections leave in (closed
    and received by T); each clock's parts come from cohort.flags, as closure() counts them. A
    ticket whose own clock covers its head's level adds 0. Asked only when _forwarded_probe finds
    such a ticket in the period (report())."""
    def build(clock):
        def make():
            t = as_of_param(as_of)
            # a literal, as the index's predicate: SQLite uses a partial index only when the
            # query states its condition (ix_tickets_forwarded_received_at)
            which = sa.and_(Ticket.clock_top_depth > sa.literal_column("0"), Ticket.closed_at.is_not(None),
                            Ticket.closed_at <= t)
            # closed by T: the deadline in force at T (an open ticket's) is never read
            f = flags(cohort(scope, date_from, date_to, as_of, key_kind, extra=which, clock=clock,
                             later_extensions=False), as_of, calendar, date_from, clock=clock).c
            return sa.select(sa.func.count(), _total(f.on_time), sa.func.count(f.micros), _total(f.micros),
                             sa.func.count(f.workdays), _total(f.workdays), f.key).group_by(f.key)
        return make

    params = bound(as_of, date_from, date_to, scope)
    last_day = max(local_date(as_of), date_from)
    sides = []
    for clock in (UNIT_CLOCK, HEAD_CLOCK):
        shape = ("forwarded", scope_shape(scope), key_kind, clock, fsql.exceptions(calendar, date_from, last_day))
        sides.append(_rows(reuse(shape, build(clock)), params))
    own, head = sides
    zero = (0,) * len(PARTS)
    return {key: tuple(a - b for a, b in zip(own.get(key, zero), head.get(key, zero)))
            for key in own.keys() | head.keys()}


def _forwarded_probe(params: dict) -> tuple:
    """The statement (and `params`) that finds a row when a ticket received in the period (and by
    T) was forwarded below the level that routed it: a probe of the partial index, whatever the
    scope."""
    def build():
        t, start, end = (sa.bindparam(name, type_=UTCDateTime()) for name in (AS_OF, PERIOD_START, PERIOD_END))
        return sa.select(sa.literal(1)).where(
            Ticket.clock_top_depth > sa.literal_column("0"), Ticket.received_at >= start, Ticket.received_at < end,
            Ticket.received_at <= t).limit(1)

    return reuse(("any forwarded",), build), params


def office_platform_statement(scope: Scope, date_from: date, date_to: date, as_of: datetime,
                              calendar: WorkCalendar) -> tuple:
    """office_platform's settled part: its statement and values."""
    if not (whole_months(date_from, date_to) and scope.covers_all):
        raise ValueError("the settled day counts serve whole months of the whole tree")
    last_day, shape = _office_platform_shape(scope, date_from, as_of, calendar)

    def rollup():
        d = SettledDayCount
        w = fsql.workday_index(d.day, calendar, date_from, last_day)
        return (sa.select(_total(d.closed), _total(d.on_time), _total(d.micros), _total((d.closed_on - d.closed) * w))
                .where(d.month >= sa.bindparam("first_month", type_=sa.Date()),
                       d.month <= sa.bindparam("last_month", type_=sa.Date())))

    params = {**bound(as_of, date_from, date_to), "first_month": date_from, "last_month": date_to.replace(day=1)}
    return reuse(shape, rollup), params


def _office_platform_shape(scope: Scope, date_from: date, as_of: datetime, calendar: WorkCalendar) -> tuple:
    """The last day the working days are counted to, and the shape office_platform's statements
    are kept under (the calendar's exceptions in that span are part of their SQL)."""
    last_day = max(local_date(as_of), date_from)
    return last_day, ("office-platform", scope_shape(scope), fsql.exceptions(calendar, date_from, last_day))


def office_platform(scope: Scope, date_from: date, date_to: date, as_of: datetime, calendar: WorkCalendar,
                    live: tuple[int, int], *, asked: list | None = None) -> Figures:
    """The top office's own figure (closure.py's `office`) for a scope that holds every ticket
    there is (Scope.covers_all, triage included), whole months: the platform clock over every
    valid ticket of the period, with a unit or without. Median and P90 None.

    As figures_by_key, in three parts: settled_day_counts (figures/models.py) summed over the
    months; what its triggers added for the tickets T does not count as closed subtracted
    (_not_counted_at_t, from the tickets' columns); and `live`, the tickets not closed by T and
    those of them past the platform deadline at T (report() counts them with the rows'). The
    working days are W(closed day) - W(received day) per ticket, so the settled sum is
    sum((closed_on - closed) * W(day)) with the same W (sql.workday_index). asked: the rows of
    office_platform_statement, when the caller sent it with other statements."""
    if asked is None:
        asked = fetch_all(*office_platform_statement(scope, date_from, date_to, as_of, calendar))
    settled = [int(n or 0) for n in asked[0]]
    last_day, shape = _office_platform_shape(scope, date_from, as_of, calendar)

    def counted():
        w = lambda ts: fsql.workday_index(fsql.local_day_number(ts), calendar, date_from, last_day)  # noqa: E731
        p_on_time = sa.case((rules.platform_on_time_sql(Ticket.closed_at, Ticket.platform_due_at), 1), else_=0)
        return sa.select(sa.func.count(), _total(p_on_time),
                         _total(rules.handling_micros_sql(Ticket.received_at, Ticket.closed_at)),
                         _total(w(Ticket.closed_at) - w(Ticket.received_at)), sa.literal_column("0")) \
            .where(Ticket.state != "invalid")

    not_counted = _not_counted_at_t(("office-platform counted", *shape[1:]), counted, scope, date_from, date_to,
                                    as_of)
    minus = _column_sums(summed_by_key(fetch_together(not_counted)), 4)
    closed, on_time, micros, days = (a - b for a, b in zip(settled, minus))
    open_at_t, p_overdue = live
    # every settled ticket has both times and its working days: each sum is over `closed` tickets
    return clock_figures(closed + open_at_t, closed, on_time, p_overdue, micros, closed, days, closed)


__all__ = ["corrections", "corrections_statements", "figures_by_key", "forwarded", "live_counts", "live_statement",
           "keyed", "office_platform", "office_platform_statement", "report", "settled_statement", "settled_sums",
           "summed_by_key", "whole_months"]
