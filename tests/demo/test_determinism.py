"""Same seed, same city: the demo is reproducible (its own module: it seeds an empty database twice)."""
from __future__ import annotations

import sqlalchemy as sa

from feedback.demo import seed_demo
from feedback.directory.models import Unit
from feedback.extensions import db
from feedback.tickets.models import Ticket
from tests.demo.conftest import AT
from tests.support.apps import empty_tables


def snapshot():
    return db.session.execute(
        sa.select(Ticket.platform_id, Ticket.state, Unit.code, Ticket.received_at, Ticket.unit_due_at, Ticket.closed_at)
        .outerjoin(Unit, Unit.id == Ticket.unit_id).order_by(Ticket.platform_id)).all()


def test_same_seed_same_tickets_and_states(app):
    first = seed_demo(AT, rng_seed=7)
    db.session.commit()
    taken = snapshot()
    db.session.remove()
    empty_tables()

    second = seed_demo(AT, rng_seed=7)
    db.session.commit()
    assert snapshot() == taken
    assert [a.username for a in second.accounts] == [a.username for a in first.accounts]
    assert second.tickets == first.tickets == len(taken)
