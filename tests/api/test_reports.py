"""POST /api/v1/reports: routing, clocks, idempotency and bad input."""
from __future__ import annotations

import json

from feedback.extensions import db
from feedback.tickets.models import Ticket, TicketEvent


def report(pid="P1", **kw):
    base = {"platform_id": pid, "received_at": "2026-09-30T15:00:00+08:00",
            "description": "首页“通知公告”栏目链接打不开", "url": "https://edu.dongcheng.gov.cn/tzgg/1.html"}
    base.update(kw)
    return base


def test_single_report_is_routed_with_both_clocks(client, world, clock):
    clock.set("2026-09-30T15:00:00+08:00")
    r = client.post("/api/v1/reports", json=report(), headers=world.headers("boss"))
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["status"] == "created"
    assert body["state"] == "assigned"
    assert body["unit"] == {"code": "D1", "name": "东城县教育局"}
    # DESIGN.md example: Wed 30 Sep 15:00 + 3 → Oct 8, Oct 9, Sat Oct 10 (make-up workday)
    assert body["unit_due_at"] == "2026-10-10T23:59:59+08:00"
    # + 5 → Oct 8, 9, 10, 12, 13
    assert body["platform_due_at"] == "2026-10-13T23:59:59+08:00"
    assert body["deadline_provisional"] is False


def test_repeat_is_a_duplicate_and_never_a_second_row(client, world):
    first = client.post("/api/v1/reports", json=report(), headers=world.headers("boss")).get_json()
    again = client.post("/api/v1/reports", json=report(description="changed"), headers=world.headers("boss"))
    assert again.status_code == 200
    assert again.get_json()["status"] == "duplicate"
    assert again.get_json()["ticket_id"] == first["ticket_id"]
    assert db.session.query(Ticket).count() == 1


def test_unmatched_report_waits_in_triage(client, world):
    r = client.post("/api/v1/reports", json=report(url="http://unknown.example.org/x"), headers=world.headers("boss"))
    body = r.get_json()
    assert body["state"] == "new" and body["unit"] is None and body["unit_due_at"] is None


def test_batch_keeps_good_items_when_some_are_bad(client, world):
    items = [report("A1"), {"received_at": "2026-09-30T15:00:00+08:00", "description": "x"},
             report("A2", received_at="2026-09-30T15:00:00"), report("A1"), [1, 2], report("A3")]
    r = client.post("/api/v1/reports", json={"reports": items}, headers=world.headers("boss"))
    assert r.status_code == 200
    body = r.get_json()
    assert (body["created"], body["duplicate"], body["error"]) == (2, 1, 3)
    statuses = [x["status"] for x in body["results"]]
    assert statuses == ["created", "error", "error", "duplicate", "error", "created"]
    assert "platform_id" in body["results"][1]["errors"]
    assert "received_at" in body["results"][2]["errors"]
    assert body["results"][3]["ticket_id"] == body["results"][0]["ticket_id"]
    # every stored ticket has its events, and nothing else was stored
    assert db.session.query(Ticket).count() == 2
    assert db.session.query(TicketEvent).filter_by(action="receive").count() == 2


def test_bad_bodies_name_what_is_wrong(client, world):
    h = world.headers("boss")
    r = client.post("/api/v1/reports", json=[report()], headers=h)
    assert r.status_code == 422 and "body" in r.get_json()["errors"]
    r = client.post("/api/v1/reports", data=b'{"platform_id": "\xff"}', headers=h, content_type="application/json")
    assert r.status_code == 422 and "UTF-8" in r.get_json()["errors"]["body"]
    r = client.post("/api/v1/reports", json=report(platform_id=None), headers=h)
    assert r.status_code == 422 and r.get_json()["errors"]["platform_id"] == "required"
    r = client.post("/api/v1/reports", json={"reports": [report(str(i)) for i in range(1001)]}, headers=h)
    assert r.status_code == 422 and "reports" in r.get_json()["errors"]
    assert db.session.query(Ticket).count() == 0


def test_body_over_the_limit_is_413(app, client, world):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    r = client.post("/api/v1/reports", data=json.dumps(report(description="长" * 2000)),
                    headers=world.headers("boss"), content_type="application/json")
    assert r.status_code == 413


def test_tokens_are_required(client, world):
    assert client.post("/api/v1/reports", json=report()).status_code == 401
    assert client.post("/api/v1/reports", json=report(), headers={"Authorization": "Bearer nope"}).status_code == 401
    assert client.post("/api/v1/reports", json=report(), headers=world.headers("edu_clerk")).status_code == 403
