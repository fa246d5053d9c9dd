"""The dashboard page: the same figures as the API, at-a-glance counts with their lists,
region drill-down, sorting, the monthly chart with its table."""
from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import lxml.html
import pytest
import sqlalchemy as sa

from feedback.directory.admin import add_unit
from feedback.extensions import db
from feedback.figures import views
from feedback.figures.closure import Figures
from feedback.tickets.models import Ticket
from tests.figures.worlds import OCTOBER_AS_OF, october


@pytest.fixture
def oct_world(ticket_lists, story, clock):
    october(story)
    clock.set(OCTOBER_AS_OF)  # the dashboard shows "now": Mon Nov 2 12:00
    return story


def page(browser, path: str):
    r = browser.get(path)
    assert r.status_code == 200, r.status_code
    return lxml.html.fromstring(r.get_data(as_text=True))


def table_rows(doc, table_id="closure-table") -> dict:
    """{data-unit: {data-key: value}} of the figures table (the total row under "")."""
    out = {}
    for tr in doc.xpath(f'//table[@id="{table_id}"]//tr[@data-unit]'):
        out[tr.get("data-unit")] = {td.get("data-key"): json.loads(td.get("data-value"))
                                    for td in tr.xpath("./td[@data-key]")}
    return out


def cell_text(doc, unit: str, key: str) -> str:
    [td] = doc.xpath(f'//table[@id="closure-table"]//tr[@data-unit="{unit}"]/td[@data-key="{key}"]')
    return td.text.strip()  # the number as shown, without the screen-reader note after it


def test_the_dashboard_and_the_api_agree(oct_world, as_user, client, world):
    doc = page(as_user("boss"), "/dashboard?month=2026-10")
    api = client.get("/api/v1/metrics/closure?from=2026-10-01&to=2026-10-31",
                     headers=world.headers("boss")).get_json()
    shown = table_rows(doc)
    expected = {row["unit"]["code"]: row for row in api["rows"]} | {"": api["total"], "@office": api["office"]}
    assert set(shown) == set(expected)
    for code, cells in shown.items():
        assert len(cells) == 9
        for key, value in cells.items():
            assert value == expected[code][key], (code, key)
    # what a person reads (hand-counted in test_closure.py): D1 10 received, 50% on time, 141.0 h (feedback/formats.py)
    assert (cell_text(doc, "D1", "received"), cell_text(doc, "D1", "on_time_rate"),
            cell_text(doc, "D1", "avg_handling_hours")) == ("10", "50%", "141.0")
    assert cell_text(doc, "", "on_time_rate") == "54.5%"  # 6 / 11
    assert cell_text(doc, "C0", "on_time_rate") == "—"
    assert doc.xpath('//*[@data-unassigned="1"]')  # T14 in triage, said beside the table
    # the office's own line under the units' 合计: T14 (in triage) counted there, not in the 合计
    assert (cell_text(doc, "", "received"), cell_text(doc, "@office", "received")) == ("13", "14")
    assert doc.xpath('//tr[@data-unit="@office"][@data-office-unassigned="1"]')


def test_units_below_target_stand_out(oct_world, as_user):
    doc = page(as_user("watcher"), "/dashboard?month=2026-10")
    below = {tr.get("data-unit") for tr in doc.xpath('//tr[contains(@class, "below-target")][@data-unit]')}
    # D1 50%, D3 0% are below 100%; D2 and R1 are at 100%; "—" is not below anything
    assert below == {"D1", "D3"}


def test_at_a_glance_counts_link_to_their_lists(oct_world, as_user, story, clock):
    # Two more D2 tickets: Wed Oct 28 → due Mon Nov 2 (today); Thu Oct 29 → due Tue Nov 3 (next working day).
    story.receive("G1", "2026-10-28T09:00:00+08:00", unit="D2")
    story.receive("G2", "2026-10-29T09:00:00+08:00", unit="D2")
    clock.set(OCTOBER_AS_OF)
    doc = page(as_user("boss"), "/dashboard")
    tiles = {el.get("data-glance"): el for el in doc.xpath("//*[@data-glance]")}
    counts = {key: int(el.xpath('.//*[@class="n"]')[0].text) for key, el in tiles.items()}
    # overdue at Mon Nov 2 noon: T9 (due Oct 26), T12 (late reply), T13 (due Oct 10), T16 (D3, due Oct 27);
    # not T11 (replied on time, awaiting review). Triage: T14. Review: T11 and T12.
    assert counts == {"overdue": 4, "due_today": 1, "due_next_workday": 1, "awaiting_triage": 1, "awaiting_review": 2}
    assert tiles["overdue"].get("href") == "/inbox?overdue=true"
    assert tiles["due_today"].get("href") == "/inbox?due=today"
    assert tiles["due_next_workday"].get("href") == "/inbox?due=next_workday"
    assert tiles["awaiting_triage"].get("href") == "/triage"
    assert tiles["awaiting_review"].get("href") == "/review"


