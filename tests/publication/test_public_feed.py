"""公开: /public/OFFICE_CODE and its .json (CONTRACT.md: Publication)."""
from __future__ import annotations

import re
from datetime import date
from urllib.parse import urlsplit

import pytest

from feedback.accounts.scope import Actor
from feedback.extensions import db
from feedback.figures.closure import closure
from feedback.publication.feed import complete_months, months
from feedback.settings import service as settings
from feedback.tickets import lifecycle
from feedback.calendar.service import current_calendar

ID_NUMBER = "110101199003077571"  # a valid check digit
MOBILE = "13812345678"


def publish(clock, on: bool = True):
    settings.set_value("publication.enabled", "true" if on else "false", Actor.system("test"), clock())
    db.session.commit()


def close(ticket, world, clock, reply: str):
    clerk, boss = Actor.of(world.users["edu_clerk"]), Actor.of(world.users["boss"])
    lifecycle.apply(ticket, "reply", clerk, clock(), {"text": reply, "confirm": True}, current_calendar())
    lifecycle.apply(ticket, "approve", boss, clock(), {}, current_calendar())
    db.session.commit()


@pytest.fixture
def october(world, clock, make_ticket):
    """Three messages received in October 2026: two closed (one with personal data), one still open."""
    clock.set("2026-10-12T09:00:00+08:00")
    a = make_ticket("P-1", description=f"我是张三，电话 {MOBILE}，身份证 {ID_NUMBER}，栏目有错字",
                    reporter_name="张三", reporter_phone=MOBILE, reporter_email="zhangsan@example.com",
                    site_name="东城县教育局网站")
    b = make_ticket("P-2", description="链接打不开")
    make_ticket("P-3", description="栏目不更新")
    clock.set("2026-10-13T10:00:00+08:00")
    close(a, world, clock, "已更正。如有问题请联系张三 zhangsan@example.com")
    clock.set("2026-10-20T10:00:00+08:00")  # past P-2's platform deadline (5 working days)
    close(b, world, clock, "已修复链接。")
    clock.set("2026-11-24T10:00:00+08:00")
    return a, b


def test_off_until_the_office_switches_it_on_and_only_the_top_office(client, world, clock, october):
    assert client.get("/public/C0").status_code == 404
    assert client.get("/public/C0.json").status_code == 404
    publish(clock)
    assert client.get("/public/C0").status_code == 200
    assert client.get("/public/C0.json").status_code == 200
    for other in ("R1", "D1", "NOPE"):
        assert client.get(f"/public/{other}").status_code == 404
        assert client.get(f"/public/{other}.json").status_code == 404
    publish(clock, on=False)
    assert client.get("/public/C0.json").status_code == 404


def test_closed_messages_without_personal_data(client, world, clock, october):
    publish(clock)
    body = client.get("/public/C0.json").json
    assert body["office"] == {"code": "C0", "name": "示例市人民政府办公室"}
    assert (body["page"], body["total"]) == (1, 2)
    assert [i["platform_id"] for i in body["items"]] == ["P-2", "P-1"]  # latest closed first
    p1 = body["items"][1]
    assert set(p1) == {"platform_id", "received_at", "closed_at", "site_name", "url", "category", "description",
                       "reply"}
    assert (p1["received_at"], p1["closed_at"], p1["site_name"]) == (
        "2026-10-12T09:00:00+08:00", "2026-10-13T10:00:00+08:00", "东城县教育局网站")
    text = str(body)
    for secret in ("张三", MOBILE, ID_NUMBER, "zhangsan@example.com"):
        assert secret not in text, secret
    assert p1["description"] == "我是张*，电话 138****5678，身份证 1101************71，栏目有错字"
    assert p1["reply"] == "已更正。如有问题请联系张* z***@example.com"
    page = client.get("/public/C0").get_data(as_text=True)
    for secret in ("张三", MOBILE, ID_NUMBER, "zhangsan@example.com"):
        assert secret not in page
    assert "P-1" in page and "P-3" not in page  # the open one is not published


def test_months_are_the_last_twelve_complete_ones_on_the_platform_clock(client, world, clock, october):
    publish(clock)
    body = client.get("/public/C0.json").json
    assert [m["month"] for m in body["months"]] == [f"{y}-{m:02d}" for y, m in
                                                    [(2025, 11), (2025, 12)] + [(2026, i) for i in range(1, 11)]]
    oct_ = body["months"][-1]
    # P-1 closed in time, P-2 closed after its platform deadline (10-19), P-3 open and past it:
    # on time 1 of (closed 2 + overdue 1)
    assert (oct_["received"], oct_["closed"], oct_["on_time_rate"]) == (3, 2, pytest.approx(1 / 3))
    assert all(m["on_time_rate"] is None and m["received"] == 0 for m in body["months"][:-1])


def test_months_agree_with_the_figures_platform_clock(app, world, clock, october):
    [oct_] = [m for m in months(clock()) if m.month == date(2026, 10, 1)]
    report = closure(Actor.system(), date(2026, 10, 1), date(2026, 10, 31), clock(), percentiles=False)
    platform = report.total.platform
    assert (oct_.received, oct_.closed, oct_.on_time_rate) == (platform.received, platform.closed,
                                                               platform.on_time_rate)


def test_complete_months_at_a_year_end():
    from datetime import datetime
    from feedback.timeutil import LOCAL

    got = complete_months(datetime(2027, 1, 1, 0, 0, tzinfo=LOCAL))
    assert (got[0], got[-1]) == (date(2026, 1, 1), date(2026, 12, 1))


def test_fifty_a_page_and_a_page_past_the_end_is_empty(client, world, clock, make_ticket):
    clock.set("2026-10-12T09:00:00+08:00")
    for n in range(51):
        close(make_ticket(f"M-{n:03d}"), world, clock, "已更正。")
    clock.set("2026-11-24T10:00:00+08:00")
    publish(clock)
    first = client.get("/public/C0.json").json
    second = client.get("/public/C0.json?page=2").json
    past = client.get("/public/C0.json?page=3")
    assert (len(first["items"]), len(second["items"]), first["total"]) == (50, 1, 51)
    assert past.status_code == 200 and past.json["items"] == [] and past.json["total"] == 51
    assert client.get("/public/C0?page=3").status_code == 200


def test_the_page_links_nowhere_else(client, world, clock, october, make_ticket):
    """Crawl every link from the page: each stays on this office's public pages (or is a static
    asset), each answers 200 without a login, and no page names a login, a ticket or an API."""
    publish(clock)
    seen, queue = set(), ["/public/C0"]
    while queue:
        path = queue.pop()
        if path in seen:
            continue
        seen.add(path)
        r = client.get(path)
        assert r.status_code == 200, path
        if not r.mimetype == "text/html":
            continue
        html = r.get_data(as_text=True)
        assert "csrf_token" not in html and "/login" not in html
        for link in re.findall(r'(?:href|src|action)="([^"]+)"', html):
            target = urlsplit(link.replace("&amp;", "&"))
            assert not target.scheme and not target.netloc, link
            assert target.path.startswith(("/public/C0", "/static/")), link
            if target.path.startswith("/public/"):
                queue.append(target.path + (f"?{target.query}" if target.query else ""))
    assert {"/public/C0", "/public/C0.json?page=1"} <= seen
