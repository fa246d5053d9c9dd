"""Attachments, notes and the personal-data guard through /api/v1 (CONTRACT.md: reply, note,
attachments), and what of them reaches the platform's hand-back."""
from __future__ import annotations

import io

import sqlalchemy as sa

from feedback.extensions import db
from feedback.tickets.handback import PlatformDelivery
from tests import attachment_files as files

REPORTER = {"name": "张三丰", "phone": "13812345678", "email": "zsf@example.com"}


def push(client, world, pid, url="http://edu.dongcheng.gov.cn/a"):
    body = {"platform_id": pid, "received_at": "2026-11-24T09:00:00+08:00", "description": "栏目不更新",
            "url": url, "reporter": REPORTER}
    r = client.post("/api/v1/reports", json=body, headers=world.headers("boss"))
    assert r.status_code == 201, r.get_json()
    return r.get_json()["ticket_id"]


def upload(client, world, who, ticket_id, content, name="shot.png"):
    return client.post(f"/api/v1/tickets/{ticket_id}/attachments", headers=world.headers(who),
                       data={"file": (io.BytesIO(content), name)}, content_type="multipart/form-data")


def post(client, world, who, ticket_id, action, body):
    return client.post(f"/api/v1/tickets/{ticket_id}/{action}", json=body, headers=world.headers(who))


def test_a_reply_carries_a_screenshot_that_only_the_tickets_scope_can_fetch(client, world):
    ticket_id = push(client, world, "A1")
    png = files.png()
    r = upload(client, world, "edu_clerk", ticket_id, png, "更正后.png")
    assert r.status_code == 201
    att = r.get_json()
    assert att == {"id": att["id"], "name": "更正后.png", "size": len(png), "content_type": "image/png"}

    r = post(client, world, "edu_clerk", ticket_id, "reply", {"text": "已更正。", "attachments": [att["id"]]})
    assert r.status_code == 200
    shown = r.get_json()
    [reply] = [e for e in shown["events"] if e["action"] == "reply"]
    assert reply["data"]["attachments"] == [att["id"]]
    assert shown["attachments"] == [dict(att, event_id=reply["id"])]

    for who, status in (("edu_clerk", 200), ("boss", 200), ("east_boss", 200), ("watcher", 200),
                        ("health_clerk", 404)):
        got = client.get(f"/api/v1/attachments/{att['id']}", headers=world.headers(who))
        assert got.status_code == status, who
        if status == 200:
            assert got.data == png and got.mimetype == "image/png"
    assert client.get("/api/v1/attachments/9999", headers=world.headers("boss")).status_code == 404
    # another unit's clerk cannot upload to it either, nor reuse the file on another reply
    assert upload(client, world, "health_clerk", ticket_id, png).status_code == 404


def test_uploads_are_typed_by_content_and_sized_by_their_own_limit(app, client, world):
    ticket_id = push(client, world, "A2")
    r = upload(client, world, "edu_clerk", ticket_id, b"MZ\x90\x00 not a picture", "shot.png")
    assert r.status_code == 422 and "file" in r.get_json()["errors"]
    r = client.post(f"/api/v1/tickets/{ticket_id}/attachments", headers=world.headers("edu_clerk"),
                    data={"other": "x"}, content_type="multipart/form-data")
    assert r.status_code == 422 and "file" in r.get_json()["errors"]
    assert upload(client, world, "watcher", ticket_id, files.png()).status_code == 403

    # The body limit of every other route is far smaller than the attachment limit here.
    app.config["MAX_CONTENT_LENGTH"] = 1024
    app.config["ATTACHMENT_MAX_BYTES"] = 200_000
    big = files.pdf() + b"\x00" * 150_000
    assert upload(client, world, "edu_clerk", ticket_id, big, "report.pdf").status_code == 201
    over = files.pdf() + b"\x00" * 200_000
    assert upload(client, world, "edu_clerk", ticket_id, over, "report.pdf").status_code == 413
    much_over = files.pdf() + b"\x00" * 400_000  # over the body limit itself
    assert upload(client, world, "edu_clerk", ticket_id, much_over, "report.pdf").status_code == 413
    listed = client.get(f"/api/v1/tickets/{ticket_id}", headers=world.headers("boss")).get_json()["attachments"]
    assert [a["size"] for a in listed] == [len(big)]


