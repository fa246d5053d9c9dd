"""Admin pages: unit tree, sites and accounts, routing rules and the routing check, users, calendar."""
from __future__ import annotations

import io
import re
from datetime import date

import sqlalchemy as sa

from feedback.accounts.models import User
from feedback.calendar.models import CalendarDay
from feedback.directory.models import Property, RoutingRule, Unit
from feedback.extensions import db
from tests.factories import make_user


def unit(code):
    return db.session.execute(sa.select(Unit).where(Unit.code == code)).scalar_one()


def test_unit_tree_shows_the_subtree_and_adds_a_unit(world, as_user):
    east = as_user("east_boss")  # 东城县 (R1): itself, D1, D2
    html = east.get("/admin/units").get_data(as_text=True)
    assert "东城县教育局" in html and "东城县卫健局" in html and "西城区" not in html
    r = east.post("/admin/units", data={"code": "D4", "name": "东城县文旅局", "kind": "department", "parent": "R1"})
    assert r.status_code == 302
    d4 = unit("D4")
    assert d4.parent.code == "R1" and d4.path == f"{world.units['R1'].path}{d4.id}/"
    # A parent outside the subtree is refused.
    r = east.post("/admin/units", data={"code": "D5", "name": "x", "kind": "department", "parent": "R2"})
    assert r.status_code == 200 and "不是有效的选择" in r.get_data(as_text=True)  # R2 is not offered
    assert db.session.execute(sa.select(Unit).where(Unit.code == "D5")).first() is None


def test_moving_a_unit_moves_its_subtree_and_refuses_a_cycle(world, as_user):
    boss = as_user("boss")
    r1 = world.units["R1"]
    # R1 under D1 (its own child) would be a cycle: not even offered, and refused.
    r = boss.post(f"/admin/units/{r1.id}", data={"code": "R1", "name": "东城县", "kind": "region", "parent": "D1"})
    assert r.status_code == 200 and r1.parent.code == "C0"
    boss.post(f"/admin/units/{r1.id}", data={"code": "R1", "name": "东城县", "kind": "region", "parent": "R2"})
    assert r1.parent.code == "R2"
    assert world.units["D1"].path == f"/{world.units['C0'].id}/{world.units['R2'].id}/{r1.id}/{world.units['D1'].id}/"


def test_a_unit_outside_the_scope_is_404(world, as_user):
    assert as_user("east_boss").get(f"/admin/units/{world.units['D3'].id}").status_code == 404


def test_adding_a_site_creates_its_routing_rules(world, as_user):
    boss = as_user("boss")
    r = boss.post("/admin/properties", data={
        "unit": "D9", "kind": "website", "name": "示例市交通局网站", "site_code": "3301000009",
        "url_prefixes": "https://jtj.example.gov.cn/\nwww.example.gov.cn/jtj", "account": ""})
    assert r.status_code == 302
    prop = db.session.execute(sa.select(Property).where(Property.name == "示例市交通局网站")).scalar_one()
    patterns = sorted((r.kind, r.pattern, r.unit.code) for r in
                      db.session.execute(sa.select(RoutingRule).where(RoutingRule.property_id == prop.id)).scalars())
    assert patterns == [("site_code", "3301000009", "D9"), ("url_prefix", "example.gov.cn/jtj", "D9"),
                        ("url_prefix", "jtj.example.gov.cn", "D9")]
    # The check box answers with the new rule.
    html = boss.get("/admin/rules?url=http://jtj.example.gov.cn/zwgk/1.html").get_data(as_text=True)
    answer = html[html.index('id="route-answer"'):]
    assert "示例市交通局" in answer and "jtj.example.gov.cn" in answer


def test_a_county_may_not_take_over_a_prefix_routed_outside_it(world, as_user):
    make_user(world, "west_boss", "supervisor", "R2")  # 西城区's supervisor
    db.session.commit()
    west = as_user("west_boss")
    # www.dongcheng.gov.cn is 东城县's (R1) site: a 西城 rule for it is refused.
    r = west.post("/admin/rules", data={"kind": "url_prefix", "pattern": "www.dongcheng.gov.cn", "unit": "D3"})
    assert r.status_code == 200 and "管辖范围以外" in r.get_data(as_text=True)
    rule = db.session.execute(sa.select(RoutingRule).where(RoutingRule.pattern == "dongcheng.gov.cn")).scalar_one()
    assert rule.unit.code == "R1"
    r = west.post("/admin/properties", data={"unit": "D3", "kind": "website", "name": "冒名网站",
                                             "site_code": "1101000001", "url_prefixes": "", "account": ""})
    assert r.status_code == 200 and "网站标识码已被“东城县教育局网站”使用" in r.get_data(as_text=True)


