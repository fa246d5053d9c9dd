"""The unit's inbox: most urgent first, deadlines in working days and colour, filters, pages."""
from __future__ import annotations

import re

from feedback.accounts.scope import Actor
from feedback.calendar.service import current_calendar
from feedback.extensions import db
from feedback.tickets import lifecycle


def listed(html: str) -> list[str]:
    """The 留言编号 of the rows, in the order shown."""
    return re.findall(r'<a class="mono" href="/tickets/\d+">([^<]+)</a>', html)


def row_of(html: str, pid: str) -> str:
    start = html.index(f">{pid}</a>")
    row_start = html.rindex("<tr", 0, start)
    return html[row_start:html.index("</tr>", start)]


def test_most_urgent_first_with_working_days_left_or_overdue(world, clock, make_ticket, as_user):
    # Each ticket is routed to D1 when it arrives; the unit has 3 working days.
    clock.set("2026-11-17T09:00:00+08:00")  # Tue → due Fri 11-20
    replied = make_ticket("E-replied")
    lifecycle.apply(replied, "reply", Actor.of(world.users["edu_clerk"]), clock(), {"text": "已改"}, current_calendar())
    db.session.commit()
    clock.set("2026-11-18T10:00:00+08:00"); make_ticket("A-late")    # Wed → Thu, Fri, Mon 11-23
    clock.set("2026-11-20T09:00:00+08:00"); make_ticket("D-tomorrow")  # Fri → Mon, Tue, Wed 11-25
    clock.set("2026-11-23T09:00:00+08:00"); make_ticket("B-two")     # Mon → Tue, Wed, Thu 11-26
    clock.set("2026-11-24T09:00:00+08:00"); make_ticket("C-three")   # Tue → Wed, Thu, Fri 11-27
    make_ticket("F-health", url="http://wsj.dongcheng.gov.cn/x")     # D2: not this clerk's
    clock.set("2026-11-24T10:00:00+08:00")  # now: Tuesday morning

    html = as_user("edu_clerk").get("/inbox").get_data(as_text=True)
    assert listed(html) == ["A-late", "D-tomorrow", "B-two", "C-three", "E-replied"]
    # Mon 11-23 was the last day; Tue is one working day late.
    assert 'due-overdue">超期 1 个工作日' in row_of(html, "A-late")
    assert 'due-soon">剩 1 个工作日' in row_of(html, "D-tomorrow")  # Wed left
    assert 'due-ok">剩 2 个工作日' in row_of(html, "B-two")         # Wed, Thu left
    assert 'due-ok">剩 3 个工作日' in row_of(html, "C-three")
    assert "已按期答复" in row_of(html, "E-replied")  # replied Tue 11-17, in time


def test_deadline_in_an_unpublished_year_is_marked_provisional(world, clock, make_ticket, as_user):
    clock.set("2026-12-29T10:00:00+08:00")  # Tue → Wed 30, Thu 31, then 2027: not published yet
    make_ticket("Y1")
    row = row_of(as_user("edu_clerk").get("/inbox").get_data(as_text=True), "Y1")
    assert 'class="provisional"' in row and "暂定" in row


def test_filters_by_state_category_date_and_search(world, clock, make_ticket, as_user):
    clock.set("2026-11-16T09:00:00+08:00")
    make_ticket("2026111600001", category="错别字", description="首页有错别字")
    clock.set("2026-11-20T09:00:00+08:00")
    t2 = make_ticket("2026112000002", url="http://edu.dongcheng.gov.cn/zwgk/notice.html",
                     category="信息不更新", description="通知公告三个月没有更新")
    lifecycle.apply(t2, "accept", Actor.of(world.users["edu_clerk"]), clock(), {}, current_calendar())
    db.session.commit()
    clock.set("2026-11-24T10:00:00+08:00")
    c = as_user("edu_clerk")

    def ids(query: str) -> list[str]:
        return sorted(listed(c.get("/inbox?" + query).get_data(as_text=True)))

    both = ["2026111600001", "2026112000002"]
    assert ids("") == both
    assert ids("state=in_progress") == ["2026112000002"]
    assert ids("category=content_error") == ["2026111600001"]
    assert ids("received_from=2026-11-17") == ["2026112000002"]
    assert ids("received_to=2026-11-16") == ["2026111600001"]
    assert ids("q=2026111600001") == ["2026111600001"]   # 留言编号
    assert ids("q=ZWGK/Notice") == ["2026112000002"]     # part of the URL, any case
    assert ids("q=通知公告") == ["2026112000002"]          # text of the report
    assert ids("q=nothing-like-this") == []


def test_closed_tickets_leave_the_default_view_but_stay_findable(world, clock, make_ticket, as_user):
    t = make_ticket("Z1")
    clerk, boss = Actor.of(world.users["edu_clerk"]), Actor.of(world.users["boss"])
    lifecycle.apply(t, "reply", clerk, clock(), {"text": "已改"}, current_calendar())
    lifecycle.apply(t, "approve", boss, clock(), {}, current_calendar())
    db.session.commit()
    c = as_user("edu_clerk")
    assert listed(c.get("/inbox").get_data(as_text=True)) == []
    assert listed(c.get("/inbox?state=all").get_data(as_text=True)) == ["Z1"]
    assert listed(c.get("/inbox?state=closed").get_data(as_text=True)) == ["Z1"]


def test_the_list_is_paginated(world, clock, make_ticket, as_user):
    for i in range(5):
        make_ticket(f"N{i}")
        clock.advance(minutes=1)
    c = as_user("edu_clerk")
    first = c.get("/inbox?per_page=2").get_data(as_text=True)
    third = c.get("/inbox?per_page=2&page=3").get_data(as_text=True)
    # Same deadline for all five (same day): oldest id first.
    assert listed(first) == ["N0", "N1"] and listed(third) == ["N4"]
    assert "共 5 条" in first and "第 1 / 3 页" in first and 'rel="next"' in first
    assert 'rel="prev"' in third and 'rel="next"' not in third


def test_bad_filter_values_are_named_not_crashed_on(world, as_user):
    r = as_user("edu_clerk").get("/inbox?received_from=yesterday&category=nonsense")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "转办日期应为“年-月-日”" in html and "问题类型不正确" in html


def test_supervisor_sees_the_unit_column_and_the_subtree(world, clock, make_ticket, as_user):
    make_ticket("S-edu")
    make_ticket("S-health", url="http://wsj.dongcheng.gov.cn/x")
    make_ticket("S-west", url=None, site_code=None, description="西城人社公众号")  # unrouted: city triage
    html = as_user("east_boss").get("/inbox").get_data(as_text=True)
    assert sorted(listed(html)) == ["S-edu", "S-health"]
    assert "东城县卫健局" in row_of(html, "S-health")


def test_supervisor_filters_by_unit_with_its_subtree(world, make_ticket, as_user):
    make_ticket("U-edu")
    make_ticket("U-health", url="http://wsj.dongcheng.gov.cn/x")
    boss = as_user("boss")
    assert sorted(listed(boss.get("/inbox?unit=D2").get_data(as_text=True))) == ["U-health"]
    assert sorted(listed(boss.get("/inbox?unit=R1").get_data(as_text=True))) == ["U-edu", "U-health"]
    r = as_user("east_boss").get("/inbox?unit=D3")  # 西城区's: not in 东城县's scope
    assert r.status_code == 200 and "不在您的管辖范围内" in r.get_data(as_text=True)
