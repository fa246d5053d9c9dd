"""Each rule of figures/rules.py says the same in SQL (on the database under test) as in Python,
for values one microsecond either side of a deadline, and the rule's own hand-counted cases."""
from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feedback.extensions import db
from feedback.figures import rules
from feedback.timeutil import LOCAL, UTCDateTime

DUE = datetime(2026, 10, 20, 23, 59, 59, 999_999, tzinfo=LOCAL)  # the end of a working day
STATES = ("new", "assigned", "in_progress", "replied", "closed", "invalid")
# around the deadline: one microsecond, one second, a day either side, and far away
offsets = st.sampled_from([-86400_000_000, -1_000_000, -1, 0, 1, 1_000_000, 86400_000_000]) \
    | st.integers(min_value=-10 * 86400_000_000, max_value=10 * 86400_000_000)
instants = offsets.map(lambda micros: DUE + timedelta(microseconds=micros))
maybe_instants = st.none() | instants


def value(t):
    return sa.literal(t, UTCDateTime()) if t is not None else sa.cast(sa.null(), UTCDateTime())


def sql_truth(expr) -> bool:
    """A boolean SQL expression's value, NULL read as false (as WHERE and CASE read it)."""
    return bool(db.session.execute(sa.select(sa.case((expr, 1), else_=0))).scalar_one())


# the app fixture only provides a connection; nothing is written, so sharing it is safe
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(state=st.sampled_from(STATES), replied_at=maybe_instants, due_at=maybe_instants, at=instants,
       closed_at=maybe_instants)
def test_each_rule_in_sql_is_the_rule_in_python(app, state, replied_at, due_at, at, closed_at):
    row = SimpleNamespace(state=sa.literal(state), unit_due_at=value(due_at), replied_at=value(replied_at))
    t = value(at)
    assert sql_truth(rules.replied_by_sql(value(replied_at), value(due_at))) == rules.replied_by(replied_at, due_at)
    assert sql_truth(rules.past_due_sql(value(due_at), t)) == rules.past_due(due_at, at)
    assert sql_truth(rules.overdue_now_sql(t, row)) == rules.overdue_now(state, due_at, replied_at, at)
    assert sql_truth(rules.awaiting_review_in_time_sql(sa.literal(state), value(replied_at), value(due_at))) \
        == rules.awaiting_review_in_time(state, replied_at, due_at)
    assert sql_truth(rules.platform_on_time_sql(value(closed_at), value(due_at))) \
        == rules.platform_on_time(closed_at, due_at)
    if due_at is not None:
        assert sql_truth(rules.not_yet_due_sql(value(due_at), t)) == (not rules.past_due(due_at, at))
    flag = db.session.execute(sa.select(rules.on_time_flag_sql(value(replied_at), value(due_at)))).scalar_one()
    assert flag == int(rules.replied_by(replied_at, due_at))
    if replied_at is not None and closed_at is not None:
        micros = db.session.execute(sa.select(rules.handling_micros_sql(value(replied_at), value(closed_at))))
        assert micros.scalar_one() == rules.handling_micros(replied_at, closed_at)


def test_the_deadline_itself_is_still_in_time():
    second = timedelta(seconds=1)
    assert rules.replied_by(DUE, DUE) and not rules.replied_by(DUE + second, DUE)
    assert not rules.past_due(DUE, DUE) and rules.past_due(DUE, DUE + second)


def test_a_reply_in_time_awaiting_review_is_pending_not_overdue():
    later = DUE + timedelta(days=3)
    assert not rules.overdue_now("replied", DUE, DUE - timedelta(hours=1), later)
    assert rules.overdue_now("replied", DUE, DUE + timedelta(hours=1), later)  # replied late
    assert rules.overdue_now("in_progress", DUE, DUE - timedelta(hours=1), later)  # that reply was rejected
    assert rules.status_at(later, closed_at=None, replied_at=None, due_at=DUE,
                           reply_in_time_awaiting=True) == "pending"
    assert rules.status_at(later, closed_at=None, replied_at=None, due_at=DUE) == "overdue_open"


def test_status_as_of_t():
    closed = DUE + timedelta(days=1)
    on_time_reply, late_reply = DUE - timedelta(hours=2), DUE + timedelta(hours=2)
    assert rules.status_at(closed, closed_at=closed, replied_at=on_time_reply, due_at=DUE) == "on_time"
    assert rules.status_at(closed, closed_at=closed, replied_at=late_reply, due_at=DUE) == "late"
    # before the close it was open; before the deadline, pending
    assert rules.status_at(DUE, closed_at=closed, replied_at=late_reply, due_at=DUE) == "pending"
    assert rules.status_at(DUE + timedelta(seconds=1), closed_at=closed, replied_at=late_reply,
                           due_at=DUE) == "overdue_open"


def test_derived_figures():
    # 10 received, 6 closed of which 4 on time, 2 overdue open → 2 late, 2 pending, 4 / 8
    assert (rules.late(6, 4), rules.pending(10, 6, 2), rules.on_time_rate(4, 6, 2)) == (2, 2, 0.5)
    assert rules.on_time_rate(0, 0, 0) is None  # shown "—", never 0% or 100%
