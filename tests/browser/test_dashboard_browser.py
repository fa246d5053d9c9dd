"""A supervisor opens the dashboard in a real browser; one unit's figures match the API and a hand count."""
from __future__ import annotations

import json

import pytest

from feedback.accounts.scope import Actor
from feedback.calendar.service import current_calendar
from feedback.extensions import db
from feedback.tickets import lifecycle

pytestmark = pytest.mark.browser
KEYS = ("received", "closed", "on_time", "late", "overdue_open", "pending")


def act(world, who, ticket, action, clock, when, **data):
    clock.set(when)
    lifecycle.apply(ticket, action, Actor.of(world.users[who]), clock(), data, current_calendar())
    db.session.commit()


def test_dashboard_row_agrees_with_the_api_and_the_hand_count(world, clock, make_ticket, client, page, login,
                                                             live_server):
    clock.set("2026-11-02T09:00:00+08:00")  # Mon; 3 working days → due Thu 5 Nov 23:59:59
    on_time, late, overdue = (make_ticket(pid) for pid in ("B1", "B2", "B3"))
    act(world, "edu_clerk", on_time, "reply", clock, "2026-11-04T10:00:00+08:00", text="已改")
    act(world, "boss", on_time, "approve", clock, "2026-11-04T15:00:00+08:00")
    act(world, "edu_clerk", late, "reply", clock, "2026-11-09T10:00:00+08:00", text="已改")
    act(world, "boss", late, "approve", clock, "2026-11-09T15:00:00+08:00")
    clock.set("2026-11-19T09:00:00+08:00")  # Thu → due Tue 24 Nov: not yet due on the 20th
    make_ticket("B4")
    clock.set("2026-11-20T10:00:00+08:00")  # as_of (now) for both the page and the API
    db.session.commit()

    login(page, "boss")
    page.goto("/dashboard?month=2026-11")
    row = page.locator('tr[data-unit="D1"]')
    shown = {key: row.locator(f'td[data-key="{key}"]').inner_text().strip() for key in KEYS}
    rate = json.loads(row.locator('td[data-key="on_time_rate"]').get_attribute("data-value"))

    api = client.get("/api/v1/metrics/closure?from=2026-11-01&to=2026-11-30&unit=D1",
                     headers=world.headers("boss")).get_json()
    [d1] = [r for r in api["rows"] if r["unit"]["code"] == "D1"]
    assert {key: int(shown[key]) for key in KEYS} == {key: d1[key] for key in KEYS}
    assert rate == pytest.approx(d1["on_time_rate"])
    # by hand: 4 received in November; B1 closed on time, B2 closed late (replied 9 Nov > 5 Nov),
    # B3 open past its deadline, B4 open and due 24 Nov → rate 1 / (2 + 1)
    assert shown == {"received": "4", "closed": "2", "on_time": "1", "late": "1", "overdue_open": "1", "pending": "1"}
    assert rate == pytest.approx(1 / 3)
    assert "33.3%" in row.locator('td[data-key="on_time_rate"]').inner_text()
    assert "below-target" in (row.get_attribute("class") or "")
