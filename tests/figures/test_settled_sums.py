"""settled_month_counts' sums of handling times (migration 0013): timed, micros, days_n, days are
what Python computes from the tickets, and what recount() computes, after the ticket lifecycle's
writes and after plain SQL writes to closed tickets — with sub-second times on either database."""
from __future__ import annotations

import importlib.util
import os
from collections import defaultdict
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from feedback.extensions import db
from feedback.figures.models import local_month
from feedback.figures.sql import micros_between
from feedback.tickets.models import Ticket
from feedback.timeutil import LOCAL, UTC, UTCDateTime
from tests.figures.test_series import full_table, recounted

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MICRO = timedelta(microseconds=1)


def by_python() -> set[tuple]:
    """The table computed from the tickets in Python: (unit_id, month, closed, on_time, timed,
    micros, days_n, days)."""
    db.session.expire_all()
    rows = defaultdict(lambda: [0] * 6)
    for t in db.session.scalars(sa.select(Ticket)):
        if t.closed_at is None or t.state == "invalid" or t.unit_id is None:
            continue
        r = rows[(t.unit_id, t.received_at.astimezone(LOCAL).date().replace(day=1))]
        r[0] += 1
        r[1] += int(t.replied_at is not None and t.unit_due_at is not None and t.replied_at <= t.unit_due_at)
        if t.assigned_at is not None and t.replied_at is not None:
            r[2] += 1
            r[3] += (t.replied_at - t.assigned_at) // MICRO
        if t.handling_workdays is not None:
            r[4] += 1
            r[5] += t.handling_workdays
    return {(*key, *sums) for key, sums in rows.items()}


def assert_exact() -> set[tuple]:
    rows = by_python()
    assert full_table() == rows == recounted()
    return rows


