"""Fixtures for page tests: tickets made through the real ingest, users signed in through /login."""
from __future__ import annotations

import pytest

from feedback.accounts.scope import Actor
from feedback.extensions import db
from feedback.tickets.ingest import ingest, parse_all
from feedback.tickets.models import Ticket
from tests.web_helpers import sign_in


@pytest.fixture
def make_ticket(world, clock):
    """A ticket as the platform would send it; routed by the world's rules. Committed."""
    def make(pid: str, url: str = "http://edu.dongcheng.gov.cn/tzgg/1.html", **fields) -> Ticket:
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
    def client_for(username: str):
        c = app.test_client()
        r = sign_in(c, username)
        assert r.status_code == 302, f"sign-in as {username} failed"
        return c

    return client_for
