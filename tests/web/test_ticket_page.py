"""One ticket: the report as text, the link, masking, deadlines, the actions allowed, the history."""
from __future__ import annotations

import re

from feedback.directory.models import RoutingRule
from feedback.extensions import db
from feedback.tickets.models import Ticket


def action_forms(html: str) -> set[str]:
    return set(re.findall(r'action="/tickets/\d+/([a-z-]+)"', html))


def timeline(html: str) -> list[tuple[str, str]]:
    """(what, who) of each history entry, in order."""
    block = html[html.index('id="timeline"'):]
    return re.findall(r'<span class="what">([^<]+)</span>\s*<span class="by">· ([^<]+)</span>', block)


def test_report_is_plain_text_and_the_url_opens_safely_in_a_new_tab(world, make_ticket, as_user):
    t = make_ticket("H1", description="<b>加粗</b> & <script>alert(1)</script>",
                    url="https://edu.dongcheng.gov.cn/a?x=1&y=2")
    html = as_user("edu_clerk").get(f"/tickets/{t.id}").get_data(as_text=True)
    assert "&lt;b&gt;加粗&lt;/b&gt; &amp; &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)" not in html
    assert ('<a class="url-link" href="https://edu.dongcheng.gov.cn/a?x=1&amp;y=2" target="_blank" '
            'rel="noopener noreferrer">') in html


def test_a_javascript_url_is_shown_but_never_linked(world, make_ticket, as_user):
    t = make_ticket("H2", url="javascript:alert(document.cookie)")
    html = as_user("boss").get(f"/tickets/{t.id}").get_data(as_text=True)
    assert "javascript:alert(document.cookie)" in html
    assert 'href="javascript:' not in html


def test_a_url_without_scheme_links_over_http(world, make_ticket, as_user):
    t = make_ticket("H3", url="edu.dongcheng.gov.cn/tzgg/1.html")
    html = as_user("edu_clerk").get(f"/tickets/{t.id}").get_data(as_text=True)
    assert 'href="http://edu.dongcheng.gov.cn/tzgg/1.html" target="_blank" rel="noopener noreferrer"' in html


def test_reporter_contact_is_masked_for_the_clerk_and_shown_to_the_supervisor(world, make_ticket, as_user):
    t = make_ticket("M1", reporter_name="张三丰", reporter_phone="13812345678", reporter_email="zsf@example.com")
    clerk = as_user("edu_clerk").get(f"/tickets/{t.id}").get_data(as_text=True)
    assert "138****5678" in clerk and "张**" in clerk and "z***@example.com" in clerk
    assert "13812345678" not in clerk and "张三丰" not in clerk
    boss = as_user("boss").get(f"/tickets/{t.id}").get_data(as_text=True)
    assert "13812345678" in boss and "张三丰" in boss


def test_both_deadlines_are_shown(world, clock, make_ticket, as_user):
    clock.set("2026-09-30T15:00:00+08:00")  # DESIGN.md example
    t = make_ticket("D1")
    clock.set("2026-10-09T10:00:00+08:00")
    html = as_user("edu_clerk").get(f"/tickets/{t.id}").get_data(as_text=True)
    # unit: Oct 8, 9, Sat 10 (make-up day); platform: Oct 8, 9, 10, 12, 13
    assert re.search(r'id="unit-due">2026-10-10 23:59', html)
    assert re.search(r'id="platform-due">2026-10-13 23:59', html)
    assert "剩 1 个工作日" in html  # Fri Oct 9 → Sat Oct 10


