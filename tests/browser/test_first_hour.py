"""The first hour of an office administrator, a clerk and a supervisor, in chromium at 1366×768
and on a 390-px phone (issue 18). Each step is what a new user does, through the menu as they
would find it; at every page the test checks what they would notice: the menu shows every item
on screen, the page is no wider than the screen, nothing ran that should not have.

Screenshots go to $FEEDBACK_SHOTS_DIR, else a folder under the system's temporary directory
(printed by `pytest -s`), named <person>-<step>-<width>.png.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from feedback.accounts.scope import Actor
from feedback.calendar.service import current_calendar
from feedback.extensions import db
from feedback.tickets import lifecycle
from tests.browser.conftest import DESKTOP, PHONE

pytestmark = pytest.mark.browser

SHOTS = Path(os.environ.get("FEEDBACK_SHOTS_DIR") or Path(tempfile.gettempdir()) / "feedback-first-hour")
VIEWPORTS = pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1366", "390"])


@pytest.fixture
def look():
    """look(page, name): the screenshot, and the checks every page must pass."""
    SHOTS.mkdir(parents=True, exist_ok=True)

    def take(pg, name: str) -> None:
        pg.screenshot(path=str(SHOTS / f"{name}-{pg.viewport_size['width']}.png"), full_page=True)
        width = pg.viewport_size["width"]
        assert pg.evaluate("document.documentElement.scrollWidth") <= width + 1, f"{name}: wider than the screen"
        for box in [a.bounding_box() for a in pg.locator(".mainnav a, nav.tabs a").all()]:
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= width + 1, f"{name}: a menu item is off screen"
        assert pg.dialogs == []

    print(f"\nscreenshots: {SHOTS}")
    return take


def xlsx(path: Path, rows: list[list]) -> str:
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    wb.save(path)
    return str(path)


def console_errors(pg) -> list[str]:
    """Errors in the console, less the 422 of a form the test submits wrong on purpose."""
    return [e for e in pg.console_errors if "status of 422" not in e]


def nav(pg, label: str) -> None:
    with pg.expect_navigation():
        pg.locator(".mainnav a", has_text=label).click()


@VIEWPORTS
def test_the_administrators_first_hour(world, new_page, login, look, tmp_path, viewport):
    admin = new_page(viewport)
    login(admin, "boss")
    nav(admin, "管理")
    assert admin.locator(".mainnav a.active").inner_text() == "管理"
    look(admin, "admin-01-units")

    # 1. the units of two new districts, from the office's spreadsheet
    units = xlsx(tmp_path / "单位.xlsx", [["单位编码", "单位名称", "上级单位编码", "类型"],
                                         ["R3", "南湖区", "C0", "地区"], ["D5", "南湖区教育局", "R3", "部门"],
                                         ["D6", "南湖区民政局", "R3", "部门"]])
    admin.set_input_files("#units-file", units)
    with admin.expect_navigation():
        admin.click("#load-units button[type=submit]")
    assert "已导入单位（单位.xlsx）：新建 3，更新 0，未变 0。" in admin.inner_text(".flashes")
    tree = admin.inner_text("#unit-tree")
    assert tree.index("南湖区") < tree.index("南湖区教育局") < tree.index("南湖区民政局")
    look(admin, "admin-02-units-loaded")

    # 2. their sites: a file with two mistakes loads nothing and names both rows
    bad = xlsx(tmp_path / "网站.xlsx", [["单位编码", "类型", "名称", "网站标识码", "网址前缀", "账号"],
                                       ["D5", "网站", "南湖区教育局网站", "3301000005", "jyj.nanhu.gov.cn", ""],
                                       ["D6", "网站", "南湖区民政局网站", "33010", "mzj.nanhu.gov.cn", ""],
                                       ["D7", "网站", "南湖区文旅局网站", "", "wlj.nanhu.gov.cn", ""]])
    admin.set_input_files("#properties-file", bad)
    with admin.expect_navigation():
        admin.click("#load-properties button[type=submit]")
    problems = admin.locator("#load-problems tbody tr")
    assert problems.count() == 2
    assert problems.nth(0).locator("td").all_inner_texts()[:2] == ["3", "网站标识码"]
    assert problems.nth(1).locator("td").all_inner_texts()[:2] == ["4", "单位编码"]
    assert "没有导入任何一行" in admin.inner_text("#load-problems")
    look(admin, "admin-03-sites-refused")
    good = xlsx(tmp_path / "网站.xlsx", [["单位编码", "类型", "名称", "网站标识码", "网址前缀", "账号"],
                                        ["D5", "网站", "南湖区教育局网站", "3301000005", "jyj.nanhu.gov.cn", ""],
                                        ["D6", "政务新媒体", "南湖民政", "", "", "南湖民政"]])
    admin.set_input_files("#properties-file", good)
    with admin.expect_navigation():
        admin.click("#load-properties button[type=submit]")
    assert "已导入网站与账号（网站.xlsx）：新建 2" in admin.inner_text(".flashes")
    admin.goto("/admin/rules?url=http://jyj.nanhu.gov.cn/tzgg/1.html")
    assert "南湖区教育局" in admin.inner_text("main")

    # 3. a clerk for the new department, with a first password
    admin.goto("/admin/users")
    admin.fill("#username", "nh_jyj")
    admin.fill("#display_name", "陈静")
    admin.select_option("#role", "unit_staff")
    admin.select_option("#unit", "D5")
    admin.fill("#password", "Nanhu-2026-start")
    with admin.expect_navigation():
        admin.click("form button.primary")
    assert "已创建用户 nh_jyj" in admin.inner_text(".flashes")
    look(admin, "admin-04-user-created")

    # 4. the other places an administrator looks on the first day, all from the menu
    for label, heading in [("导入", "导入留言"), ("通知", None), ("导出", None)]:
        nav(admin, label)
        assert admin.locator(".mainnav a.active").inner_text().startswith(label)
        if heading:
            assert admin.inner_text("h1") == heading
    look(admin, "admin-05-exports")
    assert console_errors(admin) == []


@VIEWPORTS
def test_the_clerks_first_hour(world, clock, make_ticket, new_page, login, look, viewport):
    # the administrator made an account for a new clerk of D1 (东城县教育局)
    boss = new_page(viewport)
    login(boss, "boss")
    boss.goto("/admin/users")
    boss.fill("#username", "dc_jyj")
    boss.fill("#display_name", "李娜")
    boss.select_option("#role", "unit_staff")
    boss.select_option("#unit", "D1")
    boss.fill("#password", "given-by-admin")
    with boss.expect_navigation():
        boss.click("form button.primary")
    clock.set("2026-11-23T09:00:00+08:00")
    mine = make_ticket("2026112300021", description="“通知公告”栏目中《关于秋季学期学生资助工作的通知》附件无法下载。")
    other = make_ticket("2026112300022", url="http://www.dongcheng.gov.cn/jyj/sy.html",
                        description="首页飘窗链接指向的专题页面内容为空。")
    clock.set("2026-11-24T10:00:00+08:00")

    clerk = new_page(viewport)
    login(clerk, "dc_jyj", "given-by-admin")
    assert clerk.url.endswith("/account/password")  # before anything else
    assert "您的密码由管理员设置" in clerk.inner_text("main")
    look(clerk, "clerk-01-first-password")
    clerk.fill("#current", "given-by-admin")
    clerk.fill("#new", "my-own-secret-7")
    clerk.fill("#confirm", "my-own-secret-7")
    with clerk.expect_navigation():
        clerk.click("form button.primary")
    assert clerk.url.endswith("/inbox") and clerk.inner_text("h1") == "收件箱"
    look(clerk, "clerk-02-inbox")

    # a report of theirs: accept, reply with a preview; the menu keeps 收件箱 marked throughout
    clerk.get_by_role("link", name="2026112300021").click()
    assert "自动转办" in clerk.inner_text("#timeline")  # the routing, in words
    clerk.click("#do-accept")
    clerk.fill("#reply-text", "   ")
    with clerk.expect_navigation():
        clerk.click("#do-preview")  # blank: refused on /tickets/<id>/reply, still under 收件箱
    assert clerk.url.endswith(f"/tickets/{mine.id}/reply")
    assert clerk.locator(".mainnav a.active").inner_text() == "收件箱"
    clerk.fill("#reply-text", "您好，附件已重新上传，现可正常下载。")
    clerk.click("#do-preview")
    look(clerk, "clerk-03-reply-preview")
    clerk.click("#do-reply")
    assert "答复已提交" in clerk.inner_text(".flashes")

    # a report that is not theirs: returning it lands on the inbox, never on a 404
    clerk.goto(f"/tickets/{other.id}")
    clerk.locator("summary", has_text="退回").click()
    clerk.fill(f"#reason-return-{other.id}", "首页由县政府办统一维护，请转县政府办。")
    with clerk.expect_navigation():
        clerk.get_by_role("button", name="退回主管单位").click()
    assert clerk.url.endswith("/inbox")
    assert "已退回主管单位重新分派。" in clerk.inner_text(".flashes")
    assert "2026112300022" not in clerk.inner_text("main")
    look(clerk, "clerk-04-returned")
    assert console_errors(clerk) == []


@VIEWPORTS
def test_the_supervisors_first_hour(world, clock, make_ticket, new_page, login, look, viewport):
    clock.set("2026-10-12T09:00:00+08:00")
    for n in range(3):
        make_ticket(f"20261012000{n}")
    clock.set("2026-11-02T09:00:00+08:00")  # Monday: D1's ticket due Thu 11-05, platform Mon 11-09
    late = make_ticket("2026110200031")
    clock.set("2026-11-24T10:00:00+08:00")
    lifecycle.apply(late, "request-extension", Actor.of(world.users["edu_clerk"]), clock(),
                    {"days": 3, "reason": "需要外包公司修改页面模板。"}, current_calendar())
    stray = make_ticket("2026112400032", url="http://nowhere.example.org/a.html", description="网站首页打不开。")
    db.session.commit()

    boss = new_page(viewport)
    login(boss, "boss")
    assert boss.url.endswith("/dashboard")
    # the last complete month, with a legend under the chart
    assert boss.inner_text("#table-title").startswith("2026年10月")
    assert "按期办结率（右轴）" in boss.inner_text("#chart-legend")
    look(boss, "supervisor-01-dashboard")
    boss.check("input[name=period][value=quarter]")
    boss.select_option("#quarter", "2026Q4")
    with boss.expect_navigation():
        boss.click("#period-form button[type=submit]")
    assert boss.inner_text("#table-title").startswith("2026年第四季度")

    # triage: the unit list fits its card, in tree order, and assigning works
    nav(boss, "待分派")
    select = boss.locator(f"#assign-unit-{stray.id}")
    card = boss.locator("section.card", has=select)
    s, c = select.bounding_box(), card.bounding_box()
    assert s["x"] + s["width"] <= c["x"] + c["width"] + 1, "the unit list sticks out of its card"
    options = select.locator("option").all_inner_texts()[1:]
    assert [o.strip("　 ") for o in options][:3] == ["示例市人民政府办公室", "示例市交通局", "东城县"]
    look(boss, "supervisor-02-triage")
    select.select_option("D9")
    with boss.expect_navigation():
        boss.locator(f"form:has(#assign-unit-{stray.id}) button[type=submit]").click()
    assert "已转办" in boss.inner_text(".flashes")

    # an extension that would not help says so before and after
    nav(boss, "延期申请")
    row = boss.locator("tr", has_text="2026110200031")
    assert "仍已超期" in row.inner_text() and "晚于平台期限" in row.inner_text()
    look(boss, "supervisor-03-extensions")
    with boss.expect_navigation():
        row.get_by_role("button", name="同意", exact=True).click()
    assert "仍早于现在" in boss.inner_text(".flashes")

    for label in ("导出", "导入", "管理"):  # all in the menu, phone included
        nav(boss, label)
    look(boss, "supervisor-04-admin")
    assert console_errors(boss) == []
