"""settled_month_counts: the closed tickets' part of the monthly figures, kept by triggers.

A ticket is *settled* when it counts as closed for every T from its close on:
closed_at IS NOT NULL AND state <> 'invalid' AND unit_id IS NOT NULL (closure.py's cohort and
closed-by-T, without T). Per (unit, local month of received_at): closed = how many settled
tickets, on_time = how many of them replied by unit_due_at (rules.replied_by_sql), and
the sums for the mean handling times, exact integers (migration 0013):
- timed = how many have assigned_at and replied_at, micros = the sum over those of
  (replied_at - assigned_at) in whole microseconds (rules.handling_micros_sql);
- days_n = how many have handling_workdays, days = the sum of handling_workdays over those.

Database triggers on `tickets` (migrations 0010 and 0013: a plpgsql function on PostgreSQL,
three triggers on SQLite) keep the table equal to `recount()` in the writer's own transaction: an
insert, update or delete subtracts the old row's contribution and adds the new row's. Open
tickets never touch it (the triggers' WHEN guards), so ingest of new reports adds no write and
no lock here. Whatever bypasses row triggers (TRUNCATE, bulk loads with triggers disabled,
bench/generate.py) must call `refill()` afterwards.

Rows whose count falls to zero are deleted by the triggers, so the table holds exactly the
non-empty groups of `recount()`. There is no foreign key to units: the rows are derived, and a
unit with settled tickets cannot be deleted anyway (tickets.unit_id references it).

The series (series.py) also needs two indexes on tickets, declared here with the table that
needs them (same migration): the unsettled tickets by received time, covering what the
per-ticket flags read, and closed_at (tickets closed after a past T).
"""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.functions import FunctionElement

from feedback.db_setup import only_on
from feedback.extensions import db
from feedback.figures import rules
from feedback.figures.sql import local_day_number
from feedback.tickets.models import Ticket

SETTLED_PREDICATE = "closed_at IS NOT NULL AND state <> 'invalid' AND unit_id IS NOT NULL"
UNSETTLED_INDEX_PREDICATE = "closed_at IS NULL AND state <> 'invalid'"
TRIAGE_INDEX_PREDICATE = "unit_id IS NULL AND state <> 'invalid'"


class SettledMonthCount(db.Model):
    __tablename__ = "settled_month_counts"

    # month first: the series reads a range of months over many units
    month: Mapped[date] = mapped_column(sa.Date, primary_key=True)  # 1st of the Asia/Shanghai month of received_at
    unit_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    closed: Mapped[int]
    on_time: Mapped[int]
    # the mean handling times' sums (0013): a ticket without both times (or without workdays)
    # adds 0 to the pair
    timed: Mapped[int] = mapped_column(server_default="0")  # tickets with assigned_at and replied_at
    micros: Mapped[int] = mapped_column(sa.BigInteger, server_default="0")  # their replied_at - assigned_at, µs
    days_n: Mapped[int] = mapped_column(server_default="0")  # tickets with handling_workdays
    days: Mapped[int] = mapped_column(server_default="0")  # their handling_workdays


# Every summed column after the key (0014): the chart's 12 months over a province's units are an
# index-only range scan, not a heap page visit per unit-month.
sa.Index("ix_settled_month_counts_sums", SettledMonthCount.month, SettledMonthCount.unit_id,
         SettledMonthCount.closed, SettledMonthCount.on_time, SettledMonthCount.timed,
         SettledMonthCount.micros, SettledMonthCount.days_n, SettledMonthCount.days)


# The valid tickets never closed, by received time, with every column the live part of the
# series reads: an index-only scan over the tickets still open instead of every ticket of the year.
sa.Index("ix_tickets_unsettled_received_at", Ticket.received_at,
         postgresql_include=["id", "unit_id", "state", "assigned_at", "replied_at", "unit_due_at", "extensions",
                             "closed_at", "platform_due_at", "clock_top_depth"],
         postgresql_where=sa.text(UNSETTLED_INDEX_PREDICATE), sqlite_where=sa.text(UNSETTLED_INDEX_PREDICATE))