def test_manual_rule_is_added_checked_and_deleted(world, as_user):
    boss = as_user("boss")
    boss.post("/admin/rules", data={"kind": "url_prefix", "pattern": "https://www.example.gov.cn/jyj/", "unit": "D1"})
    html = boss.get("/admin/rules?url=www.example.gov.cn/jyj/tzgg/2.html").get_data(as_text=True)
    answer = html[html.index('id="route-answer"'):]
    assert "东城县教育局" in answer and "example.gov.cn/jyj" in answer
    rule = db.session.execute(sa.select(RoutingRule).where(RoutingRule.pattern == "example.gov.cn/jyj")).scalar_one()
    boss.post(f"/admin/rules/{rule.id}/delete")
    html = boss.get("/admin/rules?url=www.example.gov.cn/jyj/tzgg/2.html").get_data(as_text=True)
    assert "没有匹配的规则" in html


def test_rules_from_a_site_are_not_deleted_from_the_rules_page(world, as_user):
    rule = db.session.execute(sa.select(RoutingRule).where(RoutingRule.pattern == "1101000001")).scalar_one()
    r = as_user("boss").post(f"/admin/rules/{rule.id}/delete", follow_redirects=True)
    assert "网站与账号" in r.get_data(as_text=True)
    assert db.session.get(RoutingRule, rule.id) is not None


def test_supervisor_creates_and_disables_a_user_in_the_subtree(world, as_user):
    east = as_user("east_boss")
    r = east.post("/admin/users", data={"username": "wj_clerk", "display_name": "王静", "role": "unit_staff",
                                        "unit": "D2", "password": "first secret"})
    assert r.status_code == 302
    user = db.session.execute(sa.select(User).where(User.username == "wj_clerk")).scalar_one()
    assert user.unit.code == "D2" and user.check_password("first secret")
    outside = east.post("/admin/users", data={"username": "x_clerk", "role": "unit_staff", "unit": "D3",
                                              "password": "first secret"})
    assert outside.status_code == 200 and db.session.execute(
        sa.select(User).where(User.username == "x_clerk")).first() is None
    east.post(f"/admin/users/{user.id}", data={"display_name": "王静", "role": "unit_staff", "unit": "D2"})
    assert user.active is False  # the box was left unticked
    assert east.get(f"/admin/users/{world.users['boss'].id}").status_code == 404  # the city's user


def test_a_supervisor_cannot_lock_themselves_out(world, as_user):
    boss = as_user("boss")
    me = world.users["boss"]
    r = boss.post(f"/admin/users/{me.id}", data={"role": "viewer", "unit": "C0", "active": "y"})
    assert r.status_code == 200 and me.role == "supervisor"


def test_calendar_shows_known_years_and_loads_next_years_schedule(world, as_user, clock):
    boss = as_user("boss")
    html = boss.get("/admin/calendar").get_data(as_text=True)  # clock: 2026 → shows 2027 by default
    assert "2027 年" in html and "未知：按周末规则暂定" in html
    csv = "date,is_workday,note\n2027-01-01,0,元旦\n2027-02-06,1,春节调休上班\n".encode()
    r = boss.post("/admin/calendar", data={"file": (io.BytesIO(csv), "2027.csv")},
                  content_type="multipart/form-data", follow_redirects=True)
    page = r.get_data(as_text=True)
    assert "已载入 2 天（2027 年）" in page
    assert db.session.get(CalendarDay, date(2027, 2, 6)).is_workday is True
    years = page[page.index('id="known-years"'):page.index("</div>", page.index('id="known-years"'))]
    assert re.search(r"2027\s*· 已载入", years)
    assert "2027 年" in page and "未知：按周末规则暂定" not in page


def test_a_bad_calendar_file_names_the_line_and_loads_nothing(world, as_user):
    csv = "date,is_workday,note\n2027-01-01,0,元旦\n2027-13-01,1,typo\n".encode()
    r = as_user("boss").post("/admin/calendar", data={"file": (io.BytesIO(csv), "2027.csv")},
                             content_type="multipart/form-data", follow_redirects=True)
    assert "line 3" in r.get_data(as_text=True)
    assert db.session.query(CalendarDay).count() == 0


def test_only_the_top_office_loads_the_calendar(world, as_user):
    csv = b"2027-01-01,0,x\n"
    r = as_user("east_boss").post("/admin/calendar", data={"file": (io.BytesIO(csv), "a.csv")},
                                  content_type="multipart/form-data")
    assert r.status_code == 403 and db.session.query(CalendarDay).count() == 0
