"""Portable SQL for time arithmetic the figures need (PostgreSQL and SQLite, one query text each).

UTCDateTime columns hold naive UTC (timestamp without time zone on PostgreSQL, the text
'YYYY-MM-DD HH:MM:SS.ffffff' on SQLite). These constructs compile to each dialect's spelling;
everything else in the figures is plain SQLAlchemy shared by both.
"""
from __future__ import annotations

import sqlite3
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from feedback.calendar.workdays import WorkCalendar
from feedback.timeutil import UTCDateTime

EPOCH = date(1970, 1, 1)
# Asia/Shanghai is UTC+8 all year (no daylight saving since 1991), so a local date is a fixed shift.
LOCAL_OFFSET_SECONDS = 8 * 3600


class epoch_seconds(FunctionElement):
    """Seconds since 1970-01-01 00:00 UTC of a UTCDateTime expression."""

    type = sa.Float()
    inherit_cache = True
    name = "epoch_seconds"


# unixepoch() (SQLite 3.38+) is the integer itself; strftime('%s') writes it as text to be read
# back, twice the cost per timestamp, and a month's figures read four timestamps per ticket
_UNIXEPOCH = sqlite3.sqlite_version_info >= (3, 38, 0)


@compiles(epoch_seconds)  # SQLite (qmark parameters: '%' needs no escaping)
def _epoch_seconds_sqlite(element, compiler, **kw):
    # the text up to the whole second: SQLite's date functions round a fraction to milliseconds,
    # so 23:59:59.9996 would read as the next second (and the next day)
    text = "substr(" + compiler.process(element.clauses, **kw) + ", 1, 19)"
    return f"unixepoch({text})" if _UNIXEPOCH else f"CAST(strftime('%s', {text}) AS INTEGER)"


@compiles(epoch_seconds, "postgresql")
def _epoch_seconds_pg(element, compiler, **kw):
    return "CAST(EXTRACT(EPOCH FROM %s) AS DOUBLE PRECISION)" % compiler.process(element.clauses, **kw)


class local_day_number(FunctionElement):
    """Days since 1970-01-01 of the Asia/Shanghai local date of a UTCDateTime expression."""

    type = sa.Integer()
    inherit_cache = True
    name = "local_day_number"


@compiles(local_day_number)
def _local_day_sqlite(element, compiler, **kw):
    seconds = compiler.process(epoch_seconds(*element.clauses), **kw)
    return f"(({seconds} + {LOCAL_OFFSET_SECONDS}) / 86400)"  # integer division of positive integers


@compiles(local_day_number, "postgresql")
def _local_day_pg(element, compiler, **kw):
    # date arithmetic stays in integers (EXTRACT(EPOCH ...) is numeric since PostgreSQL 14: slow)
    ts = compiler.process(element.clauses, **kw)
    return f"(CAST({ts} + INTERVAL '{LOCAL_OFFSET_SECONDS} seconds' AS DATE) - DATE '1970-01-01')"


class iso_instant(FunctionElement):
    """An ISO 8601 text with an offset (as TicketEvent.data stores deadlines) as a UTCDateTime value,
    comparable with UTCDateTime columns and parameters."""

    type = UTCDateTime()
    inherit_cache = True
    name = "iso_instant"


@compiles(iso_instant)
def _iso_instant_sqlite(element, compiler, **kw):
    # strftime applies the offset; '%f' is SS.SSS, padded to the microseconds SQLAlchemy stores.
    return "(strftime('%Y-%m-%d %H:%M:%f', " + compiler.process(element.clauses, **kw) + ") || '000')"


@compiles(iso_instant, "postgresql")
def _iso_instant_pg(element, compiler, **kw):
    return f"(CAST({compiler.process(element.clauses, **kw)} AS TIMESTAMPTZ) AT TIME ZONE 'UTC')"


class micros_between(FunctionElement):
    """(end - start) in whole microseconds, an integer, of two UTCDateTime expressions: exact, so
    that sums of them (the mean handling time) do not depend on the order they are added in."""

    type = sa.BigInteger()
    inherit_cache = True
    name = "micros_between"