# SQLite has no INCLUDE: the same tickets with every column the live part reads as keys (0028),
# so that it reads the index alone, not a table row per open ticket.
sa.Index("ix_tickets_unsettled_covering", Ticket.received_at, Ticket.unit_id, Ticket.state, Ticket.assigned_at,
         Ticket.replied_at, Ticket.unit_due_at, Ticket.extensions, Ticket.platform_due_at, Ticket.handling_workdays,
         Ticket.clock_top_depth, Ticket.closed_at, sqlite_where=sa.text(UNSETTLED_INDEX_PREDICATE),
         info=only_on("sqlite")).ddl_if(dialect="sqlite")
# The valid tickets without a unit (in triage, or returned), by received time: a period's 未分派
# and the top office's own figure read these few, not every ticket of the period (0030).
sa.Index("ix_tickets_triage_received_at", Ticket.received_at,
         postgresql_where=sa.text(TRIAGE_INDEX_PREDICATE), sqlite_where=sa.text(TRIAGE_INDEX_PREDICATE))
# Tickets closed after a past T (open at T): an empty range when T is now. The closed ones only
# (0024): the open ones are the unsettled index's, and SQLite's statistics (one row per value)
# otherwise pick this one for closed_at IS NULL.
sa.Index("ix_tickets_closed_at", Ticket.closed_at, postgresql_where=sa.text("closed_at IS NOT NULL"),
         sqlite_where=sa.text("closed_at IS NOT NULL"))


class local_month(FunctionElement):
    """The first day of the Asia/Shanghai (UTC+8, no DST) month of a UTCDateTime expression, as a DATE."""

    type = sa.Date()
    inherit_cache = True
    name = "local_month"


@compiles(local_month)  # SQLite: the text 'YYYY-MM-DD', as SQLAlchemy stores a Date
def _local_month_sqlite(element, compiler, **kw):
    # the text up to the whole second (SQLite rounds a fraction: .9996 s would be the next month)
    return f"date(substr({compiler.process(element.clauses, **kw)}, 1, 19), '+8 hours', 'start of month')"


@compiles(local_month, "postgresql")
def _local_month_pg(element, compiler, **kw):
    ts = compiler.process(element.clauses, **kw)
    return f"CAST(date_trunc('month', {ts} + INTERVAL '8 hours') AS DATE)"


class SettledDayCount(db.Model):
    """The settled tickets of the whole tree per day (migration 0027), kept by triggers as
    settled_month_counts is: the top office's own figure on the platform clock, and the chart's
    monthly counts, read from a few dozen rows per month instead of one per unit. A ticket is
    counted here when closed_at IS NOT NULL AND state <> 'invalid', with a unit or without
    (the top office's own figure counts its triage too).

    Per (local month of received_at, local day number), of the tickets received on that day:
    `closed`, `on_time` (closed_at <= platform_due_at: rules.platform_on_time_sql), `micros`
    (closed_at - received_at), and of those with a unit, `unit_closed` and `unit_on_time` on
    their own clock (rules.on_time_flag_sql: settled_month_counts' closed and on_time summed
    over the units); and `closed_on`, how many of the month's tickets were closed on that day.
    The working days from receipt to close are a difference of two positions in the working-day
    count (sql.workday_index W: W(closed day) - W(received day)), so their sum is
    sum(closed_on * W(day)) - sum(closed * W(day)) over the month's rows: exact for whatever
    calendar is loaded when asked, with no calendar in the table."""

    __tablename__ = "settled_day_counts"

    month: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    day: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)  # days since 1970-01-01, local
    closed: Mapped[int] = mapped_column(server_default="0")
    on_time: Mapped[int] = mapped_column(server_default="0")
    micros: Mapped[int] = mapped_column(sa.BigInteger, server_default="0")
    closed_on: Mapped[int] = mapped_column(server_default="0")
    unit_closed: Mapped[int] = mapped_column(server_default="0")
    unit_on_time: Mapped[int] = mapped_column(server_default="0")


# The tickets forwarded below the level that routed them (clock_top_depth > 0): a region's rows
# read their hand-off into the region, so the settled path reads them one by one (migration 0026).
sa.Index("ix_tickets_forwarded_received_at", Ticket.received_at,
         postgresql_where=sa.text("clock_top_depth > 0"), sqlite_where=sa.text("clock_top_depth > 0"))


