"""After every action on a ticket the person lands on a page they may see, never on a 404.

One row per lifecycle action (the test fails when an action has no row): the state the ticket
is brought to first, who acts, the form they post. Each is posted from the ticket's own page
(no `next`) and, where a queue carries the form, from that queue.
"""
from __future__ import annotations

import pytest

from feedback.accounts.scope import Actor
from feedback.calendar.service import current_calendar
from feedback.extensions import db
from feedback.tickets import lifecycle

# The steps that bring a routed ticket (待签收 at D1) to the state the action needs.
CLERK, BOSS = "edu_clerk", "boss"
SETUP = {
    "assigned": [],
    "in_progress": [(CLERK, "accept", {})],
    "replied": [(CLERK, "accept", {}), (CLERK, "reply", {"text": "已改正"})],
    "extension": [(CLERK, "request-extension", {"days": 2, "reason": "需要技术公司配合"})],
    "new": [(CLERK, "return", {"reason": "不是本单位的网站"})],
}

# action: (state first, actor, form, queue that carries the form or None, where they land)
ACTIONS = {
    "assign": ("new", BOSS, {"unit": "D2"}, "/triage", "/tickets/{id}"),
    "accept": ("assigned", CLERK, {}, None, "/tickets/{id}"),
    "reply": ("in_progress", CLERK, {"text": "已改正错别字"}, None, "/tickets/{id}"),
    "approve": ("replied", BOSS, {}, "/review", "/tickets/{id}"),
    "reject": ("replied", BOSS, {"reason": "请补充截图"}, "/review", "/tickets/{id}"),
    "return": ("in_progress", CLERK, {"reason": "网站由卫健局主办"}, None, "/inbox"),
    "request-extension": ("in_progress", CLERK, {"days": "2", "reason": "需要外包公司修改"}, None,
                          "/tickets/{id}"),
    "decide-extension": ("extension", BOSS, {"approve": "1", "days": "2"}, "/extensions", "/tickets/{id}"),
    "invalidate": ("assigned", BOSS, {"reason": "重复留言"}, None, "/tickets/{id}"),
    "reassign": ("assigned", BOSS, {"unit": "D2"}, None, "/tickets/{id}"),
    "note": ("in_progress", CLERK, {"text": "已电话联系技术公司", "internal": "1"}, None, "/tickets/{id}"),
}


def test_every_action_has_a_row():
    assert set(ACTIONS) == set(lifecycle.RULES)


def _bring_to(world, clock, ticket, state):
    for username, action, data in SETUP[state]:
        lifecycle.apply(ticket, action, Actor.of(world.users[username]), clock(), data, current_calendar())
    db.session.commit()


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_the_action_from_the_ticket_page_lands_on_a_page_the_actor_sees(world, clock, make_ticket, as_user,
                                                                       action):
    state, who, form, _queue, lands = ACTIONS[action]
    ticket = make_ticket("2026112400001")
    _bring_to(world, clock, ticket, state)
    client = as_user(who)
    r = client.post(f"/tickets/{ticket.id}/{action}", data=form)
    assert r.status_code == 302, r.get_data(as_text=True)[:500]
    assert r.headers["Location"] == lands.format(id=ticket.id)
    page = client.get(r.headers["Location"])
    assert page.status_code == 200
    assert 'class="flash flash-success"' in page.get_data(as_text=True)


@pytest.mark.parametrize("action", sorted(a for a, row in ACTIONS.items() if row[3]))
def test_the_action_from_its_queue_goes_back_to_the_queue(world, clock, make_ticket, as_user, action):
    state, who, form, queue, _lands = ACTIONS[action]
    ticket = make_ticket("2026112400001")
    _bring_to(world, clock, ticket, state)
    client = as_user(who)
    assert f'action="/tickets/{ticket.id}/{action}"' in client.get(queue).get_data(as_text=True)
    r = client.post(f"/tickets/{ticket.id}/{action}", data={**form, "next": queue})
    assert r.headers["Location"] == queue
    assert client.get(queue).status_code == 200


def test_a_stale_form_for_a_ticket_that_left_the_clerks_scope_is_404(world, clock, make_ticket,
                                                                                  as_user):
    ticket = make_ticket("2026112400001")
    _bring_to(world, clock, ticket, "new")  # returned from another desk; no longer D1's
    r = as_user(CLERK).post(f"/tickets/{ticket.id}/accept")
    assert r.status_code == 404  # outside the scope: nothing about it is told