@compiles(micros_between)
def _micros_between_sqlite(element, compiler, **kw):
    # epoch_seconds has the whole seconds; SQLAlchemy stores the fraction as six digits from position 21
    start, end = element.clauses
    seconds = [compiler.process(epoch_seconds(c), **kw) for c in (start, end)]
    micros = [f"CAST(substr({compiler.process(c, **kw)}, 21, 6) AS INTEGER)" for c in (start, end)]
    return f"(({seconds[1]} - {seconds[0]}) * 1000000 + ({micros[1]} - {micros[0]}))"


@compiles(micros_between, "postgresql")
def _micros_between_pg(element, compiler, **kw):
    # date_part is a double (EXTRACT's numeric is slow over a province's month of tickets):
    # the interval's seconds within a few 1e-8 s for spans below centuries, so the
    # cast to bigint (round to nearest) gives the exact microseconds.
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"CAST(date_part('epoch', {end} - {start}) * 1000000 AS BIGINT)"


MICROS_PER_HOUR = 3_600_000_000


def day_number(d: date) -> int:
    return (d - EPOCH).days


def workday_index(day, calendar: WorkCalendar, first: date, last: date):
    """A SQL expression W(day) such that W(b) - W(a) = calendar.workdays_between(a, b)
    for local day numbers a <= b within [first, last].

    W = weekdays counted in closed form + the calendar's exceptions up to `day` (holidays on
    weekdays -1, make-up workdays on weekends +1), as one CASE over the few exception dates
    in the range: no calendar table, no per-ticket Python.
    """
    # Day 0 (1970-01-01) is a Thursday; shifting by 4 aligns day 0 of the count to a Monday,
    # so weekdays among aligned days [0, m) = 5 * (m // 7) + min(m % 7, 5).
    m = day + 4
    # least(), not a CASE: SQLite evaluates `day` (a timestamp parsed) once per reference
    weekdays = (m // 7) * 5 + least(m % 7, sa.literal(5, sa.Integer))
    whens = []
    running = 0
    for d, delta in exceptions(calendar, first, last):
        whens.append((day < day_number(d), running))
        running += delta
    if not whens:
        return weekdays
    return weekdays + sa.case(*whens, else_=running)


class least(FunctionElement):
    """The smaller of two integer expressions (SQLite's two-argument min(), PostgreSQL's LEAST)."""

    type = sa.Integer()
    inherit_cache = True
    name = "least"


@compiles(least)
def _least_sqlite(element, compiler, **kw):
    a, b = (compiler.process(c, **kw) for c in element.clauses)
    return f"min({a}, {b})"


@compiles(least, "postgresql")
def _least_pg(element, compiler, **kw):
    a, b = (compiler.process(c, **kw) for c in element.clauses)
    return f"LEAST({a}, {b})"


def exceptions(calendar: WorkCalendar, first: date, last: date) -> tuple:
    """The (day, +1 or -1) of [first, last] whose working status differs from the weekday rule:
    all workday_index writes into its SQL of the calendar."""
    return tuple(_exceptions(calendar, first, last))


def _exceptions(calendar: WorkCalendar, first: date, last: date):
    day = first
    while day <= last:
        workday = calendar.is_workday(day)
        if workday != (day.weekday() < 5):
            yield day, (1 if workday else -1)
        day += timedelta(days=1)


class path_component(FunctionElement):
    """The unit id that follows the first `offset` characters of a materialised path, or NULL
    ('/1/4/17/' after '/1/' → 4): a unit's ancestor just below a known one, without a LIKE join."""

    type = sa.Integer()
    inherit_cache = True
    name = "path_component"


def _path_parts(element, compiler, **kw):
    path, offset = (compiler.process(c, **kw) for c in element.clauses)
    return path, offset


@compiles(path_component)
def _path_component_sqlite(element, compiler, **kw):
    path, offset = _path_parts(element, compiler, **kw)
    rest = f"substr({path}, {offset} + 1)"
    return f"(CASE WHEN instr({rest}, '/') > 1 THEN CAST(substr({rest}, 1, instr({rest}, '/') - 1) AS INTEGER) END)"


@compiles(path_component, "postgresql")
def _path_component_pg(element, compiler, **kw):
    path, offset = _path_parts(element, compiler, **kw)
    return f"CAST(NULLIF(split_part(substr({path}, {offset} + 1), '/', 1), '') AS INTEGER)"
