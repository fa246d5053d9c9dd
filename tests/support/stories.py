"""The one ticket-story builder: tells tickets' lives step by step, each step at its own time on
the injected clock, through the real paths. (tests/figures/histories.py plays random plans for
the differential tests; this tells hand-written ones.)

- `Story(world, clock, client=client)`: every step is an HTTP request (POST /api/v1/reports,
  POST /api/v1/tickets/ID/ACTION with the actor's token).
- `Story(world, clock)`: tickets.ingest and tickets.lifecycle.apply directly, committed per step.

`routed=True`: a report for a unit with a site (URLS) is routed there on ingest, and one for
another unit is assigned there by the city's supervisor `assign_after` later; `routed=False`:
every report arrives in triage and is assigned that way.
"""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from feedback.accounts.scope import Actor
from feedback.calendar.service import current_calendar
from feedback.extensions import db
from feedback.tickets import lifecycle
from feedback.tickets.ingest import ingest, parse_all
from feedback.tickets.models import Ticket

# A URL each unit's site answers to (tests/factories.py); other units get tickets through triage.
URLS = {
    "D1": "http://edu.dongcheng.gov.cn/tzgg/1.html",
    "D2": "http://wsj.dongcheng.gov.cn/x.html",
    "R1": "http://www.dongcheng.gov.cn/zwgk/1.html",
}
UNROUTED = "http://nobody.example.org/x"
# who acts for each unit; the world (or the folder's fixture) must have them
CLERKS = {"D1": "edu_clerk", "D2": "health_clerk", "D3": "hr_clerk", "D5": "odd_clerk", "D9": "traffic_clerk",
          "R1": "county_clerk"}
STAFF_ACTIONS = ("accept", "reply", "return", "request-extension")


class Story:
    def __init__(self, world, clock, client=None, *, routed: bool = True, assign_after=timedelta(0),
                 default_unit: str | None = "D1"):
        self.world, self.clock, self.client = world, clock, client
        self.routed, self.assign_after, self.default_unit = routed, assign_after, default_unit
        self.ids: dict[str, int] = {}
        self.unit_of: dict[str, str | None] = {}

    _DEFAULT = object()

    def receive(self, pid: str, at: str, unit=_DEFAULT) -> int:
        """The platform forwards a report at `at` for `unit` (None: nobody's, into triage)."""
        unit = self.default_unit if unit is self._DEFAULT else unit
        self.clock.set(at)
        url = URLS[unit] if self.routed and unit in URLS else UNROUTED
        body = {"platform_id": pid, "received_at": self.clock().isoformat(), "description": "栏目链接打不开",
                "url": url}
        if self.client is not None:
            r = self.client.post("/api/v1/reports", json=body, headers=self.world.headers("boss"))
            assert r.status_code == 201, r.get_json()
            self.ids[pid] = r.get_json()["ticket_id"]
        else:
            good, bad = parse_all([body], naive_is_local=False)
            assert not bad, bad[0].errors
            [result] = ingest(good, Actor.system("platform"), self.clock(), source="test")
            db.session.commit()
            self.ids[pid] = result.ticket_id
        self.unit_of[pid] = unit if url != UNROUTED else None
        if unit is not None and url == UNROUTED:
            self.act(pid, "assign", (self.clock() + self.assign_after).isoformat(), unit=unit)
        return self.ids[pid]

    def act(self, pid: str, action: str, at: str, who: str | None = None, **data):
        """`who` (default: the ticket's unit's clerk for a unit's action, else the city's
        supervisor) does `action` at `at`. Returns the API's ticket, or the event written."""
        self.clock.set(at)
        if who is None:
            who = CLERKS[self.unit_of[pid]] if action in STAFF_ACTIONS else "boss"
        if self.client is not None:
            r = self.client.post(f"/api/v1/tickets/{self.ids[pid]}/{action}", json=data,
                                 headers=self.world.headers(who))
            assert r.status_code == 200, (pid, action, r.get_json())
            out = r.get_json()
            self.unit_of[pid] = out["unit"]["code"] if out["unit"] else None
            return out
        ticket = db.session.execute(sa.select(Ticket).where(Ticket.platform_id == pid)).scalar_one()
        out = lifecycle.apply(ticket, action, Actor.of(self.world.users[who]), self.clock(), data,
                              current_calendar())
        db.session.commit()
        self.unit_of[pid] = ticket.unit.code if ticket.unit is not None else None
        return out

    # the common sequences
    def reply(self, pid: str, at: str):
        return self.act(pid, "reply", at, text="已整改")

    def approve(self, pid: str, at: str):
        return self.act(pid, "approve", at)

    def reject(self, pid: str, at: str):
        return self.act(pid, "reject", at, reason="答复未说明整改结果")
