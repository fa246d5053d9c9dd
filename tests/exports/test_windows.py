"""Any window, from one notice's cut-off to the next (DESIGN.md: whole local days, both included;
the next window starts the day after the last notice's `to`), through the CLI, the API and the
exports page; a past window keeps the rules in force at its end."""
from __future__ import annotations

import io
import json
import os

import sqlalchemy as sa
from docx import Document

from feedback.accounts.scope import Actor
from feedback.exports.models import ExportJob
from feedback.exports.notice_models import NoticeCutoff
from feedback.extensions import db
from feedback.settings import service
from tests.exports.conftest import AS_OF


def edges(story) -> None:
    """Tickets on both sides of each edge of the windows Nov 1–10 and Nov 11–24 (as of Tue Nov 24
    10:00). Platform clock: 5 working days after the local date of receipt."""
    s = story
    s.receive("W0", "2026-10-31T23:59:00+08:00", "D1")  # the day before window 1: in neither
    s.receive("W1", "2026-11-01T00:01:00+08:00", "D1")  # window 1's first minute
    s.reply("W1", "2026-11-02T09:00:00+08:00")
    s.approve("W1", "2026-11-02T10:00:00+08:00")  # platform due Fri Nov 6: on time
    s.receive("W2", "2026-11-10T23:59:30+08:00", "D2")  # window 1's last seconds; due Tue Nov 17: overdue
    s.receive("W3", "2026-11-11T00:00:10+08:00", "D3")  # window 2's first seconds
    s.reply("W3", "2026-11-12T09:00:00+08:00")
    s.approve("W3", "2026-11-12T10:00:00+08:00")  # platform due Wed Nov 18: on time
    s.receive("W5", "2026-11-12T09:00:00+08:00")  # in triage; platform due Thu Nov 19: overdue
    s.receive("W4", "2026-11-24T09:00:00+08:00", "D9")  # today: pending
    s.clock.set(AS_OF)


WINDOW_1 = ("（三）“我为政府网站找错”平台。2026年11月1日至11月10日，全市共收到网民反馈的“我为政府网站找错”留言2条，"
            "按期办结率为50%。")  # W1 on time, W2 overdue: 1 / 2
WINDOW_2 = ("（三）“我为政府网站找错”平台。2026年11月11日至11月24日，全市共收到网民反馈的“我为政府网站找错”留言3条，"
            "按期办结率为50%（另有1条尚在办理期限内，未计入）。")  # W3 on time, W5 overdue, W4 pending


def window(client, world, query: str, who: str = "boss"):
    return client.get(f"/api/v1/assessment{query}", headers=world.headers(who))


def test_the_api_window_counts_whole_local_days_both_ends_included(client, story):
    edges(story)
    one = window(client, story.world, "?from=2026-11-01&to=2026-11-10").get_json()
    assert (one["quarter"], one["from"], one["to"], one["as_of"]) == (None, "2026-11-01", "2026-11-10", AS_OF)
    assert one["notice_paragraph"] == WINDOW_1
    assert (one["office"]["received"], one["total"]["received"], one["unassigned"]) == (2, 2, 0)
    two = window(client, story.world, "?from=2026-11-11&to=2026-11-24").get_json()
    assert two["notice_paragraph"] == WINDOW_2
    # W3 and W4 in the units' rows, W5 in triage
    assert (two["office"]["received"], two["total"]["received"], two["unassigned"]) == (3, 2, 1)
    # a window is never cut back to as_of's date: Nov 11–30 as of Nov 24 stays Nov 11–30
    later = window(client, story.world, "?from=2026-11-11&to=2026-11-30&as_of=2026-11-24T10:00").get_json()
    assert (later["to"], later["office"]["received"]) == ("2026-11-30", 3)
    # the quarter is: 2026Q4 as of Nov 24 ends Nov 24 (W0 … W5: 6 valid messages)
    q4 = window(client, story.world, "/2026Q4").get_json()
    assert (q4["quarter"], q4["to"], q4["office"]["received"]) == ("2026Q4", "2026-11-24", 6)


def test_the_api_window_names_what_is_wrong(client, story):
    world = story.world
    for query, field in (("?from=2026-11-01", "to"), ("?to=2026-11-01", "from"), ("?from=2026-11-31&to=2026-12-01",
                                                                                 "from"),
                         ("?from=2026-11-10&to=2026-11-01", "to"), ("?from=2026-11-01&to=2026-11-10&as_of=soon",
                                                                    "as_of")):
        r = window(client, world, query)
        assert r.status_code == 422 and field in r.get_json()["errors"], (query, r.get_json())
    assert window(client, world, "?from=2026-11-01&to=2026-11-10", who="edu_clerk").status_code == 403
    assert client.get("/api/v1/assessment?from=2026-11-01&to=2026-11-10").status_code == 401


