"""The findings pages: scope on the server, CSRF, the inbox, the upload, from a ticket, the XLSX."""
from __future__ import annotations

import io

import sqlalchemy as sa
from openpyxl import load_workbook

from feedback.accounts.scope import Actor
from feedback.extensions import db
from feedback.findings.importing import import_findings
from feedback.findings.models import Finding
from tests.findings.conftest import HEADER_ZH, NOTICE, ROWS, write_xlsx
from tests.support.signin import csrf_token_from


def imported(clock, path):
    made = import_findings(path, Actor.system("import"), clock())
    db.session.commit()
    return [f.id for f in made]


def test_the_clerk_sees_the_units_findings_in_the_inbox_most_urgent_first(as_user, world, clock, notice_xlsx):
    a, b, c = imported(clock, notice_xlsx)
    html = as_user("edu_clerk").get("/inbox").get_data(as_text=True)
    assert 'id="inbox-findings"' in html
    # B (11-25) before A (11-30); D3's C is not this unit's
    assert html.index("“政策解读”栏目超过6个月未更新") < html.index("首页“通知公告”栏目有错别字")
    assert "公众号留言未回复" not in html
    assert 'id="inbox-findings"' not in as_user("boss").get("/inbox").get_data(as_text=True)


def test_scope_is_checked_on_the_server(as_user, world, clock, notice_xlsx):
    a, b, c = imported(clock, notice_xlsx)
    health = as_user("health_clerk")
    assert health.get(f"/findings/{a}").status_code == 404
    assert health.post(f"/findings/{a}/report", data={"text": "x"}).status_code == 404
    east = as_user("east_boss")
    assert east.get(f"/findings/{c}").status_code == 404  # D3 is in R2
    assert east.get(f"/findings/{a}").status_code == 200
    listed = east.get("/findings").get_data(as_text=True)
    assert "首页“通知公告”栏目有错别字" in listed and "公众号留言未回复" not in listed
    assert as_user("edu_clerk").post(f"/findings/{a}/accept").status_code == 403  # role, in scope
    assert as_user("edu_clerk").get("/findings/new").status_code == 403


def test_a_report_without_its_csrf_token_is_refused(app, as_user, world, clock, notice_xlsx):
    a, *_ = imported(clock, notice_xlsx)
    clerk = as_user("edu_clerk")
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert clerk.post(f"/findings/{a}/report", data={"text": "已整改"}).status_code == 400
        assert db.session.get(Finding, a).state == "open"
        token = csrf_token_from(clerk.get(f"/findings/{a}").get_data(as_text=True))
        r = clerk.post(f"/findings/{a}/report", data={"text": "已整改", "csrf_token": token})
        assert r.status_code == 302
        db.session.expire_all()
        assert db.session.get(Finding, a).state == "reported"
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_filters_by_notice_unit_state_and_overdue(as_user, world, clock, notice_xlsx, tmp_path):
    imported(clock, notice_xlsx)
    other = write_xlsx(tmp_path / "other.xlsx", [HEADER_ZH, ["D2", "", "", "其他", "另一通报的问题", "", "2026-11-20", "另一通报"]])
    imported(clock, other)
    boss = as_user("boss")

    def shown(query):
        html = boss.get("/findings" + query).get_data(as_text=True)
        return html.count('class="finding')

    assert shown("") == 4
    assert shown(f"?source={NOTICE}") == 3
    assert shown("?unit=R1") == 3  # D1's two and D2's one
    assert shown("?state=reported") == 0
    assert shown("?overdue=true") == 1  # D2's, due 11-20; today is 11-24


def test_an_upload_with_bad_rows_names_them_and_stores_nothing(as_user, world, tmp_path):
    bad = write_xlsx(tmp_path / "bad.xlsx", [HEADER_ZH, ROWS[0], ["NOPE", "", "", "", "x", "", "2026-11-30", ""]])
    boss = as_user("boss")
    r = boss.post("/findings/import", data={"file": (io.BytesIO(bad.read_bytes()), "附件.xlsx")},
                  content_type="multipart/form-data")
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert "row 3, unit_code: no unit with code &#39;NOPE&#39;" in html
    assert db.session.execute(sa.select(sa.func.count()).select_from(Finding)).scalar() == 0


def test_an_upload_stores_every_row(as_user, world, notice_xlsx):
    r = as_user("boss").post("/findings/import", data={"file": (io.BytesIO(notice_xlsx.read_bytes()), "附件.xlsx")},
                             content_type="multipart/form-data")
    assert r.status_code == 302
    assert db.session.execute(sa.select(sa.func.count()).select_from(Finding)).scalar() == 3


def test_needs_rectification_from_a_ticket_keeps_the_link(as_user, world, make_ticket):
    ticket = make_ticket("T-9", description="栏目有错别字")
    boss = as_user("boss")
    page = boss.get(f"/tickets/{ticket.id}").get_data(as_text=True)
    assert f"/findings/new?ticket_id={ticket.id}" in page
    form = boss.get(f"/findings/new?ticket_id={ticket.id}").get_data(as_text=True)
    assert "栏目有错别字" in form and 'value="D1" selected' in form
    r = boss.post("/findings/new", data={"ticket_id": ticket.id, "unit_code": "D1", "category": "content_error",
                                         "description": "栏目有错别字", "fix_by": "2026-12-04", "source": ""})
    assert r.status_code == 302
    finding = db.session.execute(sa.select(Finding)).scalar_one()
    assert (finding.ticket_id, finding.unit.code, finding.fix_by.isoformat()) == (ticket.id, "D1", "2026-12-04")
    r = boss.post("/findings/new", data={"unit_code": "D1", "description": "", "fix_by": "明天"})
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert "请填写存在的问题" in html and "请填写整改期限" in html


def test_the_xlsx_of_a_notice_lists_its_findings_with_their_state(as_user, world, clock, notice_xlsx):
    a, b, c = imported(clock, notice_xlsx)
    clock.set("2026-11-26T09:00:00+08:00")  # B (11-25) is overdue
    r = as_user("boss").get(f"/findings/export.xlsx?source={NOTICE}")
    assert r.status_code == 200
    ws = load_workbook(io.BytesIO(r.data))["整改情况"]
    rows = [[cell.value for cell in row] for row in ws.iter_rows(values_only=False)]
    assert rows[0][:3] == ["序号", "单位编码", "单位"]
    assert [(r[0], r[1], r[8]) for r in rows[1:]] == [
        (1, "D1", "未整改（已超期）"), (2, "D1", "未整改"), (3, "D3", "未整改")]
    assert as_user("edu_clerk").get("/findings/export.xlsx").status_code == 403


def test_the_menu_counts_a_clerks_open_findings_and_a_supervisors_overdue_ones(as_user, world, clock, notice_xlsx):
    imported(clock, notice_xlsx)
    clock.set("2026-11-26T09:00:00+08:00")  # B (D1, 11-25) overdue

    def count(who):
        html = as_user(who).get("/findings").get_data(as_text=True)
        link = html[html.index('href="/findings"'):]
        link = link[:link.index("</a>")]
        return link.split('class="count">')[1].split("<")[0] if 'class="count">' in link else None

    assert count("edu_clerk") == "2" and count("boss") == "1" and count("east_boss") == "1"


def test_a_bad_filter_is_named_in_the_persons_words(as_user, world, clock, notice_xlsx):
    imported(clock, notice_xlsx)
    html = as_user("boss").get("/findings?state=done").get_data(as_text=True)
    assert "状态不正确，已显示全部整改事项。" in html and html.count('class="finding') == 3
