"""Each level's clock (逐级转办): hand-off rows written by the lifecycle.

World (tests/factories.py): 示例市 office C0 (depth 0) → 东城县 R1 (depth 1) → its 教育局 D1 and
卫健局 D2 (depth 2); C0 → 西城区 R2 → D3; C0 → 市交通局 D9. boss supervises C0, east_boss R1.
Unit clock N = 3 working days. November 2026 has no holidays: Mon 2, Tue 3, … Mon 9, Tue 10.
"""
from __future__ import annotations

from datetime import datetime

import pytest
import sqlalchemy as sa

from feedback.accounts.scope import Actor
from feedback.errors import Conflict, Forbidden
from feedback.extensions import db
from feedback.tickets import handoffs
from feedback.tickets.handoffs import HandOff
from feedback.tickets.models import Ticket
from feedback.tickets.triage import queue_counts, triage_query
from feedback.timeutil import iso
from tests.tickets.test_lifecycle import act, new_ticket

UNROUTED = "http://nobody.example.org/a"  # no rule: lands in the city office's triage


def rows(t):
    return db.session.execute(sa.select(HandOff).where(HandOff.ticket_id == t.id).order_by(HandOff.id)).scalars().all()


def shape(h):
    return (h.by_unit.code, h.from_unit.code if h.from_unit else None, h.to_unit.code, h.top_depth,
            h.bottom_depth, iso(h.due_at), h.end_reason)


def clock_in_sql(ticket_id: int, unit_code: str):
    """The documented query: the hand-off that brought the ticket into the unit's subtree."""
    return db.session.execute(sa.text(
        "SELECT h.id, h.due_at FROM ticket_handoffs h JOIN units u ON u.code = :code "
        "WHERE h.ticket_id = :t AND h.ended_at IS NULL AND h.top_depth <= u.depth AND h.bottom_depth >= u.depth"),
        {"t": ticket_id, "code": unit_code}).all()


def forwarded(world, clock):
    """City → county on Mon 2 Nov 10:00, county → 教育局 on Wed 4 Nov 16:00."""
    clock.set("2026-11-02T09:00:00+08:00")
    t = new_ticket(clock, url=UNROUTED)
    assert t.state == "new" and t.unit_id is None and rows(t) == []
    clock.set("2026-11-02T10:00:00+08:00")
    act(world, "boss", t, "assign", clock, unit="R1")
    clock.set("2026-11-04T16:00:00+08:00")
    act(world, "east_boss", t, "reassign", clock, unit="D1")
    return t


def test_city_county_department_each_level_has_its_own_clock(world, clock):
    t = forwarded(world, clock)
    # R1's clock: Mon 2 Nov + 3 → Tue 3, Wed 4, Thu 5. D1's: Wed 4 Nov + 3 → Thu 5, Fri 6, Mon 9.
    assert [shape(h) for h in rows(t)] == [
        ("C0", None, "R1", 0, 1, "2026-11-05T23:59:59+08:00", None),
        ("R1", "R1", "D1", 2, 2, "2026-11-09T23:59:59+08:00", None),
    ]
    assert t.unit.code == "D1" and t.state == "assigned"
    assert iso(t.unit_due_at) == "2026-11-09T23:59:59+08:00"  # the last hand-off's clock
    assert iso(t.assigned_at) == "2026-11-04T16:00:00+08:00"
    first, second = rows(t)
    assert [r.id for r in clock_in_sql(t.id, "R1")] == [first.id]
    assert [r.id for r in clock_in_sql(t.id, "D1")] == [second.id]
    assert [r.id for r in clock_in_sql(t.id, "C0")] == [first.id]

    # 教育局 replies Mon 9 Nov: on time for itself (due 9 Nov), late for the county (due 5 Nov)
    clock.set("2026-11-09T10:00:00+08:00")
    act(world, "edu_clerk", t, "reply", clock, text="已更正")
    clock.set("2026-11-09T15:00:00+08:00")
    act(world, "boss", t, "approve", clock)
    assert [iso(h.stopped_at) for h in rows(t)] == ["2026-11-09T10:00:00+08:00"] * 2
    assert t.handling_workdays == 3  # after Wed 4 up to Mon 9: Thu 5, Fri 6, Mon 9
    first, second = rows(t)
    assert first.stopped_at > first.due_at and second.stopped_at <= second.due_at