def settled_clause():
    return sa.and_(Ticket.closed_at.is_not(None), Ticket.state != "invalid", Ticket.unit_id.is_not(None))


RECOUNT_COLUMNS = ("unit_id", "month", "closed", "on_time", "timed", "micros", "days_n", "days")


def recount():
    """settled_month_counts computed from scratch: (unit_id, month, closed, on_time, timed, micros,
    days_n, days), every sum an integer."""
    month = local_month(Ticket.received_at)
    timed = sa.case((sa.and_(Ticket.assigned_at.is_not(None), Ticket.replied_at.is_not(None)), 1), else_=0)
    days_n = sa.case((Ticket.handling_workdays.is_not(None), 1), else_=0)
    # sum() of a bigint is numeric on PostgreSQL: cast back (exact; sums of NULLs only are 0)
    handling = rules.handling_micros_sql(Ticket.assigned_at, Ticket.replied_at)
    micros = sa.cast(sa.func.coalesce(sa.func.sum(handling), 0), sa.BigInteger)
    return (sa.select(Ticket.unit_id, month.label("month"), sa.func.count().label("closed"),
                      sa.func.sum(rules.on_time_flag_sql()).label("on_time"), sa.func.sum(timed).label("timed"),
                      micros.label("micros"), sa.func.sum(days_n).label("days_n"),
                      sa.func.coalesce(sa.func.sum(Ticket.handling_workdays), 0).label("days"))
            .where(settled_clause()).group_by(Ticket.unit_id, month))


DAY_COLUMNS = ("month", "day", "closed", "on_time", "micros", "closed_on", "unit_closed", "unit_on_time")


def day_recount():
    """settled_day_counts computed from scratch, DAY_COLUMNS in order."""
    month = local_month(Ticket.received_at)
    settled = sa.and_(Ticket.closed_at.is_not(None), Ticket.state != "invalid")
    with_unit = Ticket.unit_id.is_not(None)
    zero = sa.literal(0)
    by_received = (
        sa.select(month.label("month"), local_day_number(Ticket.received_at).label("day"),
                  sa.literal(1).label("closed"),
                  sa.case((rules.platform_on_time_sql(Ticket.closed_at, Ticket.platform_due_at), 1),
                          else_=0).label("on_time"),
                  sa.cast(rules.handling_micros_sql(Ticket.received_at, Ticket.closed_at), sa.BigInteger)
                  .label("micros"),
                  zero.label("closed_on"),
                  sa.case((with_unit, 1), else_=0).label("unit_closed"),
                  sa.case((with_unit, rules.on_time_flag_sql()), else_=0).label("unit_on_time"))
        .where(settled))
    by_closed = (
        sa.select(month.label("month"), local_day_number(Ticket.closed_at).label("day"),
                  zero.label("closed"), zero.label("on_time"), sa.cast(zero, sa.BigInteger).label("micros"),
                  sa.literal(1).label("closed_on"), zero.label("unit_closed"), zero.label("unit_on_time"))
        .where(settled))
    both = sa.union_all(by_received, by_closed).subquery("day_parts")
    b = both.c
    return (sa.select(b.month, b.day, sa.func.sum(b.closed), sa.func.sum(b.on_time),
                      sa.cast(sa.func.sum(b.micros), sa.BigInteger), sa.func.sum(b.closed_on),
                      sa.func.sum(b.unit_closed), sa.func.sum(b.unit_on_time))
            .group_by(b.month, b.day))


def refill_statements() -> list:
    """The DELETE and INSERT … SELECT that replace each rollup's rows by its recount."""
    out = []
    for model, columns, select in ((SettledMonthCount, RECOUNT_COLUMNS, recount()),
                                   (SettledDayCount, DAY_COLUMNS, day_recount())):
        table = model.__table__
        out += [table.delete(), table.insert().from_select(list(columns), select)]
    return out


def refill(connection) -> None:
    """Replace both rollups' rows by their recounts (after writes that bypassed the triggers)."""
    for statement in refill_statements():
        connection.execute(statement)
