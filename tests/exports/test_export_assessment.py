"""The quarterly assessment: the API for the assessment system, the notice paragraph, the DOCX
draft and the XLSX, against the November story (conftest.py) seen as 2026Q4 cut off at AS_OF."""
from __future__ import annotations

import json

import pytest
from docx import Document
from openpyxl import load_workbook

from tests.exports.conftest import AS_OF, HOSTILE_NAME, november

# 2026Q4 cut off at Tue Nov 24 10:00 = Oct 1 – Nov 24: November's story plus T9 (D9, received Oct 30,
# overdue). Total (the units' rows, unit clocks): received 10, closed 5, on time 3, late 2, overdue 3
# (T3, T9, T11), pending 2 (T4, T10) → 3 / (5 + 3) = 37.5%.
# The paragraph's headline is the office's own (platform clock, 5 working days from receipt, closed_at
# against platform_due_at), T12 in triage included: 11 received. T1 (rcv Nov 2, due Nov 9, closed
# Nov 5), T2 (due Nov 9, closed Nov 9 11:00), T5 (rcv Nov 3, due Nov 10, closed Nov 10 11:00), T6 (rcv
# Nov 5, due Nov 12, closed Nov 6), T8 (rcv Nov 6, due Nov 13, closed Nov 12) on time: 5 of 5 closed.
# Open past the platform deadline: T3 (rcv Nov 16, due Nov 23), T9 (rcv Oct 30, due Nov 6), T11 (rcv
# Nov 10, due Nov 17), T12 (rcv Nov 12, due Nov 19) → 4. Not yet due: T4 (due Nov 27), T10 (due Nov 25)
# → 2, said beside the rate. 5 / (5 + 4) = 55.6%.
Q4_PARAGRAPH = ("（三）“我为政府网站找错”平台。2026年10月1日至11月24日，全市共收到网民反馈的"
                "“我为政府网站找错”留言11条，按期办结率为55.6%（另有2条尚在办理期限内，未计入）。")
# Deductions with the default rules (1 point per overdue-open ticket, 0.5 per late closure):
# D9 T9 overdue → 1; D1 T3 overdue + T2 late → 1.5; D2 T5 late → 0.5; D5 T11 overdue → 1. Total 4.
DEDUCTIONS = {"C0": 0, "D9": 1.0, "R1": 0, "D1": 1.5, "D2": 0.5, "R2": 0, "D3": 0, "D5": 1.0}
# Rate below 100%: D9 0/1, D1 1/3, D2 0/1, D5 0/1; D3 is 100%; C0, R1, R2 have no rate at all.
BELOW = {"D9", "D1", "D2", "D5"}


def api(client, world, who, path):
    return client.get(f"/api/v1/assessment/{path}", headers=world.headers(who))


def test_the_api_gives_figures_deductions_flags_and_the_paragraph(client, story):
    november(story)
    r = api(client, story.world, "boss", "2026Q4?as_of=" + AS_OF.replace("+", "%2B"))
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert (body["quarter"], body["from"], body["to"]) == ("2026Q4", "2026-10-01", "2026-11-24")
    assert body["as_of"] == AS_OF
    assert body["notice_paragraph"] == Q4_PARAGRAPH
    rows = {row["unit"]["code"]: row for row in body["rows"]}
    assert list(rows) == ["C0", "D9", "R1", "D1", "D2", "R2", "D3", "D5"]
    assert {code: row["deductions"] for code, row in rows.items()} == DEDUCTIONS
    assert {code for code, row in rows.items() if "on_time_rate_below_target" in row["flags"]} == BELOW
    assert not any("returns_over_limit" in row["flags"] for row in rows.values())  # D1 returned 1 ≤ 2
    d1 = rows["D1"]
    assert (d1["received"], d1["closed"], d1["on_time"], d1["late"], d1["overdue_open"], d1["pending"]) == \
        (3, 2, 1, 1, 1, 0)
    assert d1["on_time_rate"] == pytest.approx(1 / 3) and d1["returned"] == 1
    assert d1["unit"] == {"code": "D1", "name": "东城县教育局", "parent_code": "R1", "kind": "department"}
    assert rows["C0"]["on_time_rate"] is None
    total = body["total"]
    assert (total["received"], total["closed"], total["on_time"], total["overdue_open"]) == (10, 5, 3, 3)
    assert total["on_time_rate"] == pytest.approx(0.375) and total["deductions"] == 4.0
    office = body["office"]
    assert (office["received"], office["closed"], office["on_time"], office["overdue_open"], office["pending"]) \
        == (11, 5, 5, 4, 2)
    assert office["on_time_rate"] == pytest.approx(5 / 9) and body["unassigned"] == 1


