"""Every lifecycle action × every state × every kind of caller, through
`POST /api/v1/tickets/ID/ACTION`, against a table written by hand from CONTRACT.md's action
table and its error codes (404 not in your scope, then 403 your role may not, then 409 not from
this state). The table is not derived from lifecycle.RULES, so it catches the two disagreeing.

The world (tests/factories.py, plus west_boss): C0 city office → R1 county → D1, D2;
C0 → R2 → D3. Every ticket is D1's, routed there on ingest by the office, except in state `new`:
an unroutable report in the office's triage, which only the office's own people can see.
"""
from __future__ import annotations

from datetime import datetime
from itertools import count

import pytest
import sqlalchemy as sa
from flask import g

from feedback.accounts.scope import Actor
from feedback.calendar.service import current_calendar
from feedback.extensions import db
from feedback.tickets import lifecycle
from feedback.tickets.ingest import ingest, parse_all
from feedback.tickets.models import Ticket, TicketEvent
from feedback.timeutil import LOCAL
from tests.conftest import Clock
from tests.support.apps import test_app
from tests.factories import build_world, make_user
from tests.support.signin import fast_password_hash

STATES = ("new", "assigned", "in_progress", "replied", "closed", "invalid")

# who → the world user
CALLERS = {
    "clerk": "edu_clerk",         # unit staff of the ticket's unit (D1)
    "other_clerk": "health_clerk",  # unit staff of another unit (D2, same county)
    "boss": "boss",               # supervisor of the city office: every ticket is in scope
    "region": "east_boss",        # supervisor of R1, the county D1 belongs to
    "outsider": "west_boss",      # supervisor of R2: D1's tickets are out of scope
    "viewer": "watcher",          # the city office's viewer: sees all, may do nothing
}

BODIES = {
    "assign": {"unit": "D1"},
    "reassign": {"unit": "D2"},
    "accept": {},
    "reply": {"text": "已更正链接，感谢指正。"},
    "approve": {},
    "reject": {"reason": "答复未说明整改结果"},
    "return": {"reason": "非本单位网站"},
    "request-extension": {"days": 3, "reason": "需要技术公司配合"},
    # denied, so the decision is the supervisor's alone (an approval also asks whose clock it is)
    "decide-extension": {"approve": False, "reason": "三天足够"},
    "invalidate": {"reason": "非政府网站问题"},
    "note": {"text": "已电话联系网站运维", "internal": True},
}

# (action, caller) → the outcome from each state, in STATES order: a state name is 200 with the
# ticket now in that state; a number is that error, with the ticket unchanged.
N, A, P, R, C, I = STATES
X4, X3 = (404,) * 6, (403,) * 6
TABLE = {
    #                               new   assigned in_progress replied closed invalid
    ("assign", "clerk"):            (404, 403, 403, 403, 403, 403),
    ("assign", "other_clerk"):      X4,
    ("assign", "boss"):             (A, 409, 409, 409, 409, 409),
    ("assign", "region"):           (404, 409, 409, 409, 409, 409),
    ("assign", "outsider"):         X4,
    ("assign", "viewer"):           X3,

    ("reassign", "clerk"):          (404, 403, 403, 403, 403, 403),
    ("reassign", "other_clerk"):    X4,
    ("reassign", "boss"):           (409, A, A, 409, 409, 409),
    ("reassign", "region"):         (404, A, A, 409, 409, 409),  # D2 is inside R1
    ("reassign", "outsider"):       X4,
    ("reassign", "viewer"):         X3,

    ("accept", "clerk"):            (404, P, 409, 409, 409, 409),
    ("accept", "other_clerk"):      X4,
    ("accept", "boss"):             X3,
    ("accept", "region"):           (404, 403, 403, 403, 403, 403),
    ("accept", "outsider"):         X4,
    ("accept", "viewer"):           X3,

    ("reply", "clerk"):             (404, R, R, 409, 409, 409),
    ("reply", "other_clerk"):       X4,
    ("reply", "boss"):              X3,
    ("reply", "region"):            (404, 403, 403, 403, 403, 403),
    ("reply", "outsider"):          X4,
    ("reply", "viewer"):            X3,

    ("approve", "clerk"):           (404, 403, 403, 403, 403, 403),
    ("approve", "other_clerk"):     X4,
    ("approve", "boss"):            (409, 409, 409, C, 409, 409),
    ("approve", "region"):          (404, 409, 409, C, 409, 409),  # any supervisor in scope
    ("approve", "outsider"):        X4,
    ("approve", "viewer"):          X3,

    ("reject", "clerk"):            (404, 403, 403, 403, 403, 403),
    ("reject", "other_clerk"):      X4,
    ("reject", "boss"):             (409, 409, 409, P, 409, 409),
    ("reject", "region"):           (404, 409, 409, P, 409, 409),
    ("reject", "outsider"):         X4,
    ("reject", "viewer"):           X3,

    # unit staff, region supervisor; assigned, in_progress → new. The office routed the ticket,
    # so the county returns it to the office's triage; the office has no level above to return
    # to (403 while the ticket is returnable at all, else the state's 409).
    ("return", "clerk"):            (404, N, N, 409, 409, 409),
    ("return", "other_clerk"):      X4,
    ("return", "boss"):             (403, 403, 403, 409, 409, 409),
    ("return", "region"):           (404, N, N, 409, 409, 409),
    ("return", "outsider"):         X4,
    ("return", "viewer"):           X3,

    # state unchanged; only while the unit holds the ticket
    ("request-extension", "clerk"): (404, A, P, 409, 409, 409),
    ("request-extension", "other_clerk"): X4,
    ("request-extension", "boss"):  X3,
    ("request-extension", "region"): (404, 403, 403, 403, 403, 403),
    ("request-extension", "outsider"): X4,
    ("request-extension", "viewer"): X3,

    # state unchanged; in assigned and in_progress the clerk has asked first (see ticket_in);
    # elsewhere no request waits: 409
    ("decide-extension", "clerk"):  (404, 403, 403, 403, 403, 403),
    ("decide-extension", "other_clerk"): X4,
    ("decide-extension", "boss"):   (409, A, P, 409, 409, 409),
    ("decide-extension", "region"): (404, A, P, 409, 409, 409),
    ("decide-extension", "outsider"): X4,
    ("decide-extension", "viewer"): X3,

    # supervisor; any open state → invalid
    ("invalidate", "clerk"):        (404, 403, 403, 403, 403, 403),
    ("invalidate", "other_clerk"):  X4,
    ("invalidate", "boss"):         (I, I, I, I, 409, 409),
    ("invalidate", "region"):       (404, I, I, I, 409, 409),
    ("invalidate", "outsider"):     X4,
    ("invalidate", "viewer"):       X3,

    # unit staff and supervisors in scope; state unchanged, in every state
    ("note", "clerk"):              (404, A, P, R, C, I),
    ("note", "other_clerk"):        X4,
    ("note", "boss"):               (N, A, P, R, C, I),
    ("note", "region"):             (404, A, P, R, C, I),
    ("note", "outsider"):           X4,
    ("note", "viewer"):             X3,
}


