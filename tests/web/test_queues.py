"""The supervisor's queues: triage with a suggestion and one-click assign, review, extensions."""
from __future__ import annotations

import pytest

from feedback.accounts.scope import Actor
from feedback.calendar.service import current_calendar
from feedback.extensions import db
from feedback.tickets import lifecycle
from feedback.tickets.triage import parent_domain_urls, suggest


def test_triage_suggests_the_parent_domain_owner_and_assigns_in_one_click(world, make_ticket, as_user):
    # No rule for jyj.dongcheng.gov.cn; 东城县 (R1) owns www.dongcheng.gov.cn.
    t = make_ticket("TR1", url="http://jyj.dongcheng.gov.cn/a/b.html")
    assert t.state == "new"
    boss = as_user("boss")
    html = boss.get("/triage").get_data(as_text=True)
    assert "转办给 东城县" in html
    r = boss.post(f"/tickets/{t.id}/assign", data={"unit": "R1", "next": "/triage?"})
    assert r.status_code == 302 and r.headers["Location"].startswith("/triage")
    assert t.state == "assigned" and t.unit.code == "R1"
    assert t.events[-1].actor == "boss" and t.events[-1].action == "assign"
    assert "TR1" not in boss.get("/triage").get_data(as_text=True)


def test_a_unit_that_returned_a_ticket_is_not_suggested_again(world, make_ticket):
    t = make_ticket("TR2", url="http://edu.dongcheng.gov.cn/x.html")  # routed to D1
    lifecycle.apply(t, "return", Actor.of(world.users["edu_clerk"]), t.received_at, {"reason": "不是我们的"},
                    current_calendar())
    db.session.commit()
    [s] = suggest([t], Actor.of(world.users["boss"])).values()
    # D1's own prefix is skipped; the parent domain dongcheng.gov.cn belongs to R1.
    assert s.unit.code == "R1" and s.basis == "parent_domain"


def test_suggestion_by_site_name_and_none_when_nothing_fits(world, make_ticket):
    by_name = make_ticket("TR3", url=None, site_name="东城县卫健局网站")
    nothing = make_ticket("TR4", url="http://unknown.example.org/")
    out = suggest([by_name, nothing], Actor.of(world.users["boss"]))
    assert out[by_name.id].unit.code == "D2" and out[by_name.id].basis == "site_name"
    assert out[nothing.id] is None


def test_suggestions_stay_inside_the_supervisors_scope(world, make_ticket):
    t = make_ticket("TR5", url=None, site_name="东城县卫健局网站")
    # A supervisor of 西城区 (R2) may not assign to 东城县's units, so nothing is suggested.
    west = Actor(user_id=None, label="west", role="supervisor", unit_id=world.units["R2"].id,
                 unit_path=world.units["R2"].path)
    assert suggest([t], west)[t.id] is None


def test_parent_domains_never_reach_the_public_suffix():
    assert parent_domain_urls("https://a.b.example.gov.cn/x") == ["b.example.gov.cn", "example.gov.cn"]
    assert parent_domain_urls("http://www.example.gov.cn/") == []  # www. is dropped: example.gov.cn
    assert parent_domain_urls(None) == []


def test_review_shows_the_reply_beside_the_report_and_approves_from_the_queue(world, make_ticket, as_user):
    t = make_ticket("RV1", description="办事指南中的电话号码错误")
    lifecycle.apply(t, "reply", Actor.of(world.users["edu_clerk"]), t.received_at, {"text": "已更正为 0571-1234"},
                    current_calendar())
    db.session.commit()
    boss = as_user("boss")
    html = boss.get("/review").get_data(as_text=True)
    item = html[html.index(f'id="review-{t.id}"'):]
    assert item.index("办事指南中的电话号码错误") < item.index("已更正为 0571-1234")
    assert "按期答复" in item
    r = boss.post(f"/tickets/{t.id}/approve", data={"next": "/review?"})
    assert r.headers["Location"].startswith("/review") and t.state == "closed"
    assert "没有待审核的答复" in boss.get("/review").get_data(as_text=True)


@pytest.mark.parametrize("page", ["/inbox", "/dashboard"])  # the dashboard counts them in its glance scan
def test_queue_counts_show_in_the_menu(world, make_ticket, as_user, page):
    make_ticket("Q1", url="http://unknown.example.org/")
    make_ticket("Q2", url="http://unknown.example.org/2")
    replied = make_ticket("Q3")
    lifecycle.apply(replied, "reply", Actor.of(world.users["edu_clerk"]), replied.received_at, {"text": "已更正"},
                    current_calendar())
    db.session.commit()
    html = as_user("boss").get(page).get_data(as_text=True)
    assert '待分派<span class="count">2</span>' in html
    assert '待审核<span class="count">1</span>' in html
