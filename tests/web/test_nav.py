"""The main menu: every item resolves, opens for each role it is offered to, is marked as the
current page there and on its sub-pages, and is not offered to the other roles.

Driven by feedback.web.helpers.NAV itself: a page added to the menu is checked here with no
change to this file (once a user of each role exists in tests/factories.py).
"""
from __future__ import annotations

import re

import pytest
from flask import url_for

from feedback.web.helpers import ADMIN_TABS, NAV

# One signed-in person per role in the test world.
PEOPLE = {"supervisor": "boss", "unit_staff": "edu_clerk", "viewer": "watcher"}


def menu(html: str) -> dict[str, bool]:
    """{href: marked as current} of the main menu's links."""
    nav = re.search(r'<nav class="mainnav".*?</nav>', html, re.S).group(0)
    return {m.group(1): bool(m.group(2)) for m in
            re.finditer(r'<a href="([^"]+)"( class="active")?', nav)}


@pytest.mark.parametrize("role", sorted(PEOPLE))
def test_every_menu_item_opens_for_its_roles_and_is_marked_current(app, world, as_user, role):
    client = as_user(PEOPLE[role])
    offered = [(endpoint, roles) for endpoint, _label, roles, _also in NAV]
    with app.test_request_context():
        hrefs = {endpoint: url_for(endpoint) for endpoint, _ in offered}  # BuildError: a misspelt endpoint
    for endpoint, roles in offered:
        if role not in roles:
            continue
        r = client.get(hrefs[endpoint])
        assert r.status_code == 200, f"{role} cannot open {endpoint} ({hrefs[endpoint]}): {r.status_code}"
        items = menu(r.get_data(as_text=True))
        assert items.get(hrefs[endpoint]) is True, f"{endpoint} is not marked current on its own page"
        assert [h for h, current in items.items() if current] == [hrefs[endpoint]]
    html = client.get("/notices").get_data(as_text=True)
    assert set(menu(html)) == {hrefs[e] for e, roles in offered if role in roles}


def test_every_sub_page_endpoint_of_the_menu_exists(app):
    for endpoint, _label, _roles, also in NAV:
        for other in also:
            assert other in app.view_functions, f"{endpoint}: {other} is not an endpoint"
    for endpoint, _label in ADMIN_TABS:
        assert endpoint in app.view_functions, endpoint


def test_imports_and_notices_are_in_the_supervisors_menu(world, as_user):
    items = menu(as_user("boss").get("/inbox").get_data(as_text=True))
    assert "/imports" in items and "/notices" in items


def test_sub_pages_keep_their_menu_item_marked(world, as_user, make_ticket):
    ticket = make_ticket("2026112400001")
    clerk = as_user("edu_clerk")
    clerk.post(f"/tickets/{ticket.id}/accept")
    # an empty reply is refused on /tickets/<id>/reply: the page still belongs to 收件箱
    r = clerk.post(f"/tickets/{ticket.id}/reply", data={"text": ""})
    assert r.status_code == 422
    assert [h for h, current in menu(r.get_data(as_text=True)).items() if current] == ["/inbox"]
    boss = as_user("boss")
    r = boss.get(f"/admin/units/{world.units['D1'].id}")
    assert [h for h, current in menu(r.get_data(as_text=True)).items() if current] == ["/admin/units"]
    r = boss.get(f"/admin/users/{world.users['edu_clerk'].id}")
    assert [h for h, current in menu(r.get_data(as_text=True)).items() if current] == ["/admin/units"]