def test_a_move_inside_the_county_keeps_the_county_clock_and_restarts_the_department(world, clock):
    t = forwarded(world, clock)
    clock.set("2026-11-05T11:00:00+08:00")  # Thu: 卫健局 instead; its clock Fri 6, Mon 9, Tue 10
    act(world, "east_boss", t, "reassign", clock, unit="D2")
    assert [shape(h) for h in rows(t)] == [
        ("C0", None, "R1", 0, 1, "2026-11-05T23:59:59+08:00", None),
        ("R1", "R1", "D1", 2, 1, "2026-11-09T23:59:59+08:00", "moved"),
        ("R1", "D1", "D2", 2, 2, "2026-11-10T23:59:59+08:00", None),
    ]
    assert iso(t.unit_due_at) == "2026-11-10T23:59:59+08:00"
    # the county takes it back itself: no new clock, the county's runs on (due Thu 5 Nov)
    act(world, "east_boss", t, "reassign", clock, unit="R1")
    assert shape(rows(t)[-1])[2:] == ("R1", 2, 1, None, "no_clock")
    assert t.unit.code == "R1" and iso(t.unit_due_at) == "2026-11-05T23:59:59+08:00"
    assert iso(t.assigned_at) == "2026-11-02T10:00:00+08:00"


def test_the_city_moving_a_ticket_between_counties_starts_the_new_county_clock(world, clock):
    t = forwarded(world, clock)
    clock.set("2026-11-05T11:00:00+08:00")
    act(world, "boss", t, "reassign", clock, unit="D3")  # 西城区人社局: enters R2 from outside
    # levels 1 and 2 are new (R2 and D3 share this clock: Fri 6, Mon 9, Tue 10); level 0 stays
    assert [shape(h) for h in rows(t)] == [
        ("C0", None, "R1", 0, 0, "2026-11-05T23:59:59+08:00", None),
        ("R1", "R1", "D1", 2, 0, "2026-11-09T23:59:59+08:00", "moved"),
        ("C0", "D1", "D3", 1, 2, "2026-11-10T23:59:59+08:00", None),
    ]
    assert [r.id for r in clock_in_sql(t.id, "R2")] == [rows(t)[2].id]


def test_a_reassignment_must_stay_in_the_supervisors_subtree(world, clock):
    t = forwarded(world, clock)
    from feedback.errors import InputError

    with pytest.raises(InputError) as err:
        act(world, "east_boss", t, "reassign", clock, unit="D3")  # 西城区: not east_boss's
    assert "unit" in err.value.errors
    db.session.rollback()
    with pytest.raises(Conflict):  # from triage it is assign, not reassign
        act(world, "boss", new_ticket(clock, "L2", url=UNROUTED), "reassign", clock, unit="R1")


def test_an_extension_approved_by_the_county_moves_only_the_department_clock(world, clock):
    t = forwarded(world, clock)
    act(world, "edu_clerk", t, "request-extension", clock, days=2, reason="需要技术公司修改")
    act(world, "east_boss", t, "decide-extension", clock, approve=True)
    # D1: Mon 9 + 2 → Tue 10, Wed 11. R1's clock owed to the city stays Thu 5.
    assert [iso(h.due_at) for h in rows(t)] == ["2026-11-05T23:59:59+08:00", "2026-11-11T23:59:59+08:00"]
    assert [h.extensions for h in rows(t)] == [0, 1]
    assert iso(t.unit_due_at) == "2026-11-11T23:59:59+08:00" and t.extensions == 1
    data = t.events[-1].data
    assert iso(datetime.fromisoformat(data["old_due_at"])) == "2026-11-09T23:59:59+08:00"
    assert [h["id"] for h in data["handoffs"]] == [rows(t)[1].id]


