"""Worlds for the figures, built through the real paths: POST /api/v1/reports and the ticket
actions of the API, with the injected clock moved to each step's time."""
from __future__ import annotations

import pytest
from flask import g

from feedback.accounts.models import ApiToken, User
from feedback.accounts.scope import Actor
from feedback.extensions import db, login_manager
from tests.figures.worlds import october

# A URL each unit's site answers to (tests/factories.py); units without a site get tickets
# through triage: an unroutable URL, then the supervisor's assign.
URLS = {
    "D1": "http://edu.dongcheng.gov.cn/tzgg/1.html",
    "D2": "http://wsj.dongcheng.gov.cn/x.html",
    "R1": "http://www.dongcheng.gov.cn/zwgk/1.html",
}
UNROUTED = "http://nobody.example.org/x"
CLERKS = {"D1": "edu_clerk", "D2": "health_clerk", "D3": "hr_clerk", "D9": "traffic_clerk", "R1": "county_clerk"}


class Story:
    """Tells a ticket's life step by step; every step goes through the HTTP API at its own time."""

    def __init__(self, client, world, clock):
        self.client, self.world, self.clock = client, world, clock
        self.ids: dict[str, int] = {}
        self.unit_of: dict[str, str | None] = {}

    def receive(self, pid: str, at: str, unit: str | None = "D1") -> int:
        """The platform forwards a report at `at`; it is routed to `unit` (or assigned there by the
        supervisor at the same moment when that unit has no site)."""
        self.clock.set(at)
        url = URLS.get(unit, UNROUTED) if unit else UNROUTED
        body = {"platform_id": pid, "received_at": self.clock().isoformat(), "description": "栏目链接打不开",
                "url": url}
        r = self.client.post("/api/v1/reports", json=body, headers=self.world.headers("boss"))
        assert r.status_code == 201, r.get_json()
        self.ids[pid] = r.get_json()["ticket_id"]
        self.unit_of[pid] = None
        if unit in URLS:
            self.unit_of[pid] = unit
        elif unit is not None:
            self.act(pid, "assign", at, unit=unit)
        return self.ids[pid]

    def act(self, pid: str, action: str, at: str, who: str | None = None, **data) -> dict:
        self.clock.set(at)
        if who is None:
            staff_actions = ("accept", "reply", "return", "request-extension")
            who = CLERKS[self.unit_of[pid]] if action in staff_actions else "boss"
        r = self.client.post(f"/api/v1/tickets/{self.ids[pid]}/{action}", json=data,
                             headers=self.world.headers(who))
        assert r.status_code == 200, (pid, action, r.get_json())
        body = r.get_json()
        self.unit_of[pid] = body["unit"]["code"] if body["unit"] else None
        return body

    # the common sequences
    def reply(self, pid: str, at: str) -> dict:
        return self.act(pid, "reply", at, text="已整改")

    def approve(self, pid: str, at: str) -> dict:
        return self.act(pid, "approve", at)

    def reject(self, pid: str, at: str) -> dict:
        return self.act(pid, "reject", at, reason="答复未说明整改结果")


def add_api_user(world, username: str, role: str, unit_code: str) -> None:
    """A user with an API token and no password (hashing one costs a third of a second)."""
    user = User(username=username, role=role, unit=world.units[unit_code], display_name=username)
    row, token = ApiToken.issue(user, "test")
    db.session.add_all([user, row])
    world.users[username] = user
    world.tokens[username] = token


@pytest.fixture
def story(client, world, clock):
    for username, unit in (("hr_clerk", "D3"), ("traffic_clerk", "D9"), ("county_clerk", "R1")):
        add_api_user(world, username, "unit_staff", unit)
    db.session.commit()
    return Story(client, world, clock)


PASSWORD = "correct horse"  # tests/factories.py gives every user this password


class Browser:
    """A Flask test client signed in as one user."""

    def __init__(self, client):
        self.client = client

    def get(self, path: str):
        # flask_login caches the user on g, and the test app context outlives a request
        g.pop("_login_user", None)
        return self.client.get(path)


@pytest.fixture
def signed_in(app, world):
    """A client signed in through the real login form when it exists, else through the session."""
    def client_for(username: str) -> Browser:
        c = app.test_client()
        if "accounts.login" in app.view_functions:
            g.pop("_login_user", None)
            r = c.post("/login", data={"username": username, "password": PASSWORD})
            assert r.status_code == 302, f"sign-in as {username} failed"
        else:
            if login_manager._user_callback is None:
                login_manager.user_loader(lambda user_id: db.session.get(User, int(user_id)))
            with c.session_transaction() as session:
                session["_user_id"] = str(world.users[username].id)
                session["_fresh"] = True
        return Browser(c)

    return client_for


@pytest.fixture
def ticket_lists(app):
    """The ticket list endpoints the dashboard links to, stubbed when their pages are not here yet
    (they live in tickets/views.py). Must come before the first request."""
    for rule, endpoint in (("/inbox", "tickets.inbox"), ("/triage", "tickets.triage"), ("/review", "tickets.review")):
        if endpoint not in app.view_functions:
            app.add_url_rule(rule, endpoint, lambda: "")


@pytest.fixture
def boss(world):
    """The city office's supervisor (test_as_of.py has its own, with its world told first)."""
    return Actor.of(world.users["boss"])


@pytest.fixture
def oct_world(story):
    """worlds.october told through the API (test_dashboard.py has its own, with the clock set)."""
    october(story)
    return story
