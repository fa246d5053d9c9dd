"""Reply templates: placeholders filled for a ticket, checked when saved, uses counted."""
from __future__ import annotations

import pytest

from feedback.accounts.scope import Actor
from feedback.errors import InputError
from feedback.extensions import db
from feedback.knowledge import service
from feedback.knowledge.models import ReplyTemplate


def save(world, clock, body, **kw):
    fields = dict(title="模板", category=None, active=True) | kw
    template = service.save_template(None, body=body, actor=Actor.of(world.users["boss"]), at=clock(), **fields)
    db.session.commit()
    return template


def test_each_placeholder_in_english_or_chinese_is_filled(world, clock, make_ticket):
    clock.set("2026-11-26T16:00:00+08:00")
    ticket = make_ticket("K1", url="http://edu.dongcheng.gov.cn/a.html", submitted_at="2026-11-20T08:00:00+08:00")
    # (an unknown placeholder cannot be saved; one in an older text is left as written)
    template = ReplyTemplate(body="{网站}|{site}|{网址}|{留言日期}|{转办日期}|{今天}|{单位}|{留言编号}|{未知}")
    assert service.render(template, ticket, clock()) == (
        "东城县教育局网站|东城县教育局网站|http://edu.dongcheng.gov.cn/a.html|2026年11月20日|2026年11月26日|"
        "2026年11月26日|东城县教育局|K1|{未知}")


def test_a_template_names_its_field_when_it_cannot_be_saved(world, clock):
    with pytest.raises(InputError) as caught:
        save(world, clock, "您好，{网站名}已更新", title="", category="nonsense")
    assert set(caught.value.errors) == {"title", "body", "category"}
    assert "{网站名}" in caught.value.errors["body"]


def test_templates_for_a_category_come_before_the_general_ones_and_inactive_never(world, clock):
    general = save(world, clock, "通用", title="A 通用")
    links = save(world, clock, "链接", title="B 链接", category="broken_link")
    save(world, clock, "停用", title="C 停用", category="broken_link", active=False)
    save(world, clock, "内容", title="D 内容", category="content_error")
    assert [t.id for t in service.templates_for("broken_link")] == [links.id, general.id]