def test_the_migration_spells_micros_between(app):
    """0013's triggers and recount compute what feedback.figures.sql.micros_between computes:
    the same SQL on PostgreSQL; on SQLite the same microseconds (the figures read the seconds with
    unixepoch(), the frozen triggers with strftime('%s')), sub-second and day-edge times included."""
    path = os.path.join(ROOT, "migrations", "versions", "0013_settled_sums_of_handling_times.py")
    spec = importlib.util.spec_from_file_location("migration_0013", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    t = sa.table("t", sa.column("assigned_at"), sa.column("replied_at"))
    expr = micros_between(t.c.assigned_at, t.c.replied_at)
    assert str(expr.compile(dialect=postgresql.dialect())) == migration.micros_pg("t")
    if db.engine.dialect.name != "sqlite":
        return
    stamps = ["2026-10-08 15:59:59.999600", "2026-10-08 16:00:00.000000", "2026-02-28 23:59:59.000001",
              "2026-03-01 00:00:00.500000", "2027-01-01 00:00:00.000000"]
    pairs = " UNION ALL ".join(f"SELECT '{a}' AS assigned_at, '{b}' AS replied_at" for a in stamps for b in stamps)
    ours = str(expr.compile(dialect=sqlite.dialect()))
    rows = db.session.execute(sa.text(f"SELECT {ours}, {migration.micros_sqlite('t')} FROM ({pairs}) AS t")).all()
    assert len(rows) == 25 and all(a == b for a, b in rows), rows
    parse = lambda text: datetime.fromisoformat(text)  # noqa: E731
    assert [a for a, _ in rows] == [(parse(b) - parse(a)) // MICRO for a in stamps for b in stamps]


def test_reply_approve_and_reject_then_reply(story, world):
    d1 = world.units["D1"].id
    story.receive("A1", "2026-10-12T09:00:00+08:00")
    story.reply("A1", "2026-10-13T10:30:00+08:00")
    assert full_table() == set()  # replied, not closed
    story.approve("A1", "2026-10-14T09:00:00+08:00")
    one = (timedelta(days=1, hours=1, minutes=30)) // MICRO
    (row,) = assert_exact()
    assert row[:6] == (d1, date(2026, 10, 1), 1, 1, 1, one) and row[6] == 1

    story.receive("A2", "2026-10-15T09:00:00+08:00")
    story.reply("A2", "2026-10-15T11:00:00+08:00")
    story.reject("A2", "2026-10-16T09:00:00+08:00")
    story.reply("A2", "2026-10-19T15:00:00+08:00")  # the accepted reply: replied_at moves
    story.approve("A2", "2026-10-20T09:00:00+08:00")
    story.receive("A3", "2026-10-16T09:00:00+08:00")
    story.reply("A3", "2026-10-16T10:00:00+08:00")  # open: not counted
    two = (datetime(2026, 10, 19, 15) - datetime(2026, 10, 15, 9)) // MICRO
    (row,) = assert_exact()
    assert row[:6] == (d1, date(2026, 10, 1), 2, 2, 2, one + two) and row[6] == 2


def test_plain_sql_writes_to_closed_tickets(story, world):
    tickets = Ticket.__table__
    d1, d2 = world.units["D1"].id, world.units["D2"].id
    story.receive("B1", "2026-10-12T09:00:00+08:00")
    story.reply("B1", "2026-10-13T10:00:00+08:00")
    story.approve("B1", "2026-10-14T09:00:00+08:00")
    story.receive("B2", "2026-10-12T10:00:00+08:00")
    story.reply("B2", "2026-10-12T11:00:00+08:00")
    story.approve("B2", "2026-10-12T12:00:00+08:00")
    b1, b2 = story.ids["B1"], story.ids["B2"]
    assert len(assert_exact()) == 1

    def update(ticket_id: int, **values) -> set[tuple]:
        db.session.execute(tickets.update().where(tickets.c.id == ticket_id).values(**values))
        rows = assert_exact()  # in the writer's transaction
        db.session.commit()
        assert assert_exact() == rows
        return rows

    assigned = db.session.get(Ticket, b1).assigned_at
    # only replied_at, to a sub-second time whose microseconds are below assigned_at's
    update(b1, assigned_at=assigned + timedelta(microseconds=654_321))
    rows = update(b1, replied_at=assigned + timedelta(hours=5, microseconds=123_456))
    b2_micros = timedelta(hours=1) // MICRO
    assert {r[5] for r in rows} == {timedelta(hours=5, microseconds=-530_865) // MICRO + b2_micros}
    # only handling_workdays: to NULL (no workdays to count), then to a value
    rows = update(b1, handling_workdays=None)
    assert {r[6:] for r in rows} == {(1, db.session.get(Ticket, b2).handling_workdays)}
    rows = update(b1, handling_workdays=7)
    assert {r[6:] for r in rows} == {(2, 7 + db.session.get(Ticket, b2).handling_workdays)}
    # no reply time: the ticket still counts as closed, not as timed
    rows = update(b2, replied_at=None)
    assert {r[2:6] for r in rows} == {(2, 1, 1, timedelta(hours=5, microseconds=-530_865) // MICRO)}
    # reassigned after closing: its whole contribution moves to D2
    rows = update(b1, unit_id=d2)
    assert {r[:2] for r in rows} == {(d1, date(2026, 10, 1)), (d2, date(2026, 10, 1))}
    # another month of receipt
    rows = update(b1, received_at=datetime(2026, 9, 30, 15, 59, 59, 999_499, tzinfo=UTC))
    assert {r[:2] for r in rows} == {(d1, date(2026, 10, 1)), (d2, date(2026, 9, 1))}
    # invalid: no longer settled; then deleted
    rows = update(b2, state="invalid")
    assert {r[0] for r in rows} == {d2}
    for table in db.metadata.sorted_tables:  # its events, notifications …
        for fk in table.foreign_keys:
            if fk.column is tickets.c.id and table is not tickets:
                db.session.execute(table.delete().where(fk.parent == b1))
    db.session.execute(tickets.delete().where(tickets.c.id == b1))
    assert full_table() == set() == by_python()
    db.session.commit()
    assert assert_exact() == set()


# SQLite's date functions round fractional seconds to the millisecond, so the SQL reads the text
# only up to the whole second: a time in the last half millisecond of a second (of a month, of a
# day) stays in it.
def test_the_last_half_millisecond_of_a_second(app):
    from feedback.figures.sql import day_number, local_day_number

    end = datetime(2026, 9, 30, 15, 59, 59, 999_999, tzinfo=UTC)  # Sep 30 23:59:59.999999 local
    start = end - timedelta(microseconds=999_999)
    t = [sa.literal(v, UTCDateTime()) for v in (start, end)]
    assert db.session.execute(sa.select(micros_between(*t), local_month(t[1]), local_day_number(t[1]))).one() == \
        (999_999, date(2026, 9, 1), day_number(date(2026, 9, 30)))


def test_sub_second_times_inserted_and_deleted(app, world):
    tickets = Ticket.__table__
    base = datetime(2026, 10, 31, 16, 0, tzinfo=UTC)  # Nov 1 00:00 local
    cases = [  # (assigned +µs, replied +µs, workdays)
        (0, 1, 0), (999_499, 1_000_000, 0), (999_499, 1, 0), (123_456, 3_600_000_000 * 49 + 7, 2),
        (500_000, 499_999, None),  # a reply 1 µs before the assignment: -1
        (None, 10, None), (10, None, None),
    ]
    ids = []
    for n, (a, r, w) in enumerate(cases):
        values = dict(platform_id=f"S{n}", description="x", received_at=base + timedelta(microseconds=n),
                      platform_due_at=base, platform_clock_days=5, unit_id=world.units["D1"].id, state="closed",
                      assigned_at=None if a is None else base + timedelta(microseconds=a),
                      replied_at=None if r is None else base + timedelta(microseconds=r),
                      unit_due_at=base + timedelta(days=3), closed_at=base + timedelta(days=4),
                      handling_workdays=w)
        ids.append(db.session.execute(tickets.insert().values(**values).returning(tickets.c.id)).scalar_one())
    db.session.commit()
    (row,) = assert_exact()
    assert row[2:] == (7, 6, 5, 1 + 501 + (1 - 999_499) + (3_600_000_000 * 49 + 7 - 123_456) - 1, 4, 2)
    db.session.execute(tickets.delete().where(tickets.c.id == ids[3]))
    (row,) = assert_exact()
    assert row[2:] == (6, 5, 4, 1 + 501 + (1 - 999_499) - 1, 3, 0)
    db.session.execute(tickets.delete().where(tickets.c.id.in_(ids)))
    db.session.commit()
    assert assert_exact() == set()
