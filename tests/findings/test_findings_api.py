"""The findings API (CONTRACT.md: Findings): scope 404, state 409, input 422, events."""
from __future__ import annotations

import io

import pytest

from feedback.accounts.scope import Actor
from feedback.extensions import db
from feedback.findings.importing import import_findings

BODY = {"unit_code": "D1", "site_code": "1101000001", "category": "错链断链", "description": "链接打不开",
        "url": "http://edu.dongcheng.gov.cn/x/", "fix_by": "2026-11-27", "source": "第三季度通报"}


@pytest.fixture
def imported(app, world, clock, notice_xlsx):
    made = import_findings(notice_xlsx, Actor.system("import"), clock())
    db.session.commit()
    return [f.id for f in made]


def post(client, world, who, path, body=None):
    return client.post(f"/api/v1{path}", json=body if body is not None else {}, headers=world.headers(who))


def test_a_supervisor_records_a_finding_and_its_unit_sees_it(client, world):
    r = post(client, world, "boss", "/findings", BODY)
    assert r.status_code == 201, r.json
    f = r.json
    assert (f["state"], f["unit"], f["category"], f["fix_by"], f["overdue"], f["ticket_id"]) == (
        "open", {"code": "D1", "name": "东城县教育局"}, "broken_link", "2026-11-27", False, None)
    assert [e["action"] for e in f["events"]] == ["create"]
    listed = client.get("/api/v1/findings", headers=world.headers("edu_clerk")).json
    assert (listed["total"], [i["id"] for i in listed["items"]]) == (1, [f["id"]])
    assert client.get("/api/v1/findings", headers=world.headers("health_clerk")).json["total"] == 0
    assert client.get(f"/api/v1/findings/{f['id']}", headers=world.headers("health_clerk")).status_code == 404


def test_bad_fields_answer_422_naming_each(client, world):
    r = post(client, world, "boss", "/findings", dict(BODY, unit_code="", fix_by="明天", description=""))
    assert r.status_code == 422
    assert set(r.json["errors"]) == {"unit_code", "fix_by", "description"}
    # a unit outside the supervisor's subtree is not theirs to name
    r = post(client, world, "east_boss", "/findings", dict(BODY, unit_code="D3"))
    assert r.status_code == 422 and set(r.json["errors"]) == {"unit_code"}
    assert post(client, world, "edu_clerk", "/findings", BODY).status_code == 403


def test_a_nul_character_is_named_not_a_server_error(client, world):
    # PostgreSQL refuses a NUL even as a value to look a unit up by (a 500 that schemathesis found)
    r = post(client, world, "boss", "/findings", dict(BODY, unit_code="\x00", description="链接\x00打不开"))
    assert r.status_code == 422, r.json
    assert r.json["errors"] == {"unit_code": "contains a NUL character", "description": "contains a NUL character"}
    assert client.get("/api/v1/findings", headers=world.headers("boss")).json["total"] == 0
    # and in an action's text: the finding stays as it was
    finding = post(client, world, "boss", "/findings", BODY).json
    r = post(client, world, "edu_clerk", f"/findings/{finding['id']}/report", {"text": "已更正\x00"})
    assert r.status_code == 422 and r.json["errors"] == {"text": "contains a NUL character"}
    assert client.get(f"/api/v1/findings/{finding['id']}", headers=world.headers("boss")).json["state"] == "open"


def test_report_send_back_report_accept(client, world, clock, imported):
    first = imported[0]
    assert post(client, world, "boss", f"/findings/{first}/accept").status_code == 409  # still open
    assert post(client, world, "health_clerk", f"/findings/{first}/report", {"text": "x"}).status_code == 404
    r = post(client, world, "edu_clerk", f"/findings/{first}/report", {})
    assert r.status_code == 422 and set(r.json["errors"]) == {"text"}
    r = post(client, world, "edu_clerk", f"/findings/{first}/report", {"text": "已更正错别字"})
    assert (r.status_code, r.json["state"]) == (200, "reported")
    assert post(client, world, "edu_clerk", f"/findings/{first}/report", {"text": "again"}).status_code == 409
    r = post(client, world, "boss", f"/findings/{first}/send-back", {})
    assert r.status_code == 422 and set(r.json["errors"]) == {"reason"}
    r = post(client, world, "boss", f"/findings/{first}/send-back", {"reason": "首页仍有错字"})
    assert (r.status_code, r.json["state"]) == (200, "open")
    post(client, world, "edu_clerk", f"/findings/{first}/report", {"text": "全部更正"})
    r = post(client, world, "east_boss", f"/findings/{first}/accept")
    assert (r.status_code, r.json["state"]) == (200, "accepted")
    assert [(e["action"], e["from_state"], e["to_state"]) for e in r.json["events"]] == [
        ("create", None, "open"), ("report", "open", "reported"), ("send-back", "reported", "open"),
        ("report", "open", "reported"), ("accept", "reported", "accepted")]
    assert r.json["events"][2]["data"] == {"reason": "首页仍有错字"}


