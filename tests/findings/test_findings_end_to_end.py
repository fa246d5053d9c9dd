"""Done when (issue 16), as one story: a supervisor imports a notice's 附件 table, the units see
their findings, one reports with an attachment, the office sends one back and accepts another, an
overdue one escalates once (a real `rq worker`), the assessment shows the counts, and the public
page shows last month's closed messages without personal data."""
from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from feedback.calendar.service import current_calendar
from feedback.accounts.scope import Actor
from feedback.extensions import db
from feedback.notices.models import Notification
from feedback.settings import service as settings
from feedback.tickets import lifecycle
from tests.factories import make_user
from tests.findings.conftest import NOTICE
from tests.support.services import run_job

pytestmark = pytest.mark.services
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_the_rectification_loop_from_import_to_publication(app, client, world, clock, as_user, make_ticket,
                                                           notice_xlsx, workers):
    make_user(world, "west_clerk", "unit_staff", "D3")
    db.session.commit()
    # last month (October): a message, closed with a reply that repeats the reporter's phone
    clock.set("2026-10-12T09:00:00+08:00")
    t = make_ticket("E2E-1", description="联系电话 13812345678 打不通", reporter_name="赵六",
                    reporter_phone="13812345678")
    lifecycle.apply(t, "reply", Actor.of(world.users["edu_clerk"]), clock(),
                    {"text": "赵六您好，电话已更新为 0571-88888888。", "confirm": True}, current_calendar())
    lifecycle.apply(t, "approve", Actor.of(world.users["boss"]), clock(), {}, current_calendar())
    db.session.commit()

    # 1. page /findings: the supervisor uploads the notice's 附件 table
    clock.set("2026-11-24T10:00:00+08:00")
    boss = as_user("boss")
    r = boss.post("/findings/import", data={"file": (io.BytesIO(notice_xlsx.read_bytes()), "附件.xlsx")},
                  content_type="multipart/form-data")
    assert r.status_code == 302

    # 2. the units see their findings: D1 two (A fix-by 11-30, B 11-25), D3 one (C 12-10)
    def mine(who):
        return {f["description"]: f["id"] for f in client.get("/api/v1/findings", headers=world.headers(who)).json["items"]}

    edu, west = mine("edu_clerk"), mine("west_clerk")
    assert (len(edu), len(west)) == (2, 1)
    a, b = edu["首页“通知公告”栏目有错别字"], edu["“政策解读”栏目超过6个月未更新"]
    assert "政策解读" in as_user("edu_clerk").get("/inbox").get_data(as_text=True)

    # 3. D1 reports A with an attachment (API), and B
    h = world.headers("edu_clerk")
    att = client.post(f"/api/v1/findings/{a}/attachments", headers=h, content_type="multipart/form-data",
                      data={"file": (io.BytesIO(PNG), "整改后.png")}).json
    r = client.post(f"/api/v1/findings/{a}/report", headers=h, json={"text": "已更正", "attachments": [att["id"]]})
    assert r.status_code == 200 and r.json["attachments"][0]["id"] == att["id"]
    assert client.post(f"/api/v1/findings/{b}/report", headers=h, json={"text": "已更新"}).status_code == 200
    assert client.get(f"/api/v1/attachments/{att['id']}", headers=world.headers("west_clerk")).status_code == 404

    # 4. the office sends B back and accepts A
    hb = world.headers("boss")
    assert client.post(f"/api/v1/findings/{b}/send-back", headers=hb, json={"reason": "仍未更新"}).json["state"] == "open"
    assert client.post(f"/api/v1/findings/{a}/accept", headers=hb, json={}).json["state"] == "accepted"

    # 5. B (fix-by 11-25) is overdue on Thu 11-26: a real worker's sweep escalates it, once
    workers.start(1)
    counts = run_job("workers.tasks.sweep", "2026-11-26T08:00:00+08:00", workers=workers)
    assert counts["finding_escalations"] == 2  # the supervisors of R1 and C0
    again = run_job("workers.tasks.sweep", "2026-11-26T09:00:00+08:00", workers=workers)
    assert again["finding_escalations"] == 0
    told = db.session.execute(sa.select(Notification.finding_id, Notification.unit_id)
                              .where(Notification.kind == "finding_overdue")).all()
    assert sorted(told) == sorted([(b, world.units["R1"].id), (b, world.units["C0"].id)])

    # 6. the assessment (as of Dec 1, window Oct 1 – Dec 1): D1 B open and overdue, A accepted
    clock.set("2026-12-01T09:00:00+08:00")
    rows = {r["unit"]["code"]: r for r in client.get("/api/v1/assessment/2026Q4", headers=hb).json["rows"]}
    d1 = rows["D1"]
    assert (d1["findings_open"], d1["findings_overdue"], d1["findings_reported"], d1["findings_accepted"]) == (1, 1, 0, 1)
    assert d1["findings_deductions"] == 1.0
    assert rows["D3"]["findings_open"] == 0  # C is due after the cut-off

    # 7. the public page, once published: last month's closed message, personal data masked
    settings.set_value("publication.enabled", "true", Actor.of(world.users["boss"]), clock())
    db.session.commit()
    feed = client.get("/public/C0.json").json
    assert [i["platform_id"] for i in feed["items"]] == ["E2E-1"]
    assert feed["items"][0]["reply"] == "赵*您好，电话已更新为 0571-88888888。"
    assert feed["months"][-1] == {"month": "2026-11", "received": 0, "closed": 0, "on_time_rate": None}
    assert feed["months"][-2] == {"month": "2026-10", "received": 1, "closed": 1, "on_time_rate": 1.0}
    page = client.get("/public/C0").get_data(as_text=True)
    assert "13812345678" not in page and "赵六" not in page and "138****5678" in page
    assert NOTICE not in page  # findings are not published