def test_an_extension_approved_by_the_city_moves_every_clock_below_it(world, clock):
    t = forwarded(world, clock)
    act(world, "edu_clerk", t, "request-extension", clock, days=2, reason="需要技术公司修改")
    act(world, "boss", t, "decide-extension", clock, approve=True)
    # R1: Thu 5 + 2 → Fri 6, Mon 9. D1: Mon 9 + 2 → Tue 10, Wed 11.
    assert [iso(h.due_at) for h in rows(t)] == ["2026-11-09T23:59:59+08:00", "2026-11-11T23:59:59+08:00"]
    assert iso(t.unit_due_at) == "2026-11-11T23:59:59+08:00"


def test_the_county_cannot_extend_a_deadline_the_city_set(world, clock):
    clock.set("2026-11-02T09:00:00+08:00")
    t = new_ticket(clock)  # routed by the city office straight to 教育局
    act(world, "edu_clerk", t, "request-extension", clock, days=2, reason="忙")
    with pytest.raises(Conflict):
        act(world, "east_boss", t, "decide-extension", clock, approve=True)
    db.session.rollback()
    assert iso(db.session.get(Ticket, t.id).unit_due_at) == "2026-11-05T23:59:59+08:00"


def test_a_department_return_lands_in_the_county_triage_with_the_county_clock_running(world, clock):
    t = forwarded(world, clock)
    clock.set("2026-11-05T09:00:00+08:00")
    act(world, "edu_clerk", t, "return", clock, reason="不是我们的栏目")
    assert t.state == "new" and t.unit.code == "R1"
    assert iso(t.unit_due_at) == "2026-11-05T23:59:59+08:00"  # the county's clock, still running
    assert [h.end_reason for h in rows(t)] == [None, "returned"]
    assert t.events[-1].unit_id == world.units["D1"].id  # returned by D1
    east, boss = Actor.of(world.users["east_boss"]), Actor.of(world.users["boss"])
    assert [x.id for x in db.session.execute(triage_query(east)).scalars()] == [t.id]
    assert [x.id for x in db.session.execute(triage_query(boss)).scalars()] == []
    assert queue_counts(east)["tickets.triage"] == 1 and queue_counts(boss)["tickets.triage"] == 0
    # the county assigns it again from its triage: 卫健局 gets a fresh clock (Fri 6, Mon 9, Tue 10)
    act(world, "east_boss", t, "assign", clock, unit="D2")
    assert shape(rows(t)[-1]) == ("R1", "R1", "D2", 2, 2, "2026-11-10T23:59:59+08:00", None)
    assert iso(rows(t)[0].due_at) == "2026-11-05T23:59:59+08:00"


def test_the_county_return_lands_in_the_city_triage_and_ends_the_county_hand_off(world, clock):
    t = forwarded(world, clock)
    clock.set("2026-11-05T09:00:00+08:00")
    act(world, "east_boss", t, "return", clock, reason="不属于东城县")
    assert t.state == "new" and t.unit_id is None and t.unit_due_at is None
    assert [h.end_reason for h in rows(t)] == ["returned", "returned"]
    assert clock_in_sql(t.id, "R1") == []
    boss = Actor.of(world.users["boss"])
    assert [x.id for x in db.session.execute(triage_query(boss)).scalars()] == [t.id]
    assert t.events[-1].unit_id == world.units["R1"].id


def test_the_county_can_return_what_reached_its_triage(world, clock):
    t = forwarded(world, clock)
    act(world, "edu_clerk", t, "return", clock, reason="不是我们的")
    act(world, "east_boss", t, "return", clock, reason="也不是东城县的")
    assert t.state == "new" and t.unit_id is None


def test_a_return_of_a_ticket_the_city_routed_goes_to_the_city(world, clock):
    t = new_ticket(clock)  # routed to 教育局 by the city office's rules
    act(world, "edu_clerk", t, "return", clock, reason="不是我们的")
    assert t.unit_id is None and [h.end_reason for h in rows(t)] == ["returned"]


