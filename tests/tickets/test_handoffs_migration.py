"""Migration 0018 on a database that has tickets: one hand-off each from their current
assignment, and not one figure changes."""
from __future__ import annotations

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from feedback.extensions import db
from feedback.tickets.handoffs import HandOff
from feedback.timeutil import iso
from tests.tickets.test_handoffs import UNROUTED
from tests.tickets.test_lifecycle import act, new_ticket

METRICS = "/api/v1/metrics/closure?from=2026-11-01&to=2026-11-30&as_of=2026-11-24T10:00:00%2B08:00"


def figures(client, world):
    return [client.get(METRICS + group, headers=world.headers("boss")).json for group in ("", "&group=region")]


def test_0018_gives_each_assigned_ticket_one_hand_off_and_keeps_every_figure(world, clock, client):
    clock.set("2026-11-02T09:00:00+08:00")  # Mon
    new_ticket(clock, "M1")  # 教育局 by the city's routing: due Thu 5 Nov
    forwarded = new_ticket(clock, "M2", url=UNROUTED)
    new_ticket(clock, "M3", url=UNROUTED)  # stays in the city's triage: no hand-off
    closed = new_ticket(clock, "M4")
    extended = new_ticket(clock, "M5")
    act(world, "boss", forwarded, "assign", clock, unit="R1")
    clock.set("2026-11-03T10:00:00+08:00")  # Tue: the county forwards M2 to 卫健局, due Fri 6 Nov
    act(world, "east_boss", forwarded, "reassign", clock, unit="D2")
    act(world, "edu_clerk", closed, "reply", clock, text="已更正")
    act(world, "boss", closed, "approve", clock)
    act(world, "edu_clerk", extended, "request-extension", clock, days=2, reason="忙")
    act(world, "boss", extended, "decide-extension", clock, approve=True)  # Thu 5 + 2 → Mon 9 Nov
    clock.set("2026-11-24T10:00:00+08:00")
    before = figures(client, world)
    assert before[0]["total"]["received"] == 4 and before[0]["total"]["closed"] == 1

    db.session.remove()
    db.engine.dispose()
    downgrade(revision="0016")  # drops the table
    upgrade()  # and makes it again from the tickets
    db.engine.dispose()

    assert figures(client, world) == before
    rows = db.session.execute(sa.select(HandOff).order_by(HandOff.ticket_id)).scalars().all()
    assert [(h.ticket.platform_id, h.by_unit.code, h.from_unit_id, h.to_unit.code, h.top_depth, h.bottom_depth,
             iso(h.at), iso(h.due_at), h.extensions, iso(h.stopped_at), h.ended_at) for h in rows] == [
        ("M1", "C0", None, "D1", 0, 2, "2026-11-02T09:00:00+08:00", "2026-11-05T23:59:59+08:00", 0, None, None),
        # one row from its current assignment: the county's own clock is not known any more
        ("M2", "C0", None, "D2", 0, 2, "2026-11-03T10:00:00+08:00", "2026-11-06T23:59:59+08:00", 0, None, None),
        ("M4", "C0", None, "D1", 0, 2, "2026-11-02T09:00:00+08:00", "2026-11-05T23:59:59+08:00", 0,
         "2026-11-03T10:00:00+08:00", None),
        ("M5", "C0", None, "D1", 0, 2, "2026-11-02T09:00:00+08:00", "2026-11-09T23:59:59+08:00", 1, None, None),
    ]
    assert all(h.due_at == h.ticket.unit_due_at and h.clock_days == h.ticket.unit_clock_days for h in rows)
