"""Likely duplicates: the rule in plain Python, and the flag ingest writes."""
from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace

import sqlalchemy as sa

from feedback.accounts.scope import Actor
from feedback.extensions import db
from feedback.tickets import duplicates
from feedback.tickets.duplicates import anchors, match, names_a_page, similarity, url_key
from feedback.tickets.models import DuplicateFlag
from feedback.timeutil import LOCAL

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=LOCAL)


def report(id, url=None, description="栏目不更新", days=0, site_code=None, site_name=None, unit_id=1):
    return SimpleNamespace(id=id, url=url, description=description, received_at=T0 + timedelta(days=days),
                           site_key=duplicates.site_key(site_code, url, site_name), unit_id=unit_id)


def test_url_keys_ignore_scheme_www_case_index_pages_and_tracking():
    same = ["http://www.Edu.gov.cn/a/b/index.html", "https://edu.gov.cn/a/b/", "edu.gov.cn/a/b?utm_source=x"]
    assert {url_key(u) for u in same} == {"edu.gov.cn/a/b"}
    assert url_key("http://edu.gov.cn/art?id=2&cat=1") == url_key("http://edu.gov.cn/art?cat=1&id=2") \
        == "edu.gov.cn/art?cat=1&id=2"
    assert url_key("http://edu.gov.cn/art?id=2") != url_key("http://edu.gov.cn/art?id=3")
    assert url_key(None) is None and url_key("   ") is None


def test_a_page_is_an_article_file_or_query_not_a_home_page_or_section():
    assert names_a_page("edu.gov.cn/art/2026/11/2/art_1234.html")
    assert names_a_page("edu.gov.cn/art?id=2") and names_a_page("edu.gov.cn/news/20261102")
    assert not names_a_page("edu.gov.cn") and not names_a_page("edu.gov.cn/bszn")


def test_similarity_and_anchors():
    assert similarity("栏目链接打不开。", "栏目链接 打不开") == 1.0
    # 8 and 9 bigrams, 5 in common (首页 页栏 栏目 目链 链接): 2·5 / 17
    assert similarity("首页栏目链接打不开", "首页栏目链接无法打开") == 10 / 17
    assert similarity("网站无障碍工具条无反应", "领导信息未更新") < 0.2
    assert anchors("“学校名录”页面于2025年9月无法访问") == {"学校名录", "2025", "9"}


def test_the_same_page_within_30_days_is_flagged_whatever_the_words():
    page = "http://edu.dongcheng.gov.cn/art/2026/11/1/art_88.html"
    old = report(1, page, "图片无法显示")
    assert match(report(2, page, "文中错别字", days=29), old) == ("url", 1.0)
    assert match(report(2, page, "文中错别字", days=31), old) is None  # too long after
    assert match(old, report(2, page, days=1)) is None  # the later one is never the original


def test_a_home_page_needs_alike_words_and_the_same_quoted_names():
    home = "https://www.jnqinghe.gov.cn/"
    old = report(1, home, "“学校名录”办理页面无法访问。")
    assert match(report(2, home, "“学校名录”办理页面打不开，无法访问。", days=1), old)[0] == "url"
    assert match(report(2, home, "“招生简章”办理页面无法访问。", days=1), old) is None
    assert match(report(2, home, "网站无障碍浏览工具条点击后无反应。", days=1), old) is None


def test_nearly_the_same_words_on_the_same_site_and_unit():
    old = report(1, "http://edu.gov.cn/a/1.html", "“通知公告”栏目自8月以来未更新", site_code="1101000001")
    new = report(2, "http://edu.gov.cn/b/", "“通知公告”栏目自8月以来一直未更新", site_code="1101000001", days=3)
    assert match(new, old)[0] == "text"
    new.unit_id = 2  # another department's channel on the same portal
    assert match(new, old) is None
    account = report(3, None, "“东城发布”菜单无法打开", site_name="东城发布")
    assert match(report(4, None, "“东城发布”菜单无法打开。", site_name="东城发布", days=2), account)[0] == "text"


def push(client, world, pid, url, description="栏目内容有错别字", received="2026-11-20T09:00:00+08:00"):
    r = client.post("/api/v1/reports", json={"platform_id": pid, "received_at": received, "url": url,
                                             "description": description}, headers=world.headers("boss"))
    assert r.status_code == 201, r.get_json()
    return r.get_json()["ticket_id"]


def test_ingest_flags_a_second_report_of_the_same_page_while_the_first_is_open(client, world):
    page = "http://edu.dongcheng.gov.cn/tzgg/2026/art_1.html"
    first = push(client, world, "D-1", page, received="2026-11-01T09:00:00+08:00")
    second = push(client, world, "D-2", "https://EDU.dongcheng.gov.cn/tzgg/2026/art_1.html#top", "链接打不开")
    other = push(client, world, "D-3", "http://edu.dongcheng.gov.cn/tzgg/2026/art_2.html", "图片无法显示")
    flags = db.session.execute(sa.select(DuplicateFlag.ticket_id, DuplicateFlag.candidate_id,
                                         DuplicateFlag.reason)).all()
    assert flags == [(second, first, "url")]
    boss = Actor.of(world.users["boss"])
    assert set(duplicates.shown_flags(boss, [second, other])) == {second}
    assert [t.id for t in db.session.execute(duplicates.flagged_query(boss)).scalars()] == [second]
    shown = client.get(f"/api/v1/tickets/{second}", headers=world.headers("edu_clerk")).get_json()
    assert shown["likely_duplicate_of"] == {"id": first, "platform_id": "D-1", "reason": "url", "score": 100}
    done = client.post(f"/api/v1/tickets/{second}/invalidate", headers=world.headers("boss"),
                       json={"reason": "重复留言", "duplicate_of": shown["likely_duplicate_of"]["id"]}).get_json()
    assert (done["state"], done["duplicate_of"], done["likely_duplicate_of"]) == ("invalid", first, None)
    health = Actor.of(world.users["health_clerk"])
    assert duplicates.shown_flags(health, [second]) == {}


def test_a_closed_original_is_no_longer_shown_as_the_original(client, world):
    page = "http://edu.dongcheng.gov.cn/tzgg/2026/art_5.html"
    first = push(client, world, "E-1", page, received="2026-11-10T09:00:00+08:00")
    second = push(client, world, "E-2", page)
    for who, action, body in (("edu_clerk", "reply", {"text": "已更正。"}), ("boss", "approve", {})):
        assert client.post(f"/api/v1/tickets/{first}/{action}", json=body,
                           headers=world.headers(who)).status_code == 200
    assert duplicates.shown_flags(Actor.of(world.users["boss"]), [second]) == {}
    # a report arriving after the close is compared with the open one only
    third = push(client, world, "E-3", page, received="2026-11-24T09:00:00+08:00")
    flags = db.session.execute(sa.select(DuplicateFlag.ticket_id, DuplicateFlag.candidate_id)
                               .order_by(DuplicateFlag.ticket_id)).all()
    assert flags == [(second, first), (third, second)]
