"""The ticket pages' files, notes, templates, the personal-data warning and duplicate flags,
through the Flask test client (the browser tests drive the same pages in chromium)."""
from __future__ import annotations

import io
import re

import sqlalchemy as sa

from feedback.accounts.scope import Actor
from feedback.attachments.models import Attachment
from feedback.extensions import db
from feedback.knowledge import service as knowledge
from feedback.tickets.models import Ticket
from tests import attachment_files as files

REPORTER = {"reporter_name": "王小明", "reporter_phone": "13912345678"}


def test_a_reply_with_a_screenshot_is_shown_in_review_and_served_only_in_scope(world, make_ticket, as_user):
    t = make_ticket("W1", **REPORTER)
    clerk = as_user("edu_clerk")
    # preview with the file: kept at once and carried by the form as a hidden id
    r = clerk.post(f"/tickets/{t.id}/reply", content_type="multipart/form-data",
                   data={"op": "preview", "text": "已更正，见截图。", "files": (io.BytesIO(files.png()), "更正后.png")})
    assert r.status_code == 200
    [att_id] = re.findall(r'name="attachment" value="(\d+)"', r.get_data(as_text=True))
    r = clerk.post(f"/tickets/{t.id}/reply", data={"op": "submit", "text": "已更正，见截图。", "attachment": att_id})
    assert r.status_code == 302
    att = db.session.get(Attachment, int(att_id))
    assert att.event_id is not None and att.name == "更正后.png"

    review = as_user("boss").get("/review").get_data(as_text=True)
    assert f'<img class="file-preview" src="/attachments/{att_id}" alt="更正后.png">' in review
    assert as_user("boss").get(f"/attachments/{att_id}").data == files.png()
    assert as_user("health_clerk").get(f"/attachments/{att_id}").status_code == 404
    assert as_user("watcher").get(f"/attachments/{att_id}").status_code == 200


def test_a_file_of_another_type_is_refused_naming_the_field(world, make_ticket, as_user):
    t = make_ticket("W2")
    r = as_user("edu_clerk").post(f"/tickets/{t.id}/reply", content_type="multipart/form-data",
                                  data={"op": "preview", "text": "已更正", "files": (io.BytesIO(b"<svg/>"), "a.png")})
    assert r.status_code == 422
    assert "只能上传 PNG、JPEG 图片或 PDF、DOCX、XLSX 文件" in r.get_data(as_text=True)
    assert db.session.execute(sa.select(sa.func.count()).select_from(Attachment)).scalar_one() == 0


def test_the_warning_holds_a_reply_quoting_the_reporters_phone(world, make_ticket, as_user):
    t = make_ticket("W3", **REPORTER)
    clerk = as_user("edu_clerk")
    preview = clerk.post(f"/tickets/{t.id}/reply", data={"op": "preview", "text": "已联系13912345678"})
    assert "注意：内容中有个人信息（手机号码、留言人电话）。" in preview.get_data(as_text=True)
    held = clerk.post(f"/tickets/{t.id}/reply", data={"op": "submit", "text": "已联系13912345678"})
    assert held.status_code == 422
    assert "手机号码、留言人电话" in held.get_data(as_text=True)
    assert db.session.get(Ticket, t.id).state == "assigned"
    assert clerk.post(f"/tickets/{t.id}/reply", data={"op": "submit", "text": "已联系13912345678",
                                                      "confirm": "1"}).status_code == 302
    review = as_user("boss").get("/review").get_data(as_text=True)
    assert "经办人确认保留个人信息：手机号码、留言人电话" in review


def test_notes_are_internal_unless_unticked(world, make_ticket, as_user):
    t = make_ticket("W4")
    clerk = as_user("edu_clerk")
    assert clerk.post(f"/tickets/{t.id}/note", data={"text": "已联系运维", "internal": "1"}).status_code == 302
    assert clerk.post(f"/tickets/{t.id}/note", data={"text": "已督促整改"}).status_code == 302
    notes = [(e.data["text"], e.data["internal"]) for e in db.session.get(Ticket, t.id).events if e.action == "note"]
    assert notes == [("已联系运维", True), ("已督促整改", False)]
    html = clerk.get(f"/tickets/{t.id}").get_data(as_text=True)
    assert html.count("内部备注") == 1 and "可随答复报送平台" in html


def test_a_template_fills_the_reply_and_its_rejections_are_counted(world, make_ticket, as_user, clock):
    boss = Actor.of(world.users["boss"])
    tpl = knowledge.save_template(None, title="链接已修复", category="broken_link", active=True, actor=boss,
                                  at=clock(), body="您于{留言日期}反映{网站}（{网址}）的问题已于{今天}修复。")
    db.session.commit()
    t = make_ticket("W5", url="http://edu.dongcheng.gov.cn/tzgg/9.html", category="链接错误",
                    site_name="东城县教育局网站")
    clerk = as_user("edu_clerk")
    r = clerk.post(f"/tickets/{t.id}/reply", data={"op": "template", "template_pick": str(tpl.id), "text": ""})
    html = r.get_data(as_text=True)
    expected = "您于2026年11月24日反映东城县教育局网站（http://edu.dongcheng.gov.cn/tzgg/9.html）的问题已于2026年11月24日修复。"
    assert f'name="text" rows="6" required maxlength="20000">{expected}</textarea>' in html
    assert f'name="template_id" value="{tpl.id}"' in html
    assert clerk.post(f"/tickets/{t.id}/reply", data={"op": "submit", "text": expected + "谢谢！",
                                                      "template_id": str(tpl.id)}).status_code == 302
    office = as_user("boss")
    assert office.post(f"/tickets/{t.id}/reject", data={"reason": "请附截图"}).status_code == 302
    [usage] = knowledge.usage()
    assert (usage.used, usage.rejected) == (1, 1)
    page = office.get("/templates").get_data(as_text=True)
    assert re.search(r'class="num used">1</td>\s*<td[^>]*class="num rejected">1</td>', page)
    assert as_user("east_boss").post("/templates", data={"title": "x", "body": "y"}).status_code == 403


def test_triage_lists_a_second_report_of_the_same_page_and_marks_it_in_one_click(world, make_ticket, as_user):
    page = "http://edu.dongcheng.gov.cn/tzgg/2026/art_7.html"
    first = make_ticket("W6", url=page)
    second = make_ticket("W7", url=page, description="这个页面打不开")
    boss = as_user("boss")
    html = boss.get("/triage").get_data(as_text=True)
    block = html[html.index('id="likely-duplicates"'):]
    assert f'id="flagged-{second.id}"' in block and f'id="flagged-{first.id}"' not in block
    form = re.search(r'action="/tickets/%d/invalidate".*?</form>' % second.id, block, re.S).group(0)
    fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', form))
    assert fields["duplicate_of"] == str(first.id)
    assert boss.post(f"/tickets/{second.id}/invalidate", data=fields).status_code == 302
    db.session.expire_all()
    marked = db.session.get(Ticket, second.id)
    assert (marked.state, marked.duplicate_of_id) == ("invalid", first.id)
    assert "没有疑似重复的留言" in boss.get("/triage").get_data(as_text=True)
