"""Page-test helpers shared by tests/web and tests/browser: signing in through the real login
form, and tickets made through the real ingest. Fixtures here are imported by those conftests."""
from __future__ import annotations

import re

import pytest

from feedback.accounts.scope import Actor
from feedback.extensions import db
from feedback.tickets.ingest import ingest, parse_all
from feedback.tickets.models import Ticket

PASSWORD = "correct horse"  # tests/factories.py gives every user this password


def sign_in(client, username: str, password: str = PASSWORD):
    """Post the login form as a browser would; returns the response (a redirect on success)."""
    return client.post("/login", data={"username": username, "password": password})


def csrf_token_from(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


@pytest.fixture
def make_ticket(world, clock):
    """A ticket as the platform would send it, received now; routed by the world's rules. Committed."""
    def make(pid: str, url: str | None = "http://edu.dongcheng.gov.cn/tzgg/1.html", **fields) -> Ticket:
        raw = {"platform_id": pid, "received_at": clock().isoformat(), "description": "栏目内容有错别字",
               "url": url, **fields}
        good, bad = parse_all([raw], naive_is_local=False)
        assert not bad, bad[0].errors
        [result] = ingest(good, Actor.system("platform"), clock(), source="test")
        db.session.commit()
        return db.session.get(Ticket, result.ticket_id)

    return make


@pytest.fixture
def as_user(app, world):
    """A fresh test client signed in as the named user (several can be open at once)."""
    def client_for(username: str, password: str = PASSWORD):
        c = app.test_client()
        r = sign_in(c, username, password)
        assert r.status_code == 302, f"sign-in as {username} failed"
        return c

    return client_for
