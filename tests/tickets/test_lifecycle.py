"""The one transition function: states, roles, scope, clocks and the history it writes."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from feedback.accounts.scope import Actor
from feedback.calendar.service import current_calendar
from feedback.errors import Conflict, Forbidden, InputError, NotFound
from feedback.extensions import db
from feedback.tickets import lifecycle
from feedback.tickets.ingest import ingest, parse_all
from feedback.tickets.models import Ticket, TicketEvent
from feedback.timeutil import LOCAL, iso


def new_ticket(clock, pid="L1", url="http://edu.dongcheng.gov.cn/a", **kw):
    raw = {"platform_id": pid, "received_at": clock().isoformat(), "description": "错别字", "url": url, **kw}
    good, bad = parse_all([raw], naive_is_local=False)
    assert not bad
    [result] = ingest(good, Actor.system("test"), clock(), source="test")
    db.session.commit()
    return db.session.get(Ticket, result.ticket_id)


def act(world, who, ticket, action, clock, **data):
    event = lifecycle.apply(ticket, action, Actor.of(world.users[who]), clock(), data, current_calendar())
    db.session.commit()
    return event


def test_full_happy_path_writes_one_event_per_step(world, clock):
    clock.set("2026-09-30T15:00:00+08:00")  # Wed before the National Day week
    t = new_ticket(clock)
    assert t.state == "assigned" and t.unit.code == "D1"
    assert iso(t.unit_due_at) == "2026-10-10T23:59:59+08:00"
    clock.set("2026-10-08T09:00:00+08:00")
    act(world, "edu_clerk", t, "accept", clock)
    clock.set("2026-10-09T10:00:00+08:00")
    act(world, "edu_clerk", t, "reply", clock, text="已更正")
    clock.set("2026-10-09T16:00:00+08:00")
    act(world, "boss", t, "approve", clock)
    assert t.state == "closed"
    assert iso(t.closed_at) == "2026-10-09T16:00:00+08:00"
    # assigned Sep 30; working days after it up to Oct 9: Oct 8, Oct 9 → 2
    assert t.handling_workdays == 2
    actions = [(e.action, e.from_state, e.to_state, e.actor) for e in t.events]
    assert actions == [
        ("receive", None, "new", "test"),
        ("assign", "new", "assigned", "routing"),
        ("accept", "assigned", "in_progress", "edu_clerk"),
        ("reply", "in_progress", "replied", "edu_clerk"),
        ("approve", "replied", "closed", "boss"),
    ]


def test_reject_keeps_the_unit_clock_running(world, clock):
    clock.set("2026-11-02T09:00:00+08:00")  # Monday
    t = new_ticket(clock)
    due = t.unit_due_at
    act(world, "edu_clerk", t, "reply", clock, text="改好了")
    act(world, "boss", t, "reject", clock, reason="没有改完")
    assert t.state == "in_progress" and t.unit_due_at == due


def test_reject_needs_a_reason(world, clock):
    t = new_ticket(clock)
    act(world, "edu_clerk", t, "reply", clock, text="done")
    with pytest.raises(InputError) as err:
        act(world, "boss", t, "reject", clock)
    assert "reason" in err.value.errors
    db.session.rollback()
    assert db.session.get(Ticket, t.id).state == "replied"


def test_return_then_reassign_gives_a_fresh_clock(world, clock):
    clock.set("2026-11-02T09:00:00+08:00")  # Monday; due Thu 5 Nov
    t = new_ticket(clock)
    assert iso(t.unit_due_at) == "2026-11-05T23:59:59+08:00"
    clock.set("2026-11-04T09:00:00+08:00")
    act(world, "edu_clerk", t, "return", clock, reason="不是我们的网站")
    assert t.state == "new" and t.unit_id is None and t.unit_due_at is None
    assert t.events[-1].unit_id == world.units["D1"].id  # the return is recorded against D1
    act(world, "boss", t, "assign", clock, unit="D2")
    # Wed 4 Nov + 3 working days → Mon 9 Nov
    assert t.unit.code == "D2" and iso(t.unit_due_at) == "2026-11-09T23:59:59+08:00"


def test_extension_request_and_approval_move_the_deadline(world, clock):
    clock.set("2026-11-02T09:00:00+08:00")
    t = new_ticket(clock)
    act(world, "edu_clerk", t, "request-extension", clock, days=2, reason="需要技术公司修改")
    with pytest.raises(Conflict):
        act(world, "edu_clerk", t, "request-extension", clock, days=1, reason="again")
    db.session.rollback()
    act(world, "boss", t, "decide-extension", clock, approve=True)
    # Thu 5 Nov + 2 working days → Mon 9 Nov
    assert iso(t.unit_due_at) == "2026-11-09T23:59:59+08:00"
    assert t.extensions == 1 and t.extension_requested_days is None
    with pytest.raises(Conflict):  # nothing pending any more
        act(world, "boss", t, "decide-extension", clock, approve=True)


def test_denied_extension_leaves_the_deadline(world, clock):
    clock.set("2026-11-02T09:00:00+08:00")
    t = new_ticket(clock)
    due = t.unit_due_at
    act(world, "edu_clerk", t, "request-extension", clock, days=5, reason="忙")
    act(world, "boss", t, "decide-extension", clock, approve=False, reason="三天足够")
    assert t.unit_due_at == due and t.extensions == 0


def test_invalidate_as_duplicate_points_at_the_primary(world, clock):
    first = new_ticket(clock, "D-1")
    second = new_ticket(clock, "D-2")
    act(world, "boss", second, "invalidate", clock, reason="重复留言", duplicate_of="D-1")
    assert second.state == "invalid" and second.duplicate_of_id == first.id
    with pytest.raises(Conflict):
        act(world, "boss", second, "invalidate", clock, reason="again")


@pytest.mark.parametrize("who,action,data,error", [
    ("boss", "accept", {}, Forbidden),                 # supervisors don't sign for units
    ("watcher", "approve", {}, Forbidden),             # viewers are read-only
    ("edu_clerk", "approve", {}, Forbidden),
    ("health_clerk", "accept", {}, NotFound),          # another unit's ticket does not exist for them
    ("edu_clerk", "approve-everything", {}, NotFound),
])
def test_who_may_not_do_what(world, clock, who, action, data, error):
    t = new_ticket(clock)
    with pytest.raises(error):
        act(world, who, t, action, clock, **data)


def test_a_county_supervisor_may_invalidate_in_the_county(world, clock):
    t = new_ticket(clock)  # D1, inside R1
    event = act(world, "east_boss", t, "invalidate", clock, reason="非政府网站问题")
    db.session.expire_all()
    assert db.session.get(Ticket, t.id).state == "invalid"
    stored = db.session.get(TicketEvent, event.id)
    assert (stored.action, stored.from_state, stored.to_state) == ("invalidate", "assigned", "invalid")
    assert stored.actor_id == world.users["east_boss"].id


def test_illegal_moves_are_conflicts_and_change_nothing(world, clock):
    t = new_ticket(clock)
    events_before = db.session.scalar(sa.select(sa.func.count()).select_from(TicketEvent))
    with pytest.raises(Conflict):
        act(world, "boss", t, "approve", clock)  # nothing replied yet
    db.session.rollback()
    assert db.session.get(Ticket, t.id).state == "assigned"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TicketEvent)) == events_before


def test_deadline_in_an_unknown_year_is_provisional(world, clock):
    clock.set("2026-12-30T10:00:00+08:00")  # Wed; the package has no 2027 schedule
    t = new_ticket(clock)
    # weekend rule: Thu 31 Dec (known), Fri 1 Jan 2027, Mon 4 Jan 2027
    assert iso(t.unit_due_at) == "2027-01-04T23:59:59+08:00"
    assert t.deadline_provisional is True


def test_duplicate_of_a_ticket_outside_the_scope_is_refused(world, clock):
    outside = new_ticket(clock, "X-1", url="http://nobody.example.org/a")  # unrouted: city triage only
    mine = new_ticket(clock, "X-2")  # D1, inside R1
    with pytest.raises(InputError) as err:
        act(world, "east_boss", mine, "invalidate", clock, reason="重复", duplicate_of="X-1")
    assert "duplicate_of" in err.value.errors
    db.session.rollback()
    act(world, "boss", mine, "invalidate", clock, reason="重复", duplicate_of="X-1")  # the city office sees both
    assert mine.duplicate_of_id == outside.id
