"""One snapshot per figures answer: every statement of a page or a report reads the same data.

A page's figures come from several statements: the settled counts, the tickets not settled at
T, the tickets open at T, the office's own figure, the chart, the counts at a glance. Under
PostgreSQL's default READ COMMITTED each statement reads what was committed when it started,
and pysqlite runs each SELECT in a transaction of its own, so a ticket closed between two of
them could be subtracted by one part from a sum another part read without it.

begin() ends the caller's transaction, which must not have written anything, and starts one
whose statements all read one snapshot: REPEATABLE READ on PostgreSQL (a transaction that only
reads never fails to serialise there), an explicit deferred BEGIN on SQLite (in WAL mode the
snapshot of its first read is kept until it ends). The read-only entry points call it before
their first figures statement: the dashboard, /api/v1/metrics/closure, /api/v1/assessment,
and both exports (exports/closure_sheet.export_closure, exports/assessment.export_assessment;
a job's progress goes through a connection of its own, so the snapshot lasts the whole file).
"""
from __future__ import annotations

import sqlalchemy as sa

from feedback.calendar.models import CalendarVersion
from feedback.directory.models import UnitsVersion
from feedback.extensions import db

# once() keys of the tokens of what a process keeps (calendar/service.py, accounts/scope.py)
CALENDAR_TOKEN, UNITS_TOKEN = ("calendar_version",), ("units_version",)


def begin() -> None:
    session = db.session
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("figures.snapshot.begin(): the session holds unwritten changes")
    # a read-only request's transaction so far: nothing to write, so nothing loaded goes stale by
    # ending it; not expiring the user signed in saves reading them and their unit again (the
    # caller's Actor was made from that same read)
    this = session()  # the request's Session behind the scoped proxy
    keep, this.expire_on_commit = this.expire_on_commit, False
    try:
        this.commit()
    finally:
        this.expire_on_commit = keep
    if session.get_bind().dialect.name == "postgresql":
        connection = session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    else:
        connection = session.connection()
        connection.exec_driver_sql("BEGIN")
    connection.info["figures_snapshot"] = connection.get_transaction()
    from feedback.figures.cohort import fetch_all  # (cohort reads once() from here)

    # the snapshot's first read: both tokens, for current_calendar and resolve_scope to take
    # from once(), sent with the transaction's BEGIN and the figures' settings
    (calendar, units), = fetch_all(_TOKENS)
    once(CALENDAR_TOKEN, lambda: calendar)
    once(UNITS_TOKEN, lambda: units)


# one statement object for every snapshot: cohort.fetch_all compiles it once
_TOKENS = sa.select(sa.select(CalendarVersion.version).where(CalendarVersion.id == 1).scalar_subquery(),
                    sa.select(UnitsVersion.version).where(UnitsVersion.id == 1).scalar_subquery())


def current(connection):
    """The transaction begin() started on `connection`, while it lasts; else None (each statement
    may then read newer data than the one before it)."""
    transaction = connection.get_transaction()
    return transaction if transaction is not None and connection.info.get("figures_snapshot") is transaction else None


def once(key, compute):
    """compute()'s answer, computed once per snapshot under `key` (what the snapshot's data
    decides cannot change within it: a version token, a probe of the events); outside a
    snapshot, computed on every call."""
    connection = db.session.connection()
    transaction = current(connection)
    if transaction is None:
        return compute()
    kept = connection.info.get("figures_once")
    if kept is None or kept[0] is not transaction:
        kept = connection.info["figures_once"] = (transaction, {})
    answers = kept[1]
    if key not in answers:
        answers[key] = compute()
    return answers[key]


def end() -> None:
    """End the snapshot begin() started (it read only). A caller that writes afterwards must: on
    SQLite a read transaction cannot become a write once another connection has written since
    its snapshot (an export job's progress does), and on PostgreSQL the write belongs in a
    transaction of its own."""
    db.session.commit()
