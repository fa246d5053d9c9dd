"""Each seed notice's 找错 sentence, rebuilt from a small ledger with the office's settings
(domain/seeds/; DESIGN.md: wording follows the seeds' variants, chosen by the office).

Every ticket goes through the real paths (conftest.Story: received, assigned an hour later,
replied, approved); the settings are saved before the window ends, so they are in force at its
end. Expectations are counted by hand in the comments; the seeds' own sentences are quoted."""
from __future__ import annotations

from feedback.accounts.scope import Actor
from feedback.extensions import db
from feedback.settings import service


def configure(clock, at: str, **values) -> None:
    clock.set(at)
    for key, value in values.items():
        service.set_value(key.replace("__", "."), value, Actor.system("test"), clock())
    db.session.commit()


def closed_same_day(story, pid: str, day: str, unit: str = "D1") -> None:
    """Received 09:00, assigned 10:00, replied 10:30, approved 11:00: on time on every clock."""
    story.receive(pid, f"{day}T09:00:00+08:00", unit)
    story.reply(pid, f"{day}T10:30:00+08:00")
    story.approve(pid, f"{day}T11:00:00+08:00")


def paragraph(client, world, query: str) -> str:
    r = client.get(f"/api/v1/assessment{query}", headers=world.headers("boss"))
    assert r.status_code == 200, r.get_json()
    return r.get_json()["notice_paragraph"]


def test_nanchong_2024q1_cut_off_on_10_march(client, story):
    # 南充: "（三）“我为政府网站找错”平台。2024 年 1 月 1 日至 3 月 10 日，全市共收到网民反馈的
    # “我为政府网站找错”留言 6 条，按期办结率为 100%。" — the default settings.
    for i, day in enumerate(("2024-01-08", "2024-01-15", "2024-01-22", "2024-02-26", "2024-03-04", "2024-03-06")):
        closed_same_day(story, f"NC{i}", day)
    closed_same_day(story, "NC-before", "2023-12-29")  # the previous quarter
    closed_same_day(story, "NC-after", "2024-03-11")  # after the cut-off date
    # six in Jan 1 – Mar 10, all closed the day they came: 6 / 6
    assert paragraph(client, story.world, "/2024Q1?as_of=2024-03-10T18:00") == (
        "（三）“我为政府网站找错”平台。2024年1月1日至3月10日，全市共收到网民反馈的“我为政府网站找错”留言6条，"
        "按期办结率为100%。")


def test_yibin_valid_messages_since_december(client, story, clock):
    # 宜宾: "2023年12月以来，收到中国政府网“我为政府网站找错”监督举报平台转来的网民有效留言10条，
    # 办结10条，按期办结率100%。"
    configure(clock, "2023-11-01T09:00", notice__section="-", notice__date_style="since",
              notice__source="中国政府网“我为政府网站找错”监督举报平台转来的网民留言",
              notice__rate_word="按期办结率", notice__elements="valid,closed,on_time_rate")
    days = ("2023-12-04", "2023-12-11", "2023-12-18", "2023-12-25", "2024-01-08", "2024-01-15", "2024-01-22",
            "2024-02-26", "2024-03-04", "2024-03-05")
    for i, day in enumerate(days):
        closed_same_day(story, f"YB{i}", day, "D3")
    story.receive("YB-spam", "2024-01-09T09:00:00+08:00")  # invalid: not counted
    story.act("YB-spam", "invalidate", "2024-01-09T10:00:00+08:00", reason="广告")
    # ten valid messages from Dec 1 to the 复核 cut-off Mar 5, all closed on time
    assert paragraph(client, story.world, "?from=2023-12-01&to=2024-03-05&as_of=2024-03-05T18:00") == (
        "2023年12月以来，收到中国政府网“我为政府网站找错”监督举报平台转来的网民有效留言10条，办结10条，"
        "按期办结率100%。")