def test_the_table_covers_every_action_and_caller():
    assert {action for action, _ in TABLE} == set(BODIES) == set(lifecycle.RULES)
    assert len(TABLE) == len(BODIES) * len(CALLERS)


AT = datetime(2026, 11, 24, 10, 0, tzinfo=LOCAL)  # a Tuesday, a working day


@pytest.fixture(scope="module")
def table_world(database_url, tmp_path_factory):
    """One app and one world for the whole table: each case only adds its own ticket."""
    import feedback.accounts.models as models

    with test_app(database_url, Clock(AT), tmp_path_factory.mktemp("table")) as app, \
            pytest.MonkeyPatch.context() as mp:
        mp.setattr(models, "generate_password_hash", fast_password_hash)  # quick_password_hashing is per test
        world = build_world()
        make_user(world, "west_boss", "supervisor", "R2")
        db.session.commit()
        yield app, world, app.test_client(), count(1)


def ticket_in(state: str, world, pid: str) -> Ticket:
    """A ticket brought to `state` by the real steps (lifecycle.apply), all at AT."""
    url = "http://nobody.example.org/x" if state == "new" else "http://edu.dongcheng.gov.cn/tzgg/1.html"
    good, bad = parse_all([{"platform_id": pid, "received_at": AT.isoformat(), "description": "栏目链接打不开",
                            "url": url}], naive_is_local=False)
    assert not bad, bad[0].errors
    [result] = ingest(good, Actor.system("platform"), AT, source="test")
    ticket = db.session.get(Ticket, result.ticket_id)

    def step(who: str, action: str, **data):
        lifecycle.apply(ticket, action, Actor.of(world.users[who]), AT, data, current_calendar())

    steps = {
        "new": [],
        "assigned": [],
        "in_progress": [("edu_clerk", "accept", {})],
        "replied": [("edu_clerk", "reply", {"text": "已更正"})],
        "closed": [("edu_clerk", "reply", {"text": "已更正"}), ("boss", "approve", {})],
        "invalid": [("boss", "invalidate", {"reason": "重复留言"})],
    }[state]
    for who, action, data in steps:
        step(who, action, **data)
    db.session.commit()
    assert ticket.state == state
    return ticket


CASES = [(action, caller, state, outcome)
         for (action, caller), row in TABLE.items() for state, outcome in zip(STATES, row)]


@pytest.mark.parametrize("action,caller,state,expected", CASES,
                         ids=[f"{a}-{c}-{s}" for a, c, s, _ in CASES])
def test_action_by_caller_from_state(table_world, action, caller, state, expected):
    app, world, client, serial = table_world
    ticket = ticket_in(state, world, f"T-{next(serial)}")
    if action == "decide-extension" and state in ("assigned", "in_progress"):
        lifecycle.apply(ticket, "request-extension", Actor.of(world.users["edu_clerk"]), AT,
                        {"days": 3, "reason": "需要技术公司配合"}, current_calendar())
        db.session.commit()
    events_before = len(ticket.events)

    g.pop("_login_user", None)
    r = client.post(f"/api/v1/tickets/{ticket.id}/{action}", json=BODIES[action],
                    headers=world.headers(CALLERS[caller]))

    db.session.rollback()
    db.session.expire_all()
    stored = db.session.get(Ticket, ticket.id)
    events = db.session.scalars(sa.select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)
                                .order_by(TicketEvent.id)).all()
    if isinstance(expected, int):
        assert r.status_code == expected, r.get_json()
        assert stored.state == state and len(events) == events_before
    else:
        assert r.status_code == 200, r.get_json()
        assert r.get_json()["state"] == expected and stored.state == expected
        assert len(events) == events_before + 1
        last = events[-1]
        assert (last.action, last.from_state, last.to_state) == (action, state, expected)
        assert last.actor_id == world.users[CALLERS[caller]].id