def test_glance_moves_with_the_clock(oct_world, as_user, story, clock):
    """The same caller's glance a working day later, in the same process: a deadline passed in
    between is overdue now, and what was due next is due today."""
    from datetime import datetime

    story.receive("G1", "2026-10-28T09:00:00+08:00", unit="D2")  # due Mon Nov 2
    story.receive("G2", "2026-10-29T09:00:00+08:00", unit="D2")  # due Tue Nov 3

    def counts() -> dict:
        doc = page(as_user("boss"), "/dashboard")
        return {el.get("data-glance"): int(el.xpath('.//*[@class="n"]')[0].text) for el in doc.xpath("//*[@data-glance]")}

    clock.set(OCTOBER_AS_OF)  # Mon Nov 2, noon
    before = counts()
    clock.set(datetime.fromisoformat("2026-11-03T12:00:00+08:00"))
    after = counts()
    assert (before["overdue"], before["due_today"], before["due_next_workday"]) == (4, 1, 1)
    assert (after["overdue"], after["due_today"]) == (5, 1)  # G1 overdue since Nov 2 23:59:59; G2 due today


def test_glance_is_scoped(oct_world, as_user):
    doc = page(as_user("east_boss"), "/dashboard")
    counts = {el.get("data-glance"): int(el.xpath('.//*[@class="n"]')[0].text) for el in doc.xpath("//*[@data-glance]")}
    # the county R1 sees T9 T12 T13 overdue (not D3's T16), no triage (the city's), T11 T12 to review
    assert counts["overdue"] == 3 and counts["awaiting_triage"] == 0 and counts["awaiting_review"] == 2


def test_glance_of_the_top_office_beside_another_tree(oct_world, as_user):
    """The top office's glance counts its open tickets without a scope test only while its tree
    is the only one: a ticket of a second tree stays out of its counts."""
    def overdue() -> int:
        doc = page(as_user("boss"), "/dashboard")
        return int(doc.xpath('//*[@data-glance="overdue"]//*[@class="n"]')[0].text)

    assert overdue() == 4  # T9, T12, T13, T16
    other = add_unit("Z0", "另一主管单位", "office", None)
    db.session.commit()
    db.session.execute(sa.update(Ticket).where(Ticket.id == oct_world.ids["T16"]).values(unit_id=other.id))
    db.session.commit()
    assert overdue() == 3  # T16 now belongs to the other tree


def test_by_region_and_drilling_down(oct_world, as_user):
    browser = as_user("boss")
    doc = page(browser, "/dashboard?month=2026-10&group=region")
    rows = table_rows(doc)
    assert list(rows) == ["C0", "R1", "R2", "", "@office"]
    assert (rows["R1"]["received"], rows["R1"]["on_time_rate"]) == (12, 0.6)
    [drill] = doc.xpath('//tr[@data-unit="R1"]//a')
    assert drill.get("href") == "/dashboard?unit=R1&month=2026-10"
    doc = page(browser, drill.get("href"))
    assert list(table_rows(doc)) == ["R1", "D1", "D2", "", "@office"]
    assert doc.xpath('//a[@href="/dashboard?unit=C0&month=2026-10"]')  # back up one level


def test_sorting_keeps_undefined_rates_last(oct_world, as_user):
    browser = as_user("boss")
    # rates: R1 100%, D2 100%, D1 50%, D3 0%; C0, D9, R2 "—"; ties by unit code
    desc = page(browser, "/dashboard?month=2026-10&sort=on_time_rate&dir=desc")
    assert list(table_rows(desc))[:-2] == ["D2", "R1", "D1", "D3", "C0", "D9", "R2"]
    asc = page(browser, "/dashboard?month=2026-10&sort=on_time_rate")
    assert list(table_rows(asc))[:-2] == ["D3", "D1", "D2", "R1", "C0", "D9", "R2"]
    by_received = page(browser, "/dashboard?month=2026-10&sort=received&dir=desc")
    assert list(table_rows(by_received))[:2] == ["D1", "D2"]