def test_zhanjiang_all_handled_on_time_between_two_cut_offs(client, story, clock):
    # 湛江: "4月12日至6月25日，全市共收到网民反馈的“我为政府网站找错”留言10条，均已按期办理，办结率100%。"
    configure(clock, "2023-04-01T09:00", notice__section="-", notice__date_style="no_year",
              notice__elements="scope,all_on_time")
    days = ("2023-04-12", "2023-04-17", "2023-04-24", "2023-05-08", "2023-05-15", "2023-05-22", "2023-05-29",
            "2023-06-05", "2023-06-12", "2023-06-25")  # Jun 25 2023 is a Sunday worked for 端午
    for i, day in enumerate(days):
        closed_same_day(story, f"ZJ{i}", day, "D9")
    closed_same_day(story, "ZJ-before", "2023-04-11")
    closed_same_day(story, "ZJ-after", "2023-06-26")
    assert paragraph(client, story.world, "?from=2023-04-12&to=2023-06-25&as_of=2023-07-10T09:00") == (
        "4月12日至6月25日，全市共收到网民反馈的“我为政府网站找错”留言10条，均已按期办理，办结率100%。")


def test_sichuan_2025_quarter_rate_and_handling_time(client, story, clock):
    # 四川 2025: "第四季度，收到“我为政府网站找错”网民留言 173 条，按时办结率 98.8%，……绝大部分留言
    # 平均办理时长小于 1 天". The headline is the office's own clock (platform: 5 working days).
    configure(clock, "2025-09-01T09:00", notice__section="-", notice__date_style="quarter",
              notice__source="“我为政府网站找错”网民留言", notice__rate_word="按时办结率",
              notice__elements="on_time_rate,avg_handling")
    days = ("2025-10-13", "2025-10-14", "2025-10-15", "2025-10-16", "2025-10-17", "2025-10-20", "2025-10-21",
            "2025-10-22", "2025-10-23", "2025-10-24", "2025-10-27")
    for i, day in enumerate(days):  # eleven closed two hours after receipt
        closed_same_day(story, f"SC{i}", day, "D2")
    # one late: received Mon Oct 13 09:30, platform due Mon Oct 20 (14, 15, 16, 17, 20), closed Tue Oct 21
    # 10:00 = 192.5 hours
    story.receive("SC-late", "2025-10-13T09:30:00+08:00", "D2")
    story.reply("SC-late", "2025-10-21T09:00:00+08:00")
    story.approve("SC-late", "2025-10-21T10:00:00+08:00")
    # 11 / 12 = 91.7%; mean (11 × 2 + 192.5) / 12 = 17.9 hours: under a day
    assert paragraph(client, story.world, "/2025Q4?as_of=2026-01-10T09:00") == (
        "第四季度，收到“我为政府网站找错”网民留言12条，按时办结率91.7%，平均办理时长小于1天。")


def test_sichuan_2022_lists_the_units_at_100_percent(client, story, clock):
    # 四川 2022 附件4: "“我为政府网站找错”留言按期办结率 100%：自贡市、攀枝花市……" — the lines of the
    # attachment's grouping (counties as one line, the city's own departments each) at 100 %.
    configure(clock, "2026-10-01T09:00", notice__elements="scope,on_time_rate,units_full")
    closed_same_day(story, "SC22-1", "2026-11-02", "D9")  # 示例市交通局: 1 / 1
    closed_same_day(story, "SC22-2", "2026-11-03", "D1")  # 东城县 (D1, D2): 2 / 2
    closed_same_day(story, "SC22-3", "2026-11-04", "D2")
    closed_same_day(story, "SC22-4", "2026-11-05", "D3")  # 西城区: T4 on time, T5 late → 1 / 2
    # T5: assigned Mon Nov 9 10:00, unit due Thu Nov 12; replied Fri Nov 13 → late for D3. Platform:
    # received Nov 9, due Mon Nov 16, closed Nov 13 → on time for the office.
    story.receive("SC22-5", "2026-11-09T09:00:00+08:00", "D3")
    story.reply("SC22-5", "2026-11-13T09:00:00+08:00")
    story.approve("SC22-5", "2026-11-13T10:00:00+08:00")
    # headline on the office's clock: 5 / 5 = 100%
    assert paragraph(client, story.world, "?from=2026-11-01&to=2026-11-20&as_of=2026-11-24T10:00") == (
        "（三）“我为政府网站找错”平台。2026年11月1日至11月20日，全市共收到网民反馈的“我为政府网站找错”留言5条，"
        "按期办结率为100%。其中，示例市交通局、东城县按期办结率为100%。")
