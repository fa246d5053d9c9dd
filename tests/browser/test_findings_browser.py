"""The 整改 loop in real chromium: a supervisor imports a notice's 附件 table on the page, a clerk
reports with an attachment, the office sends one back and accepts another; then the public page."""
from __future__ import annotations

import pytest

from feedback.accounts.scope import Actor
from feedback.extensions import db
from feedback.settings import service as settings
from tests.findings.conftest import HEADER_ZH, ROWS, write_xlsx

pytestmark = pytest.mark.browser
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_import_report_with_a_file_send_back_and_accept(world, clock, new_page, login, tmp_path):
    notice = write_xlsx(tmp_path / "附件.xlsx", [HEADER_ZH, *ROWS])
    boss = new_page()
    login(boss, "boss")
    boss.goto("/findings")
    boss.set_input_files("#import-file", str(notice))
    boss.click("#import button[type=submit]")
    assert "已导入 3 项整改事项" in boss.inner_text(".flashes")
    assert boss.locator("tr.finding").count() == 3

    clerk = new_page()
    login(clerk, "edu_clerk")
    rows = clerk.locator("#inbox-findings tr.finding")
    assert rows.count() == 2 and "2026-11-25" in rows.nth(0).inner_text()  # most urgent first
    rows.nth(0).get_by_role("link").click()
    clerk.fill("#report-text", "“政策解读”栏目已更新。")
    (tmp_path / "after.png").write_bytes(PNG)
    clerk.set_input_files("#report-files", str(tmp_path / "after.png"))
    clerk.click("#report-form button[type=submit]")
    assert "整改报告已提交" in clerk.inner_text(".flashes")
    assert clerk.inner_text("#finding-state") == "待复核"
    assert "after.png" in clerk.inner_text("#files")
    first_url = clerk.url
    clerk.goto("/inbox")
    rows = clerk.locator("#inbox-findings tr.finding")
    assert "待整改" in rows.nth(0).inner_text() and "待复核" in rows.nth(1).inner_text()  # awaiting 复核 after
    rows.nth(0).get_by_role("link").click()
    clerk.fill("#report-text", "错别字已更正。")
    clerk.click("#report-form button[type=submit]")
    second_url = clerk.url

    boss.goto(first_url)
    assert "“政策解读”栏目已更新。" in boss.inner_text("#report")
    boss.fill("#reason", "首页仍显示旧内容")
    boss.click("#send-back-form button[type=submit]")
    assert "已退回整改" in boss.inner_text(".flashes")
    assert boss.inner_text("#finding-state") == "待整改"
    boss.goto(second_url)
    boss.click("#accept-form button[type=submit]")
    assert "复核通过" in boss.inner_text(".flashes") and boss.inner_text("#finding-state") == "已整改"

    clerk.goto(first_url)
    assert "首页仍显示旧内容" in clerk.inner_text("#timeline")
    assert clerk.locator("#report-form").count() == 1  # sent back: the unit reports again
    other = new_page()
    login(other, "health_clerk")
    response = other.goto(first_url)
    assert response.status == 404
    assert boss.console_errors == [] and clerk.console_errors == []


def test_the_public_page_in_a_browser(world, clock, make_ticket, new_page):
    from feedback.calendar.service import current_calendar
    from feedback.tickets import lifecycle

    clock.set("2026-10-12T09:00:00+08:00")
    t = make_ticket("P-7", description="联系电话 13812345678 打不通", reporter_name="王五")
    lifecycle.apply(t, "reply", Actor.of(world.users["edu_clerk"]), clock(), {"text": "已更正，王五您好。", "confirm": True},
                    current_calendar())
    lifecycle.apply(t, "approve", Actor.of(world.users["boss"]), clock(), {}, current_calendar())
    clock.set("2026-11-24T10:00:00+08:00")
    settings.set_value("publication.enabled", "true", Actor.system("test"), clock())
    db.session.commit()

    visitor = new_page()
    visitor.goto("/public/C0")
    text = visitor.inner_text("main")
    assert "P-7" in text and "138****5678" in text and "王*" in text
    assert "13812345678" not in visitor.content() and "王五" not in visitor.content()
    assert visitor.locator("#months tbody tr").count() == 12
    assert "2026-10" in visitor.inner_text("#months tbody tr:last-child")
    assert visitor.console_errors == []