def test_the_top_office_has_no_level_to_return_to(world, clock):
    t = new_ticket(clock)
    with pytest.raises(Forbidden):
        act(world, "boss", t, "return", clock, reason="x")
    db.session.rollback()
    from feedback.tickets import lifecycle

    assert "return" not in lifecycle.allowed_actions(t, Actor.of(world.users["boss"]))
    assert "return" in lifecycle.allowed_actions(t, Actor.of(world.users["east_boss"]))
    assert "reassign" in lifecycle.allowed_actions(t, Actor.of(world.users["east_boss"]))


def test_routing_on_ingest_writes_the_first_hand_off(world, clock):
    clock.set("2026-11-02T09:00:00+08:00")
    t = new_ticket(clock)
    assert [shape(h) for h in rows(t)] == [("C0", None, "D1", 0, 2, "2026-11-05T23:59:59+08:00", None)]
    assert rows(t)[0].actor == "routing" and handoffs.clock_of(t, 1).id == rows(t)[0].id


def test_the_reassign_api_and_the_chain_on_the_ticket_page(world, clock, client):
    clock.set("2026-11-02T09:00:00+08:00")
    t = new_ticket(clock, url=UNROUTED)
    act(world, "boss", t, "assign", clock, unit="R1")
    answer = client.post(f"/api/v1/tickets/{t.id}/reassign", json={"unit": "D1"}, headers=world.headers("east_boss"))
    assert answer.status_code == 200, answer.json
    assert answer.json["unit"]["code"] == "D1" and answer.json["state"] == "assigned"
    assert answer.json["events"][-1]["action"] == "reassign"
    # R1's clock from Mon 2 Nov (due Thu 5), D1's from now, Mon 2 Nov 09:00 too (due Thu 5)
    assert [(h["by"], h["from"], h["to"], h["due_at"], h["current"]) for h in answer.json["handoffs"]] == [
        ("C0", None, "R1", "2026-11-05T23:59:59+08:00", True),
        ("R1", "R1", "D1", "2026-11-05T23:59:59+08:00", True)]
    outside = client.post(f"/api/v1/tickets/{t.id}/reassign", json={"unit": "D3"}, headers=world.headers("east_boss"))
    assert outside.status_code == 422 and "unit" in outside.json["errors"]
    clerk = client.post(f"/api/v1/tickets/{t.id}/reassign", json={"unit": "D2"}, headers=world.headers("edu_clerk"))
    assert clerk.status_code == 403
    client.post("/login", data={"username": "east_boss", "password": "correct horse"})
    page = client.get(f"/tickets/{t.id}").get_data(as_text=True)
    assert 'id="handoffs"' in page and "东城县教育局" in page and "2026-11-05" in page
    act(world, "edu_clerk", t, "return", clock, reason="不是我们的")
    triage = client.get("/triage").get_data(as_text=True)  # the county's triage shows it
    assert t.platform_id in triage