def test_rules_come_from_the_configuration(app, client, story):
    november(story)
    app.config["EXPORT_ASSESSMENT_RULES"] = {"max_returns": 0, "points_per_late": 2}
    rows = {row["unit"]["code"]: row
            for row in api(client, story.world, "boss", "2026Q4?as_of=2026-11-24T10:00").get_json()["rows"]}
    # D1 returned T8 once (the return event names D1): now over a limit of 0; T2 late now costs 2.
    assert rows["D1"]["flags"] == ["on_time_rate_below_target", "returns_over_limit"]
    assert rows["D1"]["deductions"] == 1 + 2
    assert rows["D3"]["flags"] == [] and rows["D3"]["returned"] == 0


def test_a_county_supervisor_sees_the_county_and_reads_quan_xian(client, story):
    november(story)
    body = api(client, story.world, "east_boss", "2026Q4?as_of=2026-11-24T10:00").get_json()
    assert [row["unit"]["code"] for row in body["rows"]] == ["R1", "D1", "D2"]
    # R1 on its own clock: T1 on time, T2 and T5 late, T3 overdue, T4 pending → 1 / (3 + 1)
    assert body["notice_paragraph"] == ("（三）“我为政府网站找错”平台。2026年10月1日至11月24日，全县共收到网民反馈的"
                                        "“我为政府网站找错”留言5条，按期办结率为25%（另有1条尚在办理期限内，未计入）。")


def test_a_perfect_record_reads_100_percent(client, story):
    november(story)
    # R2 (西城区) as of Thu Nov 12 12:00: T6 and T8 closed on time; T11 not due until Fri Nov 13.
    body = api(client, story.world, "west_boss", "2026Q4?as_of=2026-11-12T12:00").get_json()
    assert body["notice_paragraph"] == ("（三）“我为政府网站找错”平台。2026年10月1日至11月12日，全区共收到网民反馈的"
                                        "“我为政府网站找错”留言3条，按期办结率为100%（另有1条尚在办理期限内，未计入）。")


def test_no_messages_and_nothing_due_yet_are_said_in_words(client, story):
    november(story)
    q3 = api(client, story.world, "boss", "2026Q3?as_of=2026-11-24T10:00").get_json()
    # the quarter is over at the cut-off: the whole quarter; nothing was received in it
    assert q3["notice_paragraph"] == ("（三）“我为政府网站找错”平台。2026年7月1日至9月30日，"
                                      "全市未收到网民反馈的“我为政府网站找错”留言。")
    assert q3["total"]["received"] == 0 and q3["total"]["on_time_rate"] is None
    # as of Mon Nov 2 12:00: T9 (Oct 30), T1 and T2 (Nov 2) received, none closed, none due yet
    early = api(client, story.world, "boss", "2026Q4?as_of=2026-11-02T12:00").get_json()
    assert early["notice_paragraph"] == ("（三）“我为政府网站找错”平台。2026年10月1日至11月2日，全市共收到网民反馈的"
                                         "“我为政府网站找错”留言3条，均在办理期限内，尚未办结。")


def test_api_errors(client, story):
    world = story.world
    assert api(client, world, "edu_clerk", "2026Q4").status_code == 403
    r = api(client, world, "boss", "2026Q5")
    assert r.status_code == 422 and "quarter" in r.get_json()["errors"]
    r = api(client, world, "boss", "2026Q4?as_of=tomorrow")
    assert r.status_code == 422 and "as_of" in r.get_json()["errors"]
    r = api(client, world, "boss", "2027Q1?as_of=2026-11-24T10:00")  # not started at the cut-off
    assert r.status_code == 422 and "as_of" in r.get_json()["errors"]
    assert client.get("/api/v1/assessment/2026Q4").status_code == 401


def cli(app, tmp_path, fmt, *args):
    out = tmp_path / f"assessment.{fmt}"
    result = app.test_cli_runner().invoke(
        args=["export", "assessment", "--quarter", "2026Q4", "--as-of", AS_OF, "--format", fmt, "-o", str(out), *args])
    assert result.exit_code == 0, result.output
    return out


def test_the_docx_draft_has_the_paragraph_and_the_attachment_table(app, story, tmp_path):
    november(story)
    doc = Document(str(cli(app, tmp_path, "docx")))
    texts = [p.text for p in doc.paragraphs]
    assert Q4_PARAGRAPH in texts
    assert "附件：“我为政府网站找错”网民留言办理存在问题的单位名单" in texts
    assert "附件" in texts
    (table,) = doc.tables
    rows = [[cell.text for cell in row.cells] for row in table.rows]
    # 南充's grouping (the default): the city's own departments one by one (D9), each county as one
    # line on its figures: R1 = D1 (T3 overdue, T2 late) + D2 (T5 late); R2 = D5 (T11 overdue)
    assert rows == [
        ["序号", "县（市、区）/市级部门（单位）", "存在的问题"],
        ["1", "示例市交通局", "“我为政府网站找错”网民留言超期未办结1条。"],
        ["2", "东城县", "“我为政府网站找错”网民留言超期未办结1条、超期办结2条。"],
        ["3", "西城区", "“我为政府网站找错”网民留言超期未办结1条。"],
    ]
    section = doc.sections[0]
    assert round(section.page_width.cm, 1) == 21.0 and round(section.page_height.cm, 1) == 29.7


