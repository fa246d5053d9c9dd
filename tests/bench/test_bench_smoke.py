"""The benchmark's generator at a tiny size: the province it loads obeys the model's rules.

No timings here: the figures come from `python -m bench`. These tests check that what it
measures is a valid database — the same invariants lifecycle.apply and ingest keep.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from bench.generate import add_open_tickets, generate
from feedback.calendar.deadlines import due_after, handling_workdays
from feedback.calendar.service import current_calendar
from feedback.directory.models import Property, Unit
from feedback.directory.routing import Query, route_many
from feedback.extensions import db
from feedback.tickets import lifecycle
from feedback.tickets.listing import overdue_clause
from feedback.tickets.models import OPEN_STATES, STATES, Ticket, TicketEvent

TICKETS = 2000


@pytest.fixture
def dataset(app, clock):
    return generate(db.engine, TICKETS, as_of=clock(), seed=7)


def test_the_province_and_its_tickets_obey_the_model(dataset, clock):
    _check_tree()
    _check_routing()
    as_of = clock()
    tickets = db.session.execute(sa.select(Ticket)).scalars().all()
    assert len(tickets) == TICKETS
    _check_tickets(tickets, as_of)
    states = Counter(t.state for t in tickets)
    assert set(states) <= set(STATES)
    # most are closed, some invalid, some still open: a realistic spread, not exact shares
    assert states["closed"] > TICKETS * 0.8
    assert 0 < states["invalid"] < TICKETS * 0.1
    assert sum(states[s] for s in OPEN_STATES) > 0
    overdue = db.session.scalar(sa.select(sa.func.count()).where(overdue_clause(as_of)))
    assert 0 < overdue < TICKETS * 0.1  # "a few percent overdue"
    late = sum(1 for t in tickets if t.state == "closed" and t.replied_at > t.unit_due_at)
    assert 0 < late < states["closed"] * 0.3  # most on time, some late
    assert dataset.counts["tickets"] == TICKETS and dataset.counts["overdue"] == overdue


def test_workload_tickets_and_the_product_on_the_generated_database(dataset, client, clock):
    # open tickets added for the inbox and sweep workloads obey the model too
    unit_id = db.session.scalar(sa.select(Unit.id).where(Unit.code == "SC0101"))
    add_open_tickets(db.engine, dataset, 40, unit_id=unit_id)
    added = db.session.execute(sa.select(Ticket).where(Ticket.id > TICKETS)).scalars().all()
    assert len(added) == 40
    assert {t.unit_id for t in added} == {unit_id}
    assert {t.state for t in added} <= {"assigned", "in_progress", "replied"}
    _check_tickets(added, clock())

    # ids continue after the loaded rows (sequences moved), and a generated account works
    from feedback.accounts.models import ApiToken, User

    user = db.session.execute(sa.select(User).where(User.username == "platform-api")).scalar_one()
    row, token = ApiToken.issue(user, "smoke")
    db.session.add(row)
    db.session.commit()
    prop = db.session.execute(sa.select(Property).where(Property.site_code.is_not(None))).scalars().first()
    r = client.post("/api/v1/reports", headers={"Authorization": f"Bearer {token}"}, json={
        "platform_id": "SMOKE-1", "received_at": "2026-11-24T09:00:00+08:00", "description": "链接打不开",
        "site_code": prop.site_code})
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["ticket_id"] == TICKETS + 40 + 1
    assert r.get_json()["unit"]["code"] == db.session.get(Unit, prop.unit_id).code


def _check_tree():
    kinds = Counter(db.session.execute(sa.select(Unit.kind, Unit.depth)).all())
    # province office; 60 provincial departments + 21 cities under it; under the cities 21 × 38
    # city departments and 180 counties; the rest of the 5,000 are county departments
    assert kinds[("office", 0)] == 1
    assert kinds[("region", 1)] == 21
    assert kinds[("region", 2)] == 180
    assert kinds[("department", 1)] == 60
    assert kinds[("department", 2)] == 21 * 38
    assert kinds[("department", 3)] == 5000 - 1 - 21 - 180 - 60 - 21 * 38
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Property)) == 20_000
    units = {u.id: u for u in db.session.execute(sa.select(Unit)).scalars()}
    for unit in units.values():
        parent_path = units[unit.parent_id].path if unit.parent_id else "/"
        assert unit.path == f"{parent_path}{unit.id}/"


def _check_routing():
    """The product's own router on the generated rules sends each site to its unit — a county
    department's column on its county portal to the department (longest prefix), not the county."""
    props = db.session.execute(sa.select(Property).where(Property.id % 20 == 0)).scalars().all()
    queries = [Query(None, f"https://www.{p.url_prefixes}/tzgg/1.html", None) if p.kind == "website"
               else Query(None, None, p.account) for p in props]
    routed = route_many(db.session, queries)
    assert [r.unit_id if r else None for r in routed] == [p.unit_id for p in props]
    columns = [p for p in props if p.kind == "website" and "/" in p.url_prefixes]
    assert columns, "some departments publish as a column of their region's portal"