def test_quarter_and_range(oct_world, as_user):
    browser = as_user("boss")
    doc = page(browser, "/dashboard?quarter=2026Q4")
    [table] = doc.xpath('//table[@id="closure-table"]')
    assert (table.get("data-from"), table.get("data-to")) == ("2026-10-01", "2026-12-31")
    # Q4 so far: October's 13 and T13b (Nov 1)
    assert table_rows(doc)[""]["received"] == 14
    doc = page(browser, "/dashboard?from=2026-10-12&to=2026-10-16")
    assert table_rows(doc)[""]["received"] == 5  # T1–T5


def test_the_monthly_chart_has_its_numbers_beside_it(oct_world, as_user):
    doc = page(as_user("boss"), "/dashboard")
    months = {tr.get("data-month"): {td.get("data-key"): json.loads(td.get("data-value")) for td in tr.xpath("./td")}
              for tr in doc.xpath('//table[@id="series-table"]//tr[@data-month]')}
    assert list(months)[0] == "2025-12" and list(months)[-1] == "2026-11" and len(months) == 12
    assert months["2026-10"] == {"received": 13, "closed": 8, "overdue_open": 3, "on_time_rate": 6 / 11}
    assert months["2026-09"]["on_time_rate"] == 0.0 and months["2026-11"]["on_time_rate"] is None
    assert len(doc.xpath('//*[local-name()="svg"]//*[local-name()="rect"][@class="bar"]')) == 12
    assert doc.xpath('//*[local-name()="polyline"][@class="rate-line"]')
    # one unit's chart
    doc = page(as_user("boss"), "/dashboard?unit=D2")
    rows = doc.xpath('//table[@id="series-table"]//tr[@data-month="2026-10"]/td[@data-key="received"]')
    assert json.loads(rows[0].get("data-value")) == 1


def test_bad_arguments_are_shown_and_defaults_used(oct_world, as_user):
    doc = page(as_user("boss"), "/dashboard?month=2026-13&unit=NOPE&sort=x")
    assert {p.get("data-error") for p in doc.xpath("//*[@data-error]")} == {"month", "unit", "sort"}
    [table] = doc.xpath('//table[@id="closure-table"]')
    assert table.get("data-from") == "2026-10-01"  # the last complete month


def test_only_supervisors_and_viewers(app, oct_world, as_user, client):
    r = as_user("edu_clerk").get("/dashboard")
    assert r.status_code == 302 and r.headers["Location"].endswith("/inbox")  # their landing page instead
    assert client.get("/dashboard").status_code in (302, 401)  # signed out


def test_names_are_escaped(app, world, as_user, ticket_lists):
    add_unit("X1", '<img src=x onerror="alert(1)">', "department", world.units["C0"])
    db.session.commit()
    html = as_user("boss").get("/dashboard").get_data(as_text=True)
    assert '<img src=x onerror="alert(1)">' not in html and "&lt;img src=x" in html


def test_an_empty_scope_renders(app, world, as_user, ticket_lists):
    doc = page(as_user("boss"), "/dashboard")
    total = table_rows(doc)[""]
    assert total == {k: v for k, v in Figures().to_json().items() if k in total}
    assert not doc.xpath('//*[local-name()="polyline"]')  # no rate to draw


def test_a_large_scope_opens_by_region_and_pages_its_unit_table(oct_world, as_user, client, world, monkeypatch):
    """A province's thousands of units: the page opens by region; asked for units, it pages them,
    every page under the same total."""
    monkeypatch.setattr(views, "ROWS_PER_PAGE", 3)  # the world's 7 units are "many" now
    browser = as_user("boss")
    opening = page(browser, "/dashboard?month=2026-10")
    assert list(table_rows(opening)) == ["C0", "R1", "R2", "", "@office"]
    assert opening.xpath('//select[@id="group"]/option[@selected]/@value') == ["region"]
    api = client.get("/api/v1/metrics/closure?from=2026-10-01&to=2026-10-31",
                     headers=world.headers("boss")).get_json()
    seen = []
    for number in (1, 2, 3):
        doc = page(browser, f"/dashboard?month=2026-10&group=unit&page={number}")
        rows = table_rows(doc)
        assert rows.pop("") == {key: api["total"][key] for key in rows[next(iter(rows))]}
        assert rows.pop("@office") == {key: api["office"][key] for key in rows[next(iter(rows))]}
        assert len(rows) == (3 if number < 3 else 1)
        seen += list(rows)
        [where] = doc.xpath('//nav[@class="pagination"]/span[@class="of"]/text()')
        assert where == f"第 {number} / 3 页"
    assert seen == [row["unit"]["code"] for row in api["rows"]]  # each unit once, in report order
    [next_page] = page(browser, "/dashboard?month=2026-10&group=unit").xpath('//nav[@class="pagination"]/a[@rel="next"]')
    assert parse_qs(urlsplit(next_page.get("href")).query) == {"month": ["2026-10"], "group": ["unit"], "page": ["2"]}
    past_the_end = page(browser, "/dashboard?month=2026-10&group=unit&page=9")
    assert list(table_rows(past_the_end)) == [seen[-1], "", "@office"]  # the last page
    bad = page(browser, "/dashboard?month=2026-10&group=unit&page=zero")
    assert bad.xpath('//*[@data-error="page"]') and len(table_rows(bad)) == 5