def test_the_docx_can_list_every_unit_instead(app, story, tmp_path):
    november(story)
    app.test_cli_runner().invoke(args=["settings", "set", "notice.attachment", "unit"])
    story.clock.set(AS_OF)
    (table,) = Document(str(cli(app, tmp_path, "docx"))).tables
    # units with late or overdue messages, in the report's order (D9, then R1's, then R2's)
    assert [[cell.text for cell in row.cells] for row in table.rows] == [
        ["序号", "单位", "存在的问题"],
        ["1", "示例市交通局", "“我为政府网站找错”网民留言超期未办结1条。"],
        ["2", "东城县教育局", "“我为政府网站找错”网民留言超期未办结1条、超期办结1条。"],
        ["3", "东城县卫健局", "“我为政府网站找错”网民留言超期办结1条。"],
        ["4", HOSTILE_NAME, "“我为政府网站找错”网民留言超期未办结1条。"],
    ]


def test_the_docx_without_problems_has_no_attachment(app, story, tmp_path):
    november(story)
    out = tmp_path / "q3.docx"
    result = app.test_cli_runner().invoke(args=["export", "assessment", "--quarter", "2026Q3", "--as-of", AS_OF,
                                                "--format", "docx", "-o", str(out)])
    assert result.exit_code == 0, result.output
    doc = Document(str(out))
    assert "（三）“我为政府网站找错”平台。2026年7月1日至9月30日，全市未收到网民反馈的“我为政府网站找错”留言。" in \
        [p.text for p in doc.paragraphs]
    assert doc.tables == []


def test_the_xlsx_and_json_carry_the_same_figures(app, story, tmp_path):
    november(story)
    ws = load_workbook(cli(app, tmp_path, "xlsx"))["季度考核"]
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    header = rows[0]
    assert header[:13][-3:] == ["按期办结率", "平均办理时长(小时)", "平均办理时长(工作日)"]
    assert header[13:] == ["退回错转数", "扣分", "标记", "存在的问题", "整改未完成", "整改超期"]
    d1 = next(r for r in rows if r[1] == "D1")
    assert d1[4:11] == [3, 2, 1, 1, 1, 0, pytest.approx(1 / 3)]
    assert d1[13:] == [1, 1.5, "按期办结率低于100%", "“我为政府网站找错”网民留言超期未办结1条、超期办结1条。", 0, 0]
    assert ws.cell(row=rows.index(d1) + 1, column=11).number_format == "0.0%"
    total, office = rows[-2], rows[-1]
    assert total[0] == "合计" and total[4] == 10 and total[10] == pytest.approx(0.375) and total[14] == 4.0
    assert "各单位之和" in total[2]
    # the office's own line: the same ten and the one message still in triage (未分派)
    assert office[0] == "合计" and office[1] == "C0" and office[4] == 11 and "含未分派1条" in office[2]
    assert next(r for r in rows if r[1] == "D5")[2] == "'" + HOSTILE_NAME

    rules = {row[0].value: row[1].value for row in load_workbook(cli(app, tmp_path, "xlsx"))["扣分规则"].iter_rows()}
    assert rules["每条超期未办结留言扣分"] == 1.0 and rules["截至时间"].isoformat() == "2026-11-24T10:00:00"
    assert rules["规则适用时间"].isoformat() == "2026-11-24T23:59:59"  # the settings in force at the window's end

    body = json.loads(cli(app, tmp_path, "json").read_text(encoding="utf-8"))
    assert body["notice_paragraph"] == Q4_PARAGRAPH
    assert {r["unit"]["code"]: r["deductions"] for r in body["rows"]} == DEDUCTIONS


def test_the_xlsx_prints_on_a4_landscape_at_a_readable_scale_with_the_problems_wrapped(app, story, tmp_path):
    november(story)
    ws = load_workbook(cli(app, tmp_path, "xlsx"))["季度考核"]
    setup = ws.page_setup
    assert (setup.orientation, setup.paperSize, setup.fitToWidth, setup.fitToHeight) == ("landscape", 9, 1, 0)  # 9: A4
    assert ws.print_title_rows == "$1:$1"  # the header row on every page
    # one page across: 17 columns of (7 × width + 5) px at 96 dpi, within A4's 29.7 cm less the
    # margins, shrunk no further than 80 %
    widths = [ws.column_dimensions[chr(65 + i)].width for i in range(17)]
    printed_in = sum(7 * w + 5 for w in widths) / 96
    page_in = 29.7 / 2.54 - ws.page_margins.left - ws.page_margins.right
    assert page_in / printed_in >= 0.8
    rows = list(ws.iter_rows())
    d1 = next(r for r in rows if r[1].value == "D1")
    problems = d1[16]
    assert problems.value.startswith("“我为政府网站找错”") and problems.alignment.wrap_text
    assert d1[2].alignment.wrap_text and not d1[4].alignment.wrap_text  # the unit's name wraps, figures not
    assert all(c.alignment.wrap_text for c in rows[0])