def test_a_reply_names_only_unused_uploads_of_its_own_ticket(client, world):
    first, second = push(client, world, "A3"), push(client, world, "A4")
    att = upload(client, world, "edu_clerk", first, files.pdf(), "r.pdf").get_json()["id"]
    r = post(client, world, "edu_clerk", second, "reply", {"text": "已更正。", "attachments": [att]})
    assert r.status_code == 422 and "attachments" in r.get_json()["errors"]
    r = post(client, world, "edu_clerk", second, "reply", {"text": "已更正。", "attachments": "1"})
    assert r.status_code == 422 and "attachments" in r.get_json()["errors"]
    assert post(client, world, "edu_clerk", first, "note",
                {"text": "整改报告", "internal": True, "attachments": [att]}).status_code == 200
    r = post(client, world, "edu_clerk", first, "reply", {"text": "已更正。", "attachments": [att]})
    assert r.status_code == 422 and "already" in r.get_json()["errors"]["attachments"]
    assert client.get(f"/api/v1/tickets/{second}", headers=world.headers("boss")).get_json()["state"] == "assigned"


def test_notes_leave_the_state_alone_and_are_events(client, world):
    ticket_id = push(client, world, "N1")
    r = post(client, world, "edu_clerk", ticket_id, "note", {"text": "已电话联系网站运维。", "internal": True})
    assert r.status_code == 200 and r.get_json()["state"] == "assigned"
    r = post(client, world, "east_boss", ticket_id, "note", {"text": "请本周内处理。", "internal": False})
    assert r.status_code == 200
    notes = [e for e in r.get_json()["events"] if e["action"] == "note"]
    assert [(n["actor"], n["data"]["text"], n["data"]["internal"], n["from_state"], n["to_state"]) for n in notes] == [
        ("edu_clerk", "已电话联系网站运维。", True, "assigned", "assigned"),
        ("east_boss", "请本周内处理。", False, "assigned", "assigned")]
    assert post(client, world, "watcher", ticket_id, "note", {"text": "x", "internal": True}).status_code == 403
    assert post(client, world, "health_clerk", ticket_id, "note", {"text": "x", "internal": True}).status_code == 404
    r = post(client, world, "edu_clerk", ticket_id, "note", {"text": "x"})
    assert r.status_code == 422 and "internal" in r.get_json()["errors"]


def test_the_guard_holds_a_reply_with_the_reporters_phone_until_confirmed(client, world):
    ticket_id = push(client, world, "G1")
    text = "已更正，如有疑问请拨打13812345678联系。"
    r = post(client, world, "edu_clerk", ticket_id, "reply", {"text": text})
    assert r.status_code == 422
    assert "mobile" in r.get_json()["errors"]["text"] and "reporter_phone" in r.get_json()["errors"]["text"]
    assert client.get(f"/api/v1/tickets/{ticket_id}", headers=world.headers("boss")).get_json()["state"] == "assigned"
    for held in ("张三丰您好，已更正。", "已回复至 zsf@example.com", "身份证号11010519491231002X已删除"):
        assert post(client, world, "edu_clerk", ticket_id, "reply", {"text": held}).status_code == 422, held
    # an internal note may hold it; a note going out may not, unless confirmed
    assert post(client, world, "edu_clerk", ticket_id, "note", {"text": text, "internal": True}).status_code == 200
    assert post(client, world, "edu_clerk", ticket_id, "note", {"text": text, "internal": False}).status_code == 422
    r = post(client, world, "edu_clerk", ticket_id, "reply", {"text": text, "confirm": True})
    assert r.status_code == 200 and r.get_json()["state"] == "replied"
    [reply] = [e for e in r.get_json()["events"] if e["action"] == "reply"]
    assert reply["data"]["personal_data_confirmed"] == ["mobile", "reporter_phone"]


def test_an_internal_note_never_reaches_the_hand_back(app, client, world, receiver):
    app.config.update(receiver.config())
    ticket_id = push(client, world, "H1")
    att = upload(client, world, "edu_clerk", ticket_id, files.png(), "fixed.png").get_json()
    note_file = upload(client, world, "edu_clerk", ticket_id, files.pdf(), "内部.pdf").get_json()
    assert post(client, world, "edu_clerk", ticket_id, "note",
                {"text": "内部：运维电话已核实", "internal": True, "attachments": [note_file["id"]]}).status_code == 200
    assert post(client, world, "boss", ticket_id, "note", {"text": "已督促整改。", "internal": False}).status_code == 200
    assert post(client, world, "edu_clerk", ticket_id, "reply",
                {"text": "已更正。", "attachments": [att["id"]]}).status_code == 200
    assert post(client, world, "boss", ticket_id, "approve", {}).status_code == 200

    [hit] = receiver.hits
    body = hit.json
    assert body["reply"] == "已更正。"
    assert body["notes"] == [{"at": body["notes"][0]["at"], "text": "已督促整改。"}]
    assert [(a["id"], a["name"], a["content_type"]) for a in body["attachments"]] == [
        (att["id"], "fixed.png", "image/png")]
    assert "内部" not in hit.body.decode("utf-8")
    db.session.rollback()
    stored = db.session.execute(sa.select(PlatformDelivery)).scalar_one()
    assert "内部" not in str(stored.payload)