def test_overdue_is_open_past_the_end_of_the_fix_by_day(client, world, clock, imported):
    # fix-by dates: 11-30, 11-25 (D1), 12-10 (D3); now 2026-11-24 10:00
    def overdue_ids(who="boss"):
        return sorted(i["id"] for i in client.get("/api/v1/findings?overdue=true", headers=world.headers(who)).json["items"])

    clock.set("2026-11-25T23:59:59+08:00")
    assert overdue_ids() == []
    clock.set("2026-11-26T00:00:00+08:00")
    assert overdue_ids() == [imported[1]]
    # reported and awaiting 复核: not overdue
    post(client, world, "edu_clerk", f"/findings/{imported[1]}/report", {"text": "已更新"})
    assert overdue_ids() == []
    # sent back after its date: overdue again
    post(client, world, "boss", f"/findings/{imported[1]}/send-back", {"reason": "仍未更新"})
    assert overdue_ids() == [imported[1]]
    assert client.get(f"/api/v1/findings/{imported[1]}", headers=world.headers("boss")).json["overdue"] is True


def test_list_filters_and_pagination(client, world, imported):
    h = world.headers("boss")
    assert client.get("/api/v1/findings?unit=R1", headers=h).json["total"] == 2  # D1's two, in R1's subtree
    assert client.get("/api/v1/findings?unit=D3", headers=h).json["total"] == 1
    assert client.get("/api/v1/findings?state=accepted", headers=h).json["total"] == 0
    page = client.get("/api/v1/findings?per_page=2&page=2", headers=h).json
    assert (page["page"], page["per_page"], page["total"], len(page["items"])) == (2, 2, 3, 1)
    # most urgent first: the earliest fix-by date
    assert [i["fix_by"] for i in client.get("/api/v1/findings", headers=h).json["items"]] == [
        "2026-11-25", "2026-11-30", "2026-12-10"]
    r = client.get("/api/v1/findings?state=done&unit=NOPE", headers=h)
    assert r.status_code == 422 and set(r.json["errors"]) == {"state"}
    assert client.get("/api/v1/findings?unit=NOPE", headers=h).status_code == 422
    assert client.get("/api/v1/findings?unit=D3", headers=world.headers("east_boss")).status_code == 422


def test_a_finding_from_a_ticket_keeps_the_link(client, world, make_ticket):
    ticket = make_ticket("T-100")
    r = post(client, world, "boss", "/findings", dict(BODY, ticket_id=ticket.id))
    assert r.status_code == 201 and r.json["ticket_id"] == ticket.id
    r = post(client, world, "east_boss", "/findings", dict(BODY, ticket_id=999999))
    assert r.status_code == 422 and set(r.json["errors"]) == {"ticket_id"}


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_a_report_carries_an_attachment_never_shown_to_another_unit(client, world, imported, as_user):
    first = imported[0]  # D1's
    h = world.headers("edu_clerk")
    r = client.post(f"/api/v1/findings/{first}/attachments", headers=h,
                    data={"file": (io.BytesIO(PNG), "整改后截图.png")}, content_type="multipart/form-data")
    assert r.status_code == 201, r.json
    att = r.json
    assert (att["name"], att["content_type"], att["size"]) == ("整改后截图.png", "image/png", 72)
    # another unit's clerk cannot upload to it, nor name it, nor fetch it
    r = client.post(f"/api/v1/findings/{first}/attachments", headers=world.headers("health_clerk"),
                    data={"file": (io.BytesIO(PNG), "x.png")}, content_type="multipart/form-data")
    assert r.status_code == 404
    bad = client.post(f"/api/v1/findings/{first}/attachments", headers=h,
                      data={"file": (io.BytesIO(b"MZ\x90\x00 not an image"), "a.exe")},
                      content_type="multipart/form-data")
    assert bad.status_code == 422 and set(bad.json["errors"]) == {"file"}
    r = post(client, world, "edu_clerk", f"/findings/{imported[1]}/report", {"text": "x", "attachments": [att["id"]]})
    assert r.status_code == 422 and set(r.json["errors"]) == {"attachments"}  # not that finding's file
    r = post(client, world, "edu_clerk", f"/findings/{first}/report", {"text": "已更正", "attachments": [att["id"]]})
    assert r.status_code == 200 and r.json["attachments"] == [att]
    assert r.json["events"][-1]["data"]["attachments"] == [att["id"]]
    assert client.get(f"/api/v1/attachments/{att['id']}", headers=world.headers("boss")).data == PNG
    assert client.get(f"/api/v1/attachments/{att['id']}", headers=world.headers("health_clerk")).status_code == 404
    page = as_user("health_clerk").get(f"/findings/{first}/files/{att['id']}")
    assert page.status_code == 404
    assert as_user("east_boss").get(f"/findings/{first}/files/{att['id']}").data == PNG
