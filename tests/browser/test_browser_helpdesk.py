"""Files, templates, duplicates and the personal-data guard in real chromium (issue 20)."""
from __future__ import annotations

import pytest

from feedback.accounts.scope import Actor
from feedback.extensions import db
from feedback.knowledge import service as knowledge
from feedback.tickets.models import Ticket
from tests import attachment_files as files

pytestmark = pytest.mark.browser


def test_a_reply_with_a_screenshot_is_reviewed_and_approved_and_kept_in_scope(world, clock, make_ticket,
                                                                                new_page, login):
    ticket = make_ticket("2026112400101", description="“通知公告”栏目图片无法显示")
    clerk = new_page()
    login(clerk, "edu_clerk")
    clerk.goto(f"/tickets/{ticket.id}")
    clerk.fill("#reply-text", "图片已重新上传，见截图。")
    clerk.set_input_files("#reply-files", files=[{"name": "更正后.png", "mimeType": "image/png",
                                                  "buffer": files.png(40, 30)}])
    clerk.click("#do-preview")
    assert clerk.locator("#reply-pending .file-name").all_inner_texts() == ["更正后.png"]
    clerk.click("#do-reply")
    assert "答复已提交" in clerk.inner_text(".flashes")
    src = clerk.locator(".reply-files img.file-preview").get_attribute("src")

    clock.advance(hours=1)
    boss = new_page()
    login(boss, "boss")
    boss.goto("/review")
    card = boss.locator(f"#review-{ticket.id}")
    image = card.locator("img.file-preview")
    assert image.get_attribute("alt") == "更正后.png"
    assert image.evaluate("img => img.complete && img.naturalWidth") == 40  # the screenshot itself loaded
    card.get_by_role("button", name="审核通过，办结").click()
    assert "已审核通过" in boss.inner_text(".flashes")

    for pg in (clerk, boss):
        assert not [e for e in pg.console_errors if "Content Security Policy" in e]
    other = new_page()
    login(other, "health_clerk")
    # the file's address, asked for with each person's own session
    assert other.request.get(src).status == 404
    got = boss.request.get(src)
    assert got.status == 200 and got.body() == files.png(40, 30)


def test_a_template_fills_the_reply(world, clock, make_ticket, page, login):
    knowledge.save_template(None, title="栏目已更新", category=None, active=True, actor=Actor.of(world.users["boss"]),
                            at=clock(), body="您反映的{网站}栏目问题已于{今天}处理，感谢您的监督。")
    ticket = make_ticket("2026112400102", site_name="东城县教育局网站")
    login(page, "edu_clerk")
    page.goto(f"/tickets/{ticket.id}")
    page.select_option("#template-pick", label="栏目已更新（通用）")
    page.click("#use-template")
    filled = "您反映的东城县教育局网站栏目问题已于2026年11月24日处理，感谢您的监督。"
    assert page.input_value("#reply-text") == filled
    page.fill("#reply-text", filled + "如仍有问题请再次留言。")
    page.click("#do-preview")
    page.click("#do-reply")
    assert "答复已提交" in page.inner_text(".flashes")
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).reply_text == filled + "如仍有问题请再次留言。"
    [usage] = knowledge.usage()
    assert (usage.used, usage.rejected) == (1, 0)


def test_a_second_report_of_the_same_page_is_flagged_and_marked_duplicate_in_one_click(
        world, clock, make_ticket, page, login):
    url = "http://edu.dongcheng.gov.cn/tzgg/2026/art_42.html"
    first = make_ticket("2026112400103", url=url, description="文章中“2025年”应为“2026年”")
    clock.advance(hours=3)
    second = make_ticket("2026112400104", url="https://edu.dongcheng.gov.cn/tzgg/2026/art_42.html",
                         description="这篇文章年份写错了")
    login(page, "boss")
    page.goto("/triage")
    row = page.locator(f"#flagged-{second.id}")
    assert "疑似重复：2026112400103" in row.inner_text() and "问题网址相同" in row.inner_text()
    assert page.locator(f"#flagged-{first.id}").count() == 0
    row.get_by_role("button", name="标记为重复").click()
    assert "已标记为无效" in page.inner_text(".flashes")
    assert "没有疑似重复的留言" in page.inner_text("#likely-duplicates")
    page.goto(f"/tickets/{second.id}")
    assert page.inner_text(".page-head .badge") == "无效"
    assert "与此工单重复：#%d" % first.id in page.inner_text("#timeline")


def test_a_reply_quoting_the_reporters_phone_is_held_until_the_clerk_edits_it(world, make_ticket, page, login):
    ticket = make_ticket("2026112400105", reporter_name="赵六", reporter_phone="13700001111")
    login(page, "edu_clerk")
    page.goto(f"/tickets/{ticket.id}")
    page.fill("#reply-text", "已更正。如有疑问我们将回电13700001111。")
    page.click("#do-preview")
    assert "手机号码、留言人电话" in page.inner_text("#reply-privacy")
    page.click("#do-reply")  # submitted without confirming: held
    assert "请删除后再提交" in page.inner_text("#reply-box")
    assert page.input_value("#reply-text") == "已更正。如有疑问我们将回电13700001111。"
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).state == "assigned"
    page.fill("#reply-text", "已更正。如有疑问请再次留言。")
    page.click("#do-preview")
    assert page.locator("#reply-privacy").count() == 0
    page.click("#do-reply")
    assert "答复已提交" in page.inner_text(".flashes")
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).reply_text == "已更正。如有疑问请再次留言。"


def test_a_clerk_writes_an_internal_note_with_a_file_and_the_office_reads_it(world, make_ticket, new_page, login):
    ticket = make_ticket("2026112400106")
    clerk = new_page()
    login(clerk, "edu_clerk")
    clerk.goto(f"/tickets/{ticket.id}")
    clerk.click("#note-box summary")
    assert clerk.is_checked("#note-internal")  # internal unless the clerk unticks it
    clerk.fill("#note-text", "已电话联系网站运维公司，明天上午修复。")
    clerk.set_input_files("#note-files", files=[{"name": "工单截图.pdf", "mimeType": "application/pdf",
                                                 "buffer": files.pdf()}])
    clerk.click("#do-note")
    assert "备注已保存" in clerk.inner_text(".flashes")
    assert clerk.inner_text(".page-head .badge") == "待签收"  # the state is unchanged

    boss = new_page()
    login(boss, "boss")
    boss.goto(f"/tickets/{ticket.id}")
    note = boss.locator("#timeline li.event-note")
    assert "内部备注" in note.inner_text() and "明天上午修复" in note.inner_text()
    assert note.locator(".file-name").inner_text() == "工单截图.pdf"
    boss.goto("/templates")
    assert "还没有答复模板" in boss.inner_text("#template-usage")
    for pg in (clerk, boss):
        assert pg.console_errors == []