def test_a_calendar_correction_moves_a_county_clock_that_no_ticket_clock_spans(app, world, clock, tmp_path):
    """The county's clock, extended by the city, runs past the platform deadline; the county
    forwards after that. A day then corrected to a holiday lies inside the county's clock only:
    neither the platform clock, nor the department's, nor assignment→reply spans it."""
    from tests.factories import make_user
    make_user(world, "east_clerk", "unit_staff", "R1")
    db.session.commit()
    clock.set("2026-11-02T09:00:00+08:00")
    t = new_ticket(clock, url=UNROUTED)  # platform deadline: Mon 2 + 5 → Mon 9
    clock.set("2026-11-02T10:00:00+08:00")
    act(world, "boss", t, "assign", clock, unit="R1")  # R1: Tue 3, Wed 4, Thu 5
    act(world, "east_clerk", t, "request-extension", clock, days=5, reason="需要协调")
    act(world, "boss", t, "decide-extension", clock, approve=True)  # R1: + Fri 6 … Thu 12
    clock.set("2026-11-11T16:00:00+08:00")
    act(world, "east_boss", t, "reassign", clock, unit="D1")  # D1: Thu 12, Fri 13, Mon 16
    assert iso(t.platform_due_at) == "2026-11-09T23:59:59+08:00"
    assert [iso(h.due_at) for h in rows(t)] == ["2026-11-12T23:59:59+08:00", "2026-11-16T23:59:59+08:00"]

    path = tmp_path / "fix.csv"
    path.write_text("date,is_workday,note\r\n2026-11-10,0,临时停工\r\n")  # Tue 10: inside R1's clock only
    result = app.test_cli_runner().invoke(args=["calendar", "load", str(path)])
    assert result.exit_code == 0, result.output
    # one ticket changed; 教育局's own deadline did not move, so nobody is told of it
    assert "deadlines recomputed: 1 ticket(s) changed; units told: 0" in result.output
    db.session.expire_all()
    t = db.session.get(Ticket, t.id)
    # R1 loses Tue 10: Wed 11, Thu 12, Fri 13; D1's (Thu 12, Fri 13, Mon 16) and the platform's stand
    assert [iso(h.due_at) for h in rows(t)] == ["2026-11-13T23:59:59+08:00", "2026-11-16T23:59:59+08:00"]
    assert iso(t.platform_due_at) == "2026-11-09T23:59:59+08:00"
    # the event records the level's deadline that moved, so the county's figures stay explainable
    [event] = [e for e in t.events if e.action == "recompute-deadline"]
    assert event.data == {"handoffs": [{"id": rows(t)[0].id, "old_due_at": "2026-11-12T23:59:59+08:00",
                                        "new_due_at": "2026-11-13T23:59:59+08:00"}]}


def test_loading_the_next_year_confirms_a_county_clock_the_ticket_clocks_do_not_reach(app, world, clock, tmp_path):
    """The county's clock, extended into 2027 (not yet published: provisional), while the
    department's and the platform's end in 2026: loading 2027 settles the county's too."""
    from tests.factories import make_user
    make_user(world, "east_clerk", "unit_staff", "R1")
    db.session.commit()
    clock.set("2026-12-07T09:00:00+08:00")
    t = new_ticket(clock, url=UNROUTED)
    act(world, "boss", t, "assign", clock, unit="R1")
    act(world, "east_clerk", t, "request-extension", clock, days=20, reason="需要协调")
    act(world, "boss", t, "decide-extension", clock, approve=True)  # 23 working days: Thu 7 Jan 2027
    clock.set("2026-12-10T16:00:00+08:00")
    act(world, "east_boss", t, "reassign", clock, unit="D1")
    county = rows(t)[0]
    assert (iso(county.due_at), county.provisional) == ("2027-01-07T23:59:59+08:00", True)
    assert not t.deadline_provisional

    path = tmp_path / "2027.csv"
    path.write_text("date,is_workday,note\r\n2027-02-06,1,春节调休上班\r\n")  # nothing before 7 Jan moves
    assert app.test_cli_runner().invoke(args=["calendar", "load", str(path)]).exit_code == 0
    db.session.expire_all()
    county = rows(db.session.get(Ticket, t.id))[0]
    assert (iso(county.due_at), county.provisional) == ("2027-01-07T23:59:59+08:00", False)


def test_the_ticket_mirrors_which_levels_its_own_clock_covers(world, clock):
    """clock_top_depth: the level from which the unit's own hand-off is the clock (the figures
    read the ticket's columns there, and look the hand-off up above it)."""
    t = forwarded(world, clock)  # C0 → R1 (levels 0, 1), R1 → D1 (level 2 only)
    assert t.clock_top_depth == 2 and t.assigned_at == rows(t)[1].at
    clock.set("2026-11-05T09:00:00+08:00")
    act(world, "edu_clerk", t, "return", clock, reason="不是我们的栏目")  # back in R1's triage: R1's own clock
    assert (t.unit.code, t.clock_top_depth) == ("R1", 0)
    routed = new_ticket(clock, "L9")  # the city office's routing straight to 教育局: every level
    assert (routed.unit.code, routed.clock_top_depth) == ("D1", 0)
