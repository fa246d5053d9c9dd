"""Tickets through the API as the platform and the people would make them (the notification,
hand-back and findings worker tests): a report posted, an action taken, a ticket closed."""
from __future__ import annotations

import sqlalchemy as sa

from feedback.extensions import db
from feedback.timeutil import iso, now


def count(model, *where) -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(model).where(*where)).scalar_one()


# --- tickets through the API, as the platform and the people would make them --------------------

SITES = {"D1": "https://edu.dongcheng.gov.cn/tzgg/1.html", "D2": "https://wsj.dongcheng.gov.cn/a.html"}


def post_report(client, world, pid: str, unit: str = "D1", **extra) -> int:
    """A report the platform forwards now (the injected clock); routed to `unit` by its URL."""
    body = {"platform_id": pid, "received_at": iso(now()), "url": SITES[unit], "description": "栏目链接打不开",
            **extra}
    r = client.post("/api/v1/reports", json=body, headers=world.headers("boss"))
    assert r.status_code == 201, r.get_json()
    return r.get_json()["ticket_id"]


def act(client, world, who: str, ticket_id: int, action: str, body: dict | None = None) -> dict:
    r = client.post(f"/api/v1/tickets/{ticket_id}/{action}", json=body or {}, headers=world.headers(who))
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def close(client, world, ticket_id: int, who: str = "edu_clerk") -> dict:
    act(client, world, who, ticket_id, "reply", {"text": "已更正链接，感谢指正。"})
    return act(client, world, "boss", ticket_id, "approve")


def give_emails(world) -> None:
    for name, user in world.users.items():
        user.email = f"{name}@office.example"
    db.session.commit()
