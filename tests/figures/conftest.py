"""Worlds for the figures, built through the real paths: POST /api/v1/reports and the ticket
actions of the API, with the injected clock moved to each step's time (tests/support/stories.py)."""
from __future__ import annotations

import pytest

from feedback.accounts.scope import Actor
from feedback.extensions import db
from tests.factories import make_user
from tests.figures.worlds import october
from tests.support.stories import Story


@pytest.fixture
def story(client, world, clock):
    """tests/support/stories.py's Story through the HTTP API, with clerks for D3, D9 and R1; a
    report for D1, D2 or R1 is routed on ingest, one for another unit assigned at receipt."""
    for username, unit in (("hr_clerk", "D3"), ("traffic_clerk", "D9"), ("county_clerk", "R1")):
        make_user(world, username, "unit_staff", unit)
    db.session.commit()
    return Story(world, clock, client=client)


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
