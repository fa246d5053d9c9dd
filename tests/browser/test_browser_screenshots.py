"""Screenshots of the main pages at 1366×768 and on a 390-px phone, kept under tests/artifacts/.

They are for people to look at; the test also checks what a person would notice at a glance:
no page is wider than the screen (no sideways scrolling), and nothing needed is cut off.
"""
from __future__ import annotations

import pytest

from feedback.accounts.scope import Actor
from feedback.calendar.service import current_calendar
from feedback.extensions import db
from feedback.tickets import lifecycle
from tests.browser.conftest import DESKTOP, PHONE

pytestmark = pytest.mark.browser

REPORTS = [
    ("2026111700011", "http://edu.dongcheng.gov.cn/tzgg/2026/11/t20261117_1.html",
     "“通知公告”栏目中《关于2026年秋季学期学生资助工作的通知》附件无法下载，点击后提示404。"),
    ("2026111800012", "http://edu.dongcheng.gov.cn/zwgk/jyj/index.html",
     "政务公开栏目“机构职能”里局领导分工还是去年的，信息没有更新。"),
    ("2026112000013", "https://www.dongcheng.gov.cn/jyj/bszn/xsxj.html",
     "办事指南“学籍转接”中的咨询电话打不通，已经停用了，请核实并更新。"),
    ("2026112300014", "http://edu.dongcheng.gov.cn/", "首页飘窗链接指向的专题页面内容为空。"),
    ("2026112400015", "http://jyj.dongcheng.gov.cn/xxgk/2026/a.html",
     "这个页面上有错别字：“不断提高教育质量”写成了“不断提搞教育质量”。"),
    ("2026112400016", "http://unknown.example.org/news/1.html", "网站首页打不开，显示证书过期。"),
]


def _world_of_tickets(world, clock, make_ticket):
    clerk = Actor.of(world.users["edu_clerk"])
    cal = current_calendar()
    made = {}
    for day, (pid, url, text) in zip(("17", "18", "20", "23", "24", "24"), REPORTS):
        clock.set(f"2026-11-{day}T09:30:00+08:00")
        made[pid] = make_ticket(pid, url=url, description=text, reporter_name="王小明",
                                reporter_phone="13912345678", category="内容错误")
    clock.set("2026-11-24T10:00:00+08:00")
    lifecycle.apply(made["2026111800012"], "accept", clerk, clock(), {}, cal)
    lifecycle.apply(made["2026111800012"], "request-extension", clerk, clock(),
                    {"days": 3, "reason": "领导分工调整文件尚未印发，需等待正式文件后更新。"}, cal)
    lifecycle.apply(made["2026112000013"], "reply", clerk, clock(),
                    {"text": "您好，经核实，咨询电话已更新为 0571-86000000，感谢您的监督。"}, cal)
    lifecycle.apply(made["2026112300014"], "return", clerk, clock(), {"reason": "首页由县政府办统一维护。"}, cal)
    db.session.commit()
    return made


def _fits(pg) -> bool:
    """No sideways scrolling: the page is no wider than the viewport."""
    return pg.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1366", "390"])
def test_main_pages(world, clock, make_ticket, new_page, login, shot, viewport):
    made = _world_of_tickets(world, clock, make_ticket)
    anon = new_page(viewport)
    anon.goto("/login")
    shot(anon, "01-login")

    clerk = new_page(viewport)
    login(clerk, "edu_clerk")
    pages = [(clerk, "/inbox", "02-inbox-clerk"),
             (clerk, f"/tickets/{made['2026111700011'].id}", "03-ticket-clerk")]
    clerk.goto(f"/tickets/{made['2026111700011'].id}")
    clerk.fill("#reply-text", "您好，附件已重新上传，现可正常下载。")
    clerk.click("#do-preview")
    shot(clerk, "04-reply-preview")

    boss = new_page(viewport)
    login(boss, "boss")
    pages += [
        (boss, "/inbox", "05-tickets-supervisor"),
        (boss, "/triage", "06-triage"),
        (boss, "/review", "07-review"),
        (boss, "/extensions", "08-extensions"),
        (boss, f"/tickets/{made['2026112400016'].id}", "09-ticket-triage"),
        (boss, f"/tickets/{made['2026112000013'].id}", "10-ticket-review"),
        (boss, "/admin/units", "11-units"),
        (boss, "/admin/properties", "12-properties"),
        (boss, "/admin/rules?url=http://jyj.dongcheng.gov.cn/xxgk/1.html", "13-rules"),
        (boss, "/admin/users", "14-users"),
        (boss, "/admin/calendar", "15-calendar"),
        (boss, "/account/password", "16-password"),
        (clerk, "/tickets/999999", "17-not-found"),
    ]
    too_wide = []
    for pg, path, name in pages:
        pg.goto(path)
        shot(pg, name)
        if not _fits(pg):
            too_wide.append(name)
    # The clerk switches the interface to English; it stays so on every page.
    clerk.goto("/inbox")
    clerk.get_by_role("button", name="English").click()
    clerk.goto(f"/tickets/{made['2026111800012'].id}")
    assert clerk.locator("h2", has_text="Unit and deadlines").count() == 1
    shot(clerk, "18-ticket-english")
    if not _fits(clerk):
        too_wide.append("18-ticket-english")
    assert "Overdue by 1 working day" in clerk.inner_text("#unit-due")  # one day: singular
    clerk.goto("/inbox")
    assert clerk.inner_text("h1") == "Inbox"
    shot(clerk, "19-inbox-english")
    if not _fits(clerk):
        too_wide.append("19-inbox-english")
    assert too_wide == []
    assert all(pg.dialogs == [] for pg in (anon, clerk, boss))
    # The one expected console error: the 404 page's own status.
    errors = [e for pg in (anon, clerk, boss) for e in pg.console_errors if "status of 404" not in e]
    assert errors == []
