"""A province's table is derived while its rows arrive (cohort.arriving): the same figures as a
statement run through SQLAlchemy, whatever the server's time zone, and the same errors."""
from __future__ import annotations

from datetime import date, datetime

import pytest
import sqlalchemy as sa

from feedback.extensions import db
from feedback.figures import cohort
from feedback.figures.closure import closure

OCTOBER = (date(2026, 10, 1), date(2026, 10, 31))


def postgresql_only():
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: elsewhere the rows come from SQLAlchemy's execution")


@pytest.fixture
def due_oct_20(story, clock):
    """D1's ticket received Thu Oct 15 10:00, due Tue Oct 20 23:59:59 (Fri 16, Mon 19, Tue 20),
    replied Oct 22 and closed Oct 23; and R1's, received Oct 16, never answered."""
    story.receive("L1", "2026-10-15T10:00:00+08:00", "D1")
    story.reply("L1", "2026-10-22T10:00:00+08:00")
    story.approve("L1", "2026-10-23T10:00:00+08:00")
    story.receive("L2", "2026-10-16T10:00:00+08:00", "R1")
    clock.set("2026-11-24T10:00:00+08:00")
    return story


def counts(figures) -> tuple:
    return (figures.received, figures.closed, figures.on_time, figures.late, figures.overdue_open, figures.pending)


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "America/New_York", "UTC"])
def test_the_table_is_the_same_whatever_the_servers_time_zone(boss, due_oct_20, zone):
    """T and the period's bounds reach the server as the naive UTC the columns hold, as
    SQLAlchemy sends them: one second before L1's deadline it is pending, at the next second
    overdue, whatever TimeZone the session has (a time sent with its offset would be read in
    that zone, hours away)."""
    postgresql_only()
    db.session.execute(sa.text(f"SET LOCAL TimeZone = '{zone}'"))
    before = closure(boss, *OCTOBER, datetime.fromisoformat("2026-10-20T23:59:59+08:00"))
    after = closure(boss, *OCTOBER, datetime.fromisoformat("2026-10-21T00:00:00+08:00"))
    d1 = {row.unit.code: row.figures for row in before.rows}["D1"], \
        {row.unit.code: row.figures for row in after.rows}["D1"]
    assert [counts(f) for f in d1] == [(1, 0, 0, 0, 0, 1), (1, 0, 0, 0, 1, 0)]
    assert counts(before.total) == (2, 0, 0, 0, 0, 2)


def test_the_rows_arriving_are_the_rows_sqlalchemy_reads(boss, due_oct_20, monkeypatch):
    """Every row and figure of a unit table and a region table, streamed and read whole."""
    postgresql_only()
    db.session.execute(sa.text("SET LOCAL TimeZone = 'Asia/Shanghai'"))
    compiled = []
    real = cohort._compiled

    def spy(query, dialect):
        compiled.append(real(query, dialect))
        return compiled[-1]

    monkeypatch.setattr(cohort, "_compiled", spy)
    instants = [datetime.fromisoformat(t) for t in
                ("2026-10-20T23:59:59+08:00", "2026-10-21T00:00:00+08:00", "2026-11-24T10:00:00+08:00")]
    streamed = [closure(boss, *OCTOBER, t, group=g).to_json() for t in instants for g in ("unit", "region")]
    assert compiled and all(c is not None for c in compiled)  # none fell back to a whole fetch
    monkeypatch.setattr(cohort, "arriving", lambda query, params=None: cohort.execute(query, params).all())
    assert streamed == [closure(boss, *OCTOBER, t, group=g).to_json() for t in instants for g in ("unit", "region")]


def test_a_failing_query_raises_the_error_sqlalchemy_would(app):
    postgresql_only()
    with pytest.raises(sa.exc.DataError, match="division by zero"):
        list(cohort.arriving(sa.select(sa.literal_column("1") / sa.literal_column("0"))))
    db.session.rollback()
    assert db.session.execute(sa.text("SELECT 1")).scalar_one() == 1


def test_statements_sent_together_after_a_stream(boss, due_oct_20):
    """A report streamed, then a page's statements sent at once on the same connection (libpq
    keeps a stream's row mode into a pipeline that follows it, unless a query ends it first)."""
    postgresql_only()
    streamed = closure(boss, *OCTOBER, datetime.fromisoformat("2026-10-21T00:00:00+08:00"))
    assert streamed.total.received == 2
    one, two = cohort.fetch_together([(sa.select(sa.literal(1)), None), (sa.select(sa.literal(2)), None)])
    assert (one, two) == ([(1,)], [(2,)])
    assert cohort.fetch_all(sa.select(sa.literal(3)), hashed=True) == [(3,)]