def test_a_notice_remembers_its_cut_off_and_the_page_offers_the_next_window(app, story, as_user, tmp_path):
    edges(story)
    boss = as_user("boss")
    assert "还没有生成过通报草稿" in boss.get("/exports").get_data(as_text=True)
    out = tmp_path / "window1.docx"
    result = app.test_cli_runner().invoke(args=["export", "assessment", "--from", "2026-11-01", "--to", "2026-11-10",
                                                "--as-of", AS_OF, "--format", "docx", "-o", str(out)])
    assert result.exit_code == 0, result.output
    texts = [p.text for p in Document(str(out)).paragraphs]
    assert WINDOW_1 in texts
    # the draft says which rules it used: those in force at the end of its last day
    assert any("期限、扣分规则和措辞按2026年11月10日有效的设置" in t for t in texts)

    page = boss.get("/exports").get_data(as_text=True)
    assert "2026-11-11 至 2026-11-24" in page and "上次通报截至 2026-11-10" in page
    r = boss.post("/exports", data={"assessment-kind": "assessment", "assessment-quarter": "",
                                    "assessment-date_from": "2026-11-11", "assessment-date_to": "2026-11-24",
                                    "assessment-format": "docx"})
    assert r.status_code == 302
    job = db.session.execute(sa.select(ExportJob)).scalar_one()
    assert job.params["date_from"] == "2026-11-11" and job.status == "done"
    assert job.filename == "考核_C0_2026-11-11_2026-11-24.docx"
    download = boss.get(f"/exports/{job.id}/download")
    assert WINDOW_2 in [p.text for p in Document(io.BytesIO(download.data)).paragraphs]
    cutoffs = db.session.execute(sa.select(NoticeCutoff.date_from, NoticeCutoff.date_to)
                                 .order_by(NoticeCutoff.id)).all()
    assert [(a.isoformat(), b.isoformat()) for a, b in cutoffs] == [("2026-11-01", "2026-11-10"),
                                                                     ("2026-11-11", "2026-11-24")]
    assert "上次通报截至 2026-11-24，已到今天" in boss.get("/exports").get_data(as_text=True)


def test_a_past_window_keeps_the_rules_in_force_at_its_end(client, story):
    edges(story)
    # saved on Fri Nov 20: after window 1 ended, before window 2 ends
    story.clock.set("2026-11-20T09:00:00+08:00")
    service.set_value("notice.section", "（四）", Actor.system("test"), story.clock())
    service.set_value("deduction.points_per_overdue_open", "3", Actor.system("test"), story.clock())
    db.session.commit()
    story.clock.set(AS_OF)
    one = window(client, story.world, "?from=2026-11-01&to=2026-11-10").get_json()
    assert one["notice_paragraph"] == WINDOW_1  # （三）, as then
    # D2's W2: overdue on its unit clock (assigned Nov 11 00:59, due Nov 16) → 1 point, the old rule
    assert {r["unit"]["code"]: r["deductions"] for r in one["rows"]}["D2"] == 1.0
    assert one["rules"]["points_per_overdue_open"] == 1.0 and one["rules_in_force_at"] == "2026-11-10T23:59:59+08:00"
    two = window(client, story.world, "?from=2026-11-11&to=2026-11-24").get_json()
    assert two["notice_paragraph"] == WINDOW_2.replace("（三）", "（四）")
    assert two["rules"]["points_per_overdue_open"] == 3.0


def test_the_cli_without_o_writes_a_descriptive_name_here(app, story, tmp_path, monkeypatch):
    edges(story)
    monkeypatch.chdir(tmp_path)
    runner = app.test_cli_runner()
    for args in (["closure", "--from", "2026-11-01", "--to", "2026-11-10", "--format", "csv"],
                 ["closure", "--month", "2026-11", "--format", "xlsx", "--unit", "R1"],
                 ["assessment", "--from", "2026-11-11", "--to", "2026-11-24", "--format", "json"],
                 ["assessment", "--quarter", "2026Q4", "--format", "xlsx", "--unit", "R2"]):
        result = runner.invoke(args=["export", *args, "--as-of", AS_OF])
        assert result.exit_code == 0, (args, result.output)
    assert sorted(os.listdir(tmp_path)) == ["季度考核_R2_2026Q4.xlsx", "按期办结率_C0_2026-11-01_2026-11-10.csv",
                                            "按期办结率_R1_2026-11.xlsx", "考核_C0_2026-11-11_2026-11-24.json"]
    body = json.loads((tmp_path / "考核_C0_2026-11-11_2026-11-24.json").read_text(encoding="utf-8"))
    assert body["quarter"] is None and body["notice_paragraph"] == WINDOW_2