def test_only_the_actions_the_state_and_role_allow_are_offered(world, make_ticket, as_user):
    t = make_ticket("A1")
    clerk, boss, watcher = as_user("edu_clerk"), as_user("boss"), as_user("watcher")
    assert action_forms(clerk.get(f"/tickets/{t.id}").get_data(as_text=True)) == {
        "accept", "reply", "request-extension", "return", "note"}
    assert action_forms(boss.get(f"/tickets/{t.id}").get_data(as_text=True)) == {"reassign", "invalidate", "note"}
    assert action_forms(watcher.get(f"/tickets/{t.id}").get_data(as_text=True)) == set()
    clerk.post(f"/tickets/{t.id}/reply", data={"op": "submit", "text": "已更正"})
    assert action_forms(clerk.get(f"/tickets/{t.id}").get_data(as_text=True)) == {"note"}  # notes in any state
    assert action_forms(boss.get(f"/tickets/{t.id}").get_data(as_text=True)) == {
        "approve", "reject", "invalidate", "note"}


def test_accept_reply_reject_reply_approve_each_recorded_with_the_user(world, make_ticket, as_user):
    t = make_ticket("S1")
    clerk, boss = as_user("edu_clerk"), as_user("boss")
    assert clerk.post(f"/tickets/{t.id}/accept").status_code == 302
    # The preview shows the text as it will read and changes nothing.
    preview = clerk.post(f"/tickets/{t.id}/reply", data={"op": "preview", "text": "已更正<错别字>"})
    assert 'id="reply-preview">已更正&lt;错别字&gt;</div>' in preview.get_data(as_text=True)
    assert t.state == "in_progress"
    assert clerk.post(f"/tickets/{t.id}/reply", data={"op": "submit", "text": "已更正错别字"}).status_code == 302
    # Reject needs a reason: the form says so and nothing changes.
    empty = boss.post(f"/tickets/{t.id}/reject", data={"reason": "  "})
    assert empty.status_code == 422 and "请填写理由" in empty.get_data(as_text=True)
    assert t.state == "replied"
    boss.post(f"/tickets/{t.id}/reject", data={"reason": "请附上更正后的页面链接"})
    assert t.state == "in_progress"
    clerk.post(f"/tickets/{t.id}/reply", data={"op": "submit", "text": "已更正，见 http://edu.dongcheng.gov.cn/a"})
    r = boss.post(f"/tickets/{t.id}/approve")
    assert r.status_code == 302 and t.state == "closed"
    html = clerk.get(f"/tickets/{t.id}").get_data(as_text=True)
    assert timeline(html) == [
        ("收到留言", "找错平台"), ("转办", "自动转办"), ("签收", "edu_clerk"), ("答复", "edu_clerk"),
        ("退回重办", "boss"), ("答复", "edu_clerk"), ("审核通过，办结", "boss"),
    ]
    assert "请附上更正后的页面链接" in html


def test_acting_on_a_stale_page_explains_instead_of_failing(world, make_ticket, as_user):
    t = make_ticket("S2")
    clerk = as_user("edu_clerk")
    clerk.post(f"/tickets/{t.id}/accept")
    again = clerk.post(f"/tickets/{t.id}/accept", follow_redirects=True)
    assert again.status_code == 200 and "工单状态已经变化" in again.get_data(as_text=True)
    assert [e.action for e in t.events].count("accept") == 1


def test_request_extension_and_the_supervisor_approves_with_days(world, clock, make_ticket, as_user):
    t = make_ticket("X1")  # Tue 11-24 → due Fri 11-27
    clerk, boss = as_user("edu_clerk"), as_user("boss")
    bad = clerk.post(f"/tickets/{t.id}/request-extension", data={"days": "lots", "reason": "需协调"})
    assert bad.status_code == 422 and "1 到 30" in bad.get_data(as_text=True)
    clerk.post(f"/tickets/{t.id}/request-extension", data={"days": "3", "reason": "需要外包公司修改模板"})
    queue = boss.get("/extensions").get_data(as_text=True)
    assert "X1" in queue and "需要外包公司修改模板" in queue
    boss.post(f"/tickets/{t.id}/decide-extension", data={"approve": "1", "days": "2", "next": "/extensions"})
    # 3 + 2 working days after Tue 11-24: Wed, Thu, Fri, Mon 11-30, Tue 12-01
    assert t.unit_due_at.isoformat().startswith("2026-12-01T15:59:59")  # 23:59:59 +08:00 in UTC
    assert t.extensions == 1 and "X1" not in boss.get("/extensions").get_data(as_text=True)


