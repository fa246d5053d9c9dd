"""GET /api/v1/tickets, detail and actions: scope, roles, states, masking."""
from __future__ import annotations

import threading

import sqlalchemy as sa

from feedback.extensions import db
from feedback.tickets.models import Ticket


def push(client, world, pid, url="http://edu.dongcheng.gov.cn/a", **kw):
    body = {"platform_id": pid, "received_at": "2026-11-02T09:00:00+08:00", "description": "栏目不更新",
            "url": url, "reporter": {"name": "张三丰", "phone": "13812345678", "email": "zsf@example.com"}, **kw}
    r = client.post("/api/v1/reports", json=body, headers=world.headers("boss"))
    assert r.status_code == 201, r.get_json()
    return r.get_json()["ticket_id"]


def test_each_role_sees_only_its_scope(client, world):
    edu = push(client, world, "S1")                                   # D1 (under R1)
    health = push(client, world, "S2", url="wsj.dongcheng.gov.cn/x")  # D2 (under R1)
    triage = push(client, world, "S3", url="nobody.example.org")      # unrouted
    seen = {}
    for who in ("boss", "east_boss", "edu_clerk", "health_clerk", "watcher"):
        r = client.get("/api/v1/tickets", headers=world.headers(who))
        seen[who] = sorted(item["id"] for item in r.get_json()["items"])
    assert seen["boss"] == sorted([edu, health, triage])  # root office: everything incl. triage
    assert seen["watcher"] == sorted([edu, health, triage])
    assert seen["east_boss"] == sorted([edu, health])     # county: its subtree, no city triage
    assert seen["edu_clerk"] == [edu]
    assert seen["health_clerk"] == [health]
    assert client.get(f"/api/v1/tickets/{edu}", headers=world.headers("health_clerk")).status_code == 404
    assert client.get(f"/api/v1/tickets/{edu}", headers=world.headers("edu_clerk")).status_code == 200
    assert client.post(f"/api/v1/tickets/{edu}/accept", json={}, headers=world.headers("health_clerk")).status_code == 404


def test_list_is_paginated_and_filtered(client, world, clock):
    for i in range(7):
        push(client, world, f"P{i}")
    r = client.get("/api/v1/tickets?per_page=3&page=3", headers=world.headers("boss")).get_json()
    assert (r["total"], r["page"], r["per_page"], len(r["items"])) == (7, 3, 3, 1)
    r = client.get("/api/v1/tickets?state=closed", headers=world.headers("boss")).get_json()
    assert r["total"] == 0
    r = client.get("/api/v1/tickets?unit=R1", headers=world.headers("boss")).get_json()
    assert r["total"] == 7  # D1 is inside R1's subtree
    bad = client.get("/api/v1/tickets?per_page=0&state=open&received_from=yesterday", headers=world.headers("boss"))
    assert bad.status_code == 422
    assert set(bad.get_json()["errors"]) == {"per_page", "state", "received_from"}


def test_overdue_filter_uses_the_unit_clock(client, world, clock):
    clock.set("2026-11-02T09:00:00+08:00")
    late = push(client, world, "O1")          # due Thu 5 Nov 23:59:59
    clock.set("2026-11-06T09:00:00+08:00")
    push(client, world, "O2", received_at="2026-11-06T08:00:00+08:00")  # due Wed 11 Nov
    r = client.get("/api/v1/tickets?overdue=true", headers=world.headers("boss")).get_json()
    assert [item["id"] for item in r["items"]] == [late]


def test_actions_answer_with_the_contract_status_codes(client, world):
    tid = push(client, world, "A1")
    h = world.headers
    assert client.post(f"/api/v1/tickets/{tid}/approve", json={}, headers=h("boss")).status_code == 409
    assert client.post(f"/api/v1/tickets/{tid}/accept", json={}, headers=h("boss")).status_code == 403
    assert client.post(f"/api/v1/tickets/{tid}/accept", json={}, headers=h("watcher")).status_code == 403
    r = client.post(f"/api/v1/tickets/{tid}/reply", json={}, headers=h("edu_clerk"))
    assert r.status_code == 422 and "text" in r.get_json()["errors"]
    r = client.post(f"/api/v1/tickets/{tid}/reply", json={"text": "已修改"}, headers=h("edu_clerk"))
    assert r.status_code == 200 and r.get_json()["state"] == "replied"
    r = client.post(f"/api/v1/tickets/{tid}/approve", headers=h("boss"))
    body = r.get_json()
    assert r.status_code == 200 and body["state"] == "closed"
    assert [e["action"] for e in body["events"]] == ["receive", "assign", "reply", "approve"]
    assert body["events"][-1]["actor"] == "boss"
    assert client.post("/api/v1/tickets/999999/accept", json={}, headers=h("boss")).status_code == 404


def test_reporter_is_masked_for_unit_staff_and_viewers(client, world):
    tid = push(client, world, "M1")
    full = client.get(f"/api/v1/tickets/{tid}", headers=world.headers("boss")).get_json()["reporter"]
    assert full == {"name": "张三丰", "phone": "13812345678", "email": "zsf@example.com"}
    for who in ("edu_clerk", "watcher"):
        masked = client.get(f"/api/v1/tickets/{tid}", headers=world.headers(who)).get_json()["reporter"]
        assert masked == {"name": "张**", "phone": "138****5678", "email": "z***@example.com"}


def test_racing_duplicates_make_one_ticket(app, world):
    """Eight clients push the same 留言编号 at once: one created, seven duplicates, one row."""
    barrier = threading.Barrier(8)
    statuses, ids = [], set()
    headers = world.headers("boss")

    def worker():
        client = app.test_client()
        barrier.wait()
        r = client.post("/api/v1/reports", headers=headers, json={
            "platform_id": "RACE-1", "received_at": "2026-11-02T09:00:00+08:00", "description": "x"})
        statuses.append(r.get_json()["status"])
        ids.add(r.get_json()["ticket_id"])

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == ["created"] + ["duplicate"] * 7
    assert len(ids) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 1