def _check_tickets(tickets, as_of):
    calendar = current_calendar()
    events = defaultdict(list)
    for e in db.session.execute(sa.select(TicketEvent).where(TicketEvent.ticket_id.in_([t.id for t in tickets]))
                                .order_by(TicketEvent.id)).scalars():
        events[e.ticket_id].append(e)
    replayed = 0
    for t in tickets:
        history = events[t.id]
        _check_history(t, history, as_of)
        replayed += _check_against_the_lifecycle(t, history, calendar)
        platform = due_after(t.received_at, t.platform_clock_days, calendar)
        assert t.platform_due_at == platform.at
        provisional = platform.provisional
        if t.assigned_at is not None:
            unit = due_after(t.assigned_at, t.unit_clock_days, calendar)
            assert t.unit_due_at == unit.at, t.id
            provisional = provisional or unit.provisional
        else:
            assert t.unit_due_at is None and t.unit_id is None
        assert t.deadline_provisional == provisional
        if t.state == "closed":
            assert t.received_at <= t.assigned_at <= t.replied_at <= t.closed_at <= as_of
            assert t.handling_workdays == handling_workdays(t.assigned_at, t.replied_at, calendar)
            # replies come on working days, so on time ⇔ at most N working days (DESIGN.md: Figures)
            assert (t.replied_at <= t.unit_due_at) == (t.handling_workdays <= t.unit_clock_days)
        else:
            assert t.closed_at is None and t.handling_workdays is None
    # most generated lives need nothing beyond what the fold plays (no extension, no rejection)
    assert replayed > len(tickets) * 0.8


def _check_history(t, history, as_of):
    """One receive first; each state change follows from the previous state; the last state is the
    ticket's; the columns match the events that set them."""
    assert history[0].action == "receive" and history[0].to_state == "new"
    assert sum(1 for e in history if e.action == "receive") == 1
    state = "new"
    for e in history[1:]:
        assert e.from_state == state, (t.id, e.action)
        state = e.to_state
        assert e.at <= as_of
    assert [e.at for e in history] == sorted(e.at for e in history)
    assert state == t.state
    assigns = [e for e in history if e.action == "assign"]
    if t.assigned_at is not None:
        assert assigns[-1].at == t.assigned_at and assigns[-1].unit_id == t.unit_id
    replies = [e for e in history if e.action == "reply"]
    assert (replies[-1].at if replies else None) == t.replied_at
    if t.state == "closed":
        assert history[-1].action == "approve" and history[-1].at == t.closed_at
    approved = sum(1 for e in history if e.action == "decide-extension" and e.data["approve"])
    assert t.extensions == approved


FOLDED_COLUMNS = ("state", "unit_id", "assigned_at", "unit_clock_days", "unit_due_at", "platform_clock_days",
                  "platform_due_at", "deadline_provisional", "replied_at", "reply_text", "closed_at",
                  "handling_workdays", "invalid_reason")


def _check_against_the_lifecycle(t, history, calendar) -> int:
    """bench/tickets.py folds its rows on its own, for speed; here each event is a transition
    RULES allow, and a life the lifecycle's fold can play (no extension or rejection, which need
    the stored ticket) played by it gives the generated row's columns. 1 if replayed."""
    for e in history:
        assert lifecycle.transition(e.from_state, e.action) == e.to_state, (t.id, e.action, e.from_state)
    if any(e.action in ("request-extension", "decide-extension", "reject") for e in history):
        return 0
    row = SimpleNamespace(received_at=t.received_at, category=t.category, unit_id=None, assigned_at=None)
    steps = [lifecycle.Step(e.action, e.at, e.data, unit_id=e.unit_id) for e in history]
    lifecycle.fold(row, steps, calendar)
    assert {c: getattr(row, c, None) for c in FOLDED_COLUMNS} == {c: getattr(t, c) for c in FOLDED_COLUMNS}, t.id
    return 1