def test_supervisor_denies_an_extension_with_a_reason(world, make_ticket, as_user):
    t = make_ticket("X2")
    due = t.unit_due_at
    as_user("edu_clerk").post(f"/tickets/{t.id}/request-extension", data={"days": "5", "reason": "忙"})
    boss = as_user("boss")
    assert boss.post(f"/tickets/{t.id}/decide-extension", data={"approve": "0", "reason": ""}).status_code == 422
    boss.post(f"/tickets/{t.id}/decide-extension", data={"approve": "0", "reason": "三个工作日足够"})
    assert t.unit_due_at == due and t.extension_requested_days is None
    assert t.events[-1].data["reason"] == "三个工作日足够"


def test_return_as_misrouted_sends_it_back_to_triage(world, make_ticket, as_user):
    t = make_ticket("RT1")
    clerk = as_user("edu_clerk")
    clerk.post(f"/tickets/{t.id}/return", data={"reason": "该栏目由县政府办维护"})
    assert t.state == "new" and t.unit_id is None
    assert clerk.get(f"/tickets/{t.id}").status_code == 404  # no longer the unit's
    triage = as_user("boss").get("/triage").get_data(as_text=True)
    assert "RT1" in triage and "该栏目由县政府办维护" in triage


def test_assign_with_always_route_creates_a_rule_used_by_later_reports(world, make_ticket, as_user):
    t = make_ticket("AR1", url="http://zfxxgk.example.gov.cn/dcjy/2026/1.html")  # no rule matches
    assert t.state == "new"
    boss = as_user("boss")
    r = boss.post(f"/tickets/{t.id}/assign",
                  data={"unit": "D1", "always_route": "1", "rule_prefix": "zfxxgk.example.gov.cn/dcjy"})
    assert r.status_code == 302 and t.state == "assigned" and t.unit.code == "D1"
    rule = db.session.query(RoutingRule).filter_by(pattern="zfxxgk.example.gov.cn/dcjy").one()
    assert rule.unit.code == "D1"
    later = make_ticket("AR2", url="https://zfxxgk.example.gov.cn/dcjy/2026/9.html")
    assert later.state == "assigned" and later.unit.code == "D1"


def test_assign_with_a_bad_prefix_changes_nothing(world, make_ticket, as_user):
    t = make_ticket("AR3", url="http://zfxxgk.example.gov.cn/x/1.html")
    r = as_user("boss").post(f"/tickets/{t.id}/assign", data={"unit": "D1", "always_route": "1", "rule_prefix": "  "})
    assert r.status_code == 422 and "请填写网址前缀" in r.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Ticket, t.id).state == "new"


def test_mark_duplicate_of_a_primary_ticket(world, make_ticket, as_user):
    first = make_ticket("DUP1", description="首页链接打不开")
    second = make_ticket("DUP2", description="首页链接打不开")
    boss = as_user("boss")
    page = boss.get(f"/tickets/{second.id}").get_data(as_text=True)
    assert f'<option value="{first.id}">DUP1' in page  # same text: offered as the primary
    boss.post(f"/tickets/{second.id}/invalidate", data={"reason": "重复留言", "duplicate_of": str(first.id)})
    assert second.state == "invalid" and second.duplicate_of_id == first.id


def test_the_primary_must_be_in_the_supervisors_scope(world, make_ticket, as_user):
    west = make_ticket("W1", url=None, description="公众号文章错字", site_code=None)
    east = make_ticket("E1")
    r = as_user("east_boss").post(f"/tickets/{east.id}/invalidate",
                                  data={"reason": "重复", "duplicate_of_text": west.platform_id})
    assert r.status_code == 422 and "主工单" in r.get_data(as_text=True)
    assert east.state == "assigned"
