"""A clerk and a supervisor handle one report in real chromium, start to finish."""
from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser

XSS = "<script>alert(1)</script><img src=x onerror=alert(2)>"


def timeline(pg) -> list[tuple[str, str]]:
    items = pg.locator("#timeline li")
    return [(items.nth(i).locator(".what").inner_text(), items.nth(i).locator(".by").inner_text().lstrip("· "))
            for i in range(items.count())]


def test_accept_reply_reject_reply_approve_and_the_timeline(world, clock, make_ticket, new_page, login):
    clock.set("2026-11-23T09:00:00+08:00")  # Monday; due Thu 11-26
    ticket = make_ticket("2026112300001", description="“办事指南”栏目中的咨询电话已停用",
                         reporter_phone="13812345678", reporter_name="李四")
    clock.set("2026-11-24T10:00:00+08:00")

    clerk = new_page()
    login(clerk, "edu_clerk")
    assert clerk.url.endswith("/inbox")
    row = clerk.locator("tr", has_text="2026112300001")
    assert "剩 2 个工作日" in row.inner_text()  # Wed, Thu
    row.get_by_role("link", name="2026112300001").click()
    assert "138****5678" in clerk.inner_text("main") and "13812345678" not in clerk.content()
    link = clerk.locator("a.url-link")
    assert link.get_attribute("target") == "_blank" and link.get_attribute("rel") == "noopener noreferrer"

    clerk.click("#do-accept")
    assert "已签收" in clerk.inner_text(".flashes")
    clerk.fill("#reply-text", "已将咨询电话更新为 0571-88888888。")
    clerk.click("#do-preview")
    assert clerk.inner_text("#reply-preview") == "已将咨询电话更新为 0571-88888888。"
    clerk.click("#do-reply")
    assert "答复已提交" in clerk.inner_text(".flashes")

    clock.advance(hours=2)
    boss = new_page()
    login(boss, "boss")
    boss.goto("/review")
    review = boss.locator(f"#review-{ticket.id}")
    assert "0571-88888888" in review.inner_text() and "咨询电话已停用" in review.inner_text()
    review.locator("input[name=reason]").fill("请同时更新页面底部的联系方式")
    review.get_by_role("button", name="退回重办").click()
    assert "已退回重办" in boss.inner_text(".flashes")

    clock.advance(hours=1)
    clerk.goto(f"/tickets/{ticket.id}")
    assert "请同时更新页面底部的联系方式" in clerk.inner_text("#timeline")
    clerk.fill("#reply-text", "页面正文和底部的联系方式均已更新。")
    clerk.click("#do-preview")
    clerk.click("#do-reply")

    clock.advance(hours=1)
    boss.goto(f"/tickets/{ticket.id}")
    boss.click("#do-approve")
    assert "已审核通过" in boss.inner_text(".flashes")
    assert boss.inner_text(".page-head .badge") == "已办结"

    clerk.reload()
    assert timeline(clerk) == [
        ("收到留言", "找错平台"), ("转办", "自动转办"), ("签收", "edu_clerk"), ("答复", "edu_clerk"),
        ("退回重办", "boss"), ("答复", "edu_clerk"), ("审核通过，办结", "boss"),
    ]
    # Each step at the (injected) time it was taken.
    when = clerk.locator("#timeline .when").all_inner_texts()
    assert when[2:] == ["2026-11-24 10:00", "2026-11-24 10:00", "2026-11-24 12:00", "2026-11-24 13:00",
                        "2026-11-24 14:00"]
    for pg in (clerk, boss):
        assert pg.dialogs == [] and not [e for e in pg.console_errors if "Content Security Policy" in e]


def test_a_clerk_of_another_unit_gets_404(world, make_ticket, page, login):
    ticket = make_ticket("2026112400002")  # D1's
    login(page, "health_clerk")  # D2
    response = page.goto(f"/tickets/{ticket.id}")
    assert response.status == 404
    assert "不在您的管辖范围内" in page.inner_text("main")
    assert "2026112400002" not in page.content()
    page.goto("/inbox")
    assert "2026112400002" not in page.content()


def test_a_hostile_description_shows_as_text_and_runs_nothing(world, clock, make_ticket, new_page, login):
    # Routed to D1 by its site code; the URL is a script, the site name and reporter markup.
    ticket = make_ticket("2026112400666", description=XSS, url="javascript:alert(3)", site_name=XSS,
                         site_code="1101000001",
                         reporter_name=XSS)
    clerk = new_page()
    login(clerk, "edu_clerk")
    clerk.goto("/inbox")
    assert XSS in clerk.inner_text("table.inbox")
    clerk.goto(f"/tickets/{ticket.id}")
    assert clerk.inner_text("#description") == XSS
    assert clerk.locator("main img").count() == 0 and clerk.locator("main script").count() == 0
    assert clerk.locator("a[href^='javascript:']").count() == 0
    # The reply goes through the preview, the timeline and the supervisor's review page too.
    clerk.fill("#reply-text", XSS)
    clerk.click("#do-preview")
    assert clerk.inner_text("#reply-preview") == XSS
    clerk.check("#reply-confirm")  # the text is the reporter's "name": the guard asks first
    clerk.click("#do-reply")
    boss = new_page()
    login(boss, "boss")
    boss.goto("/review")
    assert boss.locator(f"#review-{ticket.id} pre.report-text").all_inner_texts() == [XSS, XSS]
    boss.goto(f"/tickets/{ticket.id}")
    assert XSS in boss.inner_text("main")  # the supervisor sees the reporter's name unmasked: as text
    for pg in (clerk, boss):
        assert pg.dialogs == [], f"a script ran: {pg.dialogs}"
        assert pg.locator("img[src=x]").count() == 0


def test_the_page_loads_no_inline_code_and_violates_no_csp(world, make_ticket, page, login):
    make_ticket("2026112400003")
    login(page, "boss")
    for path in ("/inbox", "/triage", "/review", "/extensions", "/admin/units", "/admin/rules",
                 "/admin/calendar", "/admin/users", "/admin/properties"):
        page.goto(path)
        assert re.search(r"找错工单", page.title())
    assert page.console_errors == []