def test_the_unit_picker_offers_the_top_levels_and_the_unit_shown(oct_world, as_user, world):
    """Departments one level down, regions two: a province's thousands of departments are
    reached by drilling into their region, and the unit shown is always offered."""
    add_unit("R1S", "东城县城关街道", "region", world.units["R1"])
    db.session.commit()
    browser = as_user("boss")
    top = page(browser, "/dashboard?month=2026-10")
    offered = top.xpath('//select[@id="unit"]/option/@value')
    assert offered[0] == "" and set(offered[1:]) == {"C0", "R1", "R2", "D9", "R1S"}  # not D1, D2, D3
    deep = page(browser, "/dashboard?month=2026-10&unit=D1")
    assert deep.xpath('//select[@id="unit"]/option[@selected]/@value') == ["D1"]
    assert deep.xpath('//a[@href="/dashboard?unit=R1&month=2026-10"]')  # back up one level
    assert list(table_rows(deep)) == ["D1", "", "@office"]


def test_the_unit_picker_indents_by_depth_and_escapes_names(oct_world, as_user, world):
    add_unit("R1X", '东城县<script>alert("x")</script>&街道', "region", world.units["R1"])
    db.session.commit()
    browser = as_user("boss")
    raw = browser.get("/dashboard?month=2026-10").get_data(as_text=True)
    assert "<script>alert" not in raw
    doc = lxml.html.fromstring(raw)
    labels = {o.get("value"): o.text_content() for o in doc.xpath('//select[@id="unit"]/option')}
    assert labels["R1X"] == '　　东城县<script>alert("x")</script>&街道'  # two levels below the top
    assert labels["R1"] == "　" + world.units["R1"].name and labels["C0"] == world.units["C0"].name


def test_it_opens_on_the_last_complete_month(oct_world, as_user):
    doc = page(as_user("boss"), "/dashboard")  # Mon Nov 2: November has barely begun
    [table] = doc.xpath('//table[@id="closure-table"]')
    assert (table.get("data-from"), table.get("data-to")) == ("2026-10-01", "2026-10-31")
    assert doc.xpath('string(//h2[@id="table-title"])').startswith("2026年10月")


def test_one_form_says_which_period_it_means(oct_world, as_user):
    boss = as_user("boss")
    doc = page(boss, "/dashboard")
    assert len(doc.xpath('//section[contains(@class, "period-forms")]//form')) == 1
    assert len(doc.xpath('//form[@id="period-form"]//button[@type="submit"]')) == 1
    # the form sends every field; the chosen kind decides
    doc = page(boss, "/dashboard?period=quarter&month=2026-10&quarter=2026Q4&from=2026-10-05&to=2026-10-06")
    [table] = doc.xpath('//table[@id="closure-table"]')
    assert (table.get("data-from"), table.get("data-to")) == ("2026-10-01", "2026-12-31")
    assert doc.xpath('string(//h2[@id="table-title"])').startswith("2026年第四季度")
    doc = page(boss, "/dashboard?period=range&month=2026-10&quarter=2026Q4&from=2026-10-05&to=2026-10-06")
    [table] = doc.xpath('//table[@id="closure-table"]')
    assert (table.get("data-from"), table.get("data-to")) == ("2026-10-05", "2026-10-06")


def test_the_chart_has_a_legend_and_marks_a_rate_on_few_tickets(oct_world, as_user):
    doc = page(as_user("boss"), "/dashboard")
    legend = doc.xpath('string(//ul[@id="chart-legend"])')
    assert "收到留言数（左轴）" in legend and "按期办结率（右轴）" in legend and "不足 5 条" in legend
    october = doc.xpath('//table[@id="series-table"]//tr[@data-month="2026-10"]')[0]
    assert "few" not in october.get("class")  # 8 closed + 3 overdue
    # D2 alone: one ticket in October, whose rate means little
    doc = page(as_user("boss"), "/dashboard?unit=D2")
    october = doc.xpath('//table[@id="series-table"]//tr[@data-month="2026-10"]')[0]
    assert "few" in october.get("class") and october.xpath('.//abbr[@class="few-mark"]')
    assert doc.xpath('//*[local-name()="circle"][contains(@class, "few")]')
