"""The generator loads tickets with their triggers off and fills settled_month_counts and
settled_day_counts after: each table equals its recount, and the triggers are back for what
comes next."""
from __future__ import annotations

import sqlalchemy as sa

from bench.generate import add_open_tickets, generate
from feedback.extensions import db
from feedback.figures.models import SettledMonthCount, recount
from feedback.tickets.models import Ticket


def _table() -> set[tuple]:
    s = SettledMonthCount
    return set(db.session.execute(sa.select(s.unit_id, s.month, s.closed, s.on_time, s.timed, s.micros, s.days_n,
                                            s.days)).tuples())


def _recount() -> set[tuple]:
    from datetime import date

    return {(u, m if isinstance(m, date) else date.fromisoformat(m), *sums)
            for u, m, *sums in db.session.execute(recount()).tuples()}


def test_generate_fills_the_settled_counts_and_leaves_the_triggers_on(app, clock):
    dataset = generate(db.engine, 1500, as_of=clock(), seed=11)
    filled = _table()
    assert filled and filled == _recount()
    assert_day_counts_exact()
    assert any(row[4] and row[5] and row[6] for row in filled)  # the handling times' sums filled too
    assert sum(row[2] for row in filled) == db.session.scalar(
        sa.select(sa.func.count()).where(Ticket.state == "closed"))

    unit_id = db.session.scalar(sa.select(Ticket.unit_id).where(Ticket.unit_id.is_not(None)).limit(1))
    assert add_open_tickets(db.engine, dataset, 30, unit_id=unit_id) == 30
    db.session.expire_all()
    assert _table() == filled  # open tickets: no change

    # the triggers are back: closing one of the new tickets counts it
    ticket = db.session.scalars(sa.select(Ticket).where(Ticket.id > 1500).order_by(Ticket.id).limit(1)).one()
    ticket.state, ticket.closed_at, ticket.replied_at = "closed", clock(), clock()
    db.session.commit()
    db.session.expire_all()
    assert _table() == _recount() != filled
    assert_day_counts_exact()


def assert_day_counts_exact():
    from tests.figures.test_series import day_recounted, day_table

    db.session.expire_all()
    table = day_table()
    assert table and table == day_recounted()


def test_every_assigned_ticket_gets_its_first_hand_off_as_ingest_writes_it(app, clock):
    """The figures' region rows join each level's clock: a bench without hand-offs would time
    a join to an empty table."""
    from feedback.tickets.handoffs import CURRENT, HandOff

    dataset = generate(db.engine, 800, as_of=clock(), seed=5)
    unit_id = db.session.scalar(sa.select(Ticket.unit_id).where(Ticket.unit_id.is_not(None)).limit(1))
    add_open_tickets(db.engine, dataset, 20, unit_id=unit_id)
    h, t = HandOff, Ticket
    clocks = db.session.execute(
        sa.select(t.id, t.assigned_at, t.unit_due_at, h.at, h.due_at, h.to_unit_id, t.unit_id, h.top_depth)
        .join(h, sa.and_(h.ticket_id == t.id, sa.text(f"ticket_handoffs.{CURRENT}")))).all()
    assigned = db.session.scalar(sa.select(sa.func.count()).where(t.assigned_at.is_not(None)))
    assert assigned > 800 and len(clocks) == assigned == len({row[0] for row in clocks})  # one each, the new ones too
    assert all(row[1] == row[3] and row[2] == row[4] and row[5] == row[6] and row[7] == 0 for row in clocks)
