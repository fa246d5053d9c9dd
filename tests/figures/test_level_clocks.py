"""Each level's clock in the figures (DESIGN.md: Figures, "Which clock a row uses"), counted by hand.

World (tests/factories.py): 示例市 office C0 → 东城县 R1 → 教育局 D1, 卫健局 D2; C0 → 西城区 R2 → D3;
C0 → 市交通局 D9. boss supervises C0, east_boss R1. Unit clock N = 3 working days, platform N = 5.

The 2026 calendar around National Day (chinese_calendar): Fri 25 Sep is the Mid-Autumn holiday,
Sat 26 / Sun 27 Sep are off; 1–7 Oct off; Thu 8, Fri 9 and the make-up Saturday 10 Oct are
working days; Sun 11 off; Mon 12 works.

T1 (hand-counted throughout):
- received Mon 21 Sep 09:00, unroutable → the city's triage;
- the city assigns it to 东城县 Tue 22 Sep 10:00: the county's clock, 3 working days after Tue 22:
  Wed 23, Thu 24, Mon 28 → due Mon 28 Sep 23:59:59;
- the county forwards it to 教育局 Wed 30 Sep 15:00: the department's clock, 3 working days after
  Wed 30: Thu 8, Fri 9, Sat 10 Oct → due Sat 10 Oct 23:59:59;
- 教育局 replies Fri 9 Oct 10:00: on time for itself, late for the county (after 28 Sep);
- the city approves Mon 12 Oct 09:00. Platform clock: 5 working days after Mon 21 Sep: Tue 22,
  Wed 23, Thu 24, Mon 28, Tue 29 → due Tue 29 Sep 23:59:59, closed 12 Oct: late.
"""
from __future__ import annotations

from datetime import date, datetime
from urllib.parse import urlencode

import pytest

from feedback.accounts.scope import Actor
from feedback.errors import Conflict
from feedback.figures.closure import closure
from feedback.timeutil import iso
from tests.tickets.test_lifecycle import act, new_ticket

UNROUTED = "http://nobody.example.org/a"
SEPTEMBER = (date(2026, 9, 1), date(2026, 9, 30))
AS_OF = "2026-10-31T12:00:00+08:00"


def forwarded_late_for_the_county(world, clock, pid="T1"):
    clock.set("2026-09-21T09:00:00+08:00")
    t = new_ticket(clock, pid=pid, url=UNROUTED)
    clock.set("2026-09-22T10:00:00+08:00")
    act(world, "boss", t, "assign", clock, unit="R1")
    clock.set("2026-09-30T15:00:00+08:00")
    act(world, "east_boss", t, "reassign", clock, unit="D1")
    return t


def closed_t1(world, clock):
    t = forwarded_late_for_the_county(world, clock)
    clock.set("2026-10-09T10:00:00+08:00")
    act(world, "edu_clerk", t, "reply", clock, text="已更正")
    clock.set("2026-10-12T09:00:00+08:00")
    act(world, "boss", t, "approve", clock)
    return t


def metrics(client, world, who="boss", **query):
    query = {"from": SEPTEMBER[0].isoformat(), "to": SEPTEMBER[1].isoformat(), "as_of": AS_OF, **query}
    r = client.get("/api/v1/metrics/closure?" + urlencode(query), headers=world.headers(who))
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def rows(body):
    return {row["unit"]["code"]: row for row in body["rows"]}


def part(figures, *names):
    return tuple(figures[n] for n in names)


COUNTS = ("received", "closed", "on_time", "late", "overdue_open", "pending", "on_time_rate")


def test_county_late_department_on_time_office_on_the_platform_clock(world, clock, client):
    closed_t1(world, clock)
    by_unit = metrics(client, world)
    # 教育局's own row: its clock (due 10 Oct), replied 9 Oct → on time.
    # Handling: Wed 30 Sep 15:00 → Fri 9 Oct 10:00 = 8 days 19 h = 211 h; working days after
    # Wed 30 up to Fri 9: Thu 8, Fri 9 = 2.
    d1 = rows(by_unit)["D1"]
    assert part(d1, *COUNTS) == (1, 1, 1, 0, 0, 0, 1.0)
    assert (d1["avg_handling_hours"], d1["avg_handling_workdays"]) == (211.0, 2.0)
    assert part(by_unit["total"], *COUNTS) == (1, 1, 1, 0, 0, 0, 1.0)  # the units' lines
    # The county's row with its subtree: the city's hand-off (due 28 Sep) → late.
    # Handling: Tue 22 Sep 10:00 → Fri 9 Oct 10:00 = 17 days = 408 h; working days after Tue 22
    # up to Fri 9: Wed 23, Thu 24, Mon 28, Tue 29, Wed 30, Thu 8, Fri 9 = 7.
    by_region = metrics(client, world, group="region")
    r1 = rows(by_region)["R1"]
    assert part(r1, *COUNTS) == (1, 1, 0, 1, 0, 0, 0.0)
    assert (r1["avg_handling_hours"], r1["median_handling_hours"], r1["avg_handling_workdays"]) == (408.0, 408.0, 7.0)
    assert part(by_region["total"], *COUNTS) == (1, 1, 0, 1, 0, 0, 0.0)  # the region rows' sum
    # The city office's own figure: the platform clock (due 29 Sep, closed 12 Oct) → late.
    # Handling: Mon 21 Sep 09:00 → Mon 12 Oct 09:00 = 21 days = 504 h; working days after Mon 21
    # up to Mon 12: 22, 23, 24, 28, 29, 30 Sep, 8, 9, 10, 12 Oct = 10.
    for body in (by_unit, by_region):
        office = body["office"]
        assert part(office, *COUNTS) == (1, 1, 0, 1, 0, 0, 0.0)
        assert (office["avg_handling_hours"], office["avg_handling_workdays"]) == (504.0, 10.0)
        assert body["unassigned"] == 0
    # The county's report: its own figure on the city's hand-off into it (late, 408 h)
    county = metrics(client, world, unit="R1")
    assert part(county["office"], *COUNTS) == (1, 1, 0, 1, 0, 0, 0.0)
    assert county["office"]["avg_handling_hours"] == 408.0
    assert part(rows(county)["D1"], *COUNTS) == (1, 1, 1, 0, 0, 0, 1.0)
    assert county["unassigned"] == 0


def test_a_past_as_of_on_each_level(world, clock, client):
    forwarded_late_for_the_county(world, clock)
    # As of Tue 29 Sep 12:00 the ticket sat with the county (forwarded to 教育局 only on 30 Sep):
    # the county's clock (due 28 Sep) had run out → overdue; the platform clock (due 29 Sep
    # 23:59:59) had not. 教育局's own row counts it as pending: its clock had not started then
    # (the responsible unit is read as the current one, closure.py).
    body = metrics(client, world, group="region", as_of="2026-09-29T12:00:00+08:00")
    assert part(rows(body)["R1"], *COUNTS) == (1, 0, 0, 0, 1, 0, 0.0)
    assert part(body["office"], *COUNTS) == (1, 0, 0, 0, 0, 1, None)
    body = metrics(client, world, as_of="2026-09-29T12:00:00+08:00")
    assert part(rows(body)["D1"], *COUNTS) == (1, 0, 0, 0, 0, 1, None)


def test_extension_by_the_county_moves_its_department_clock_only(world, clock, client):
    clock.set("2026-09-21T09:00:00+08:00")
    t = new_ticket(clock, pid="T2", url=UNROUTED)
    clock.set("2026-09-22T10:00:00+08:00")
    act(world, "boss", t, "assign", clock, unit="R1")  # county: due Mon 28 Sep (as T1)
    clock.set("2026-09-23T09:00:00+08:00")
    # 卫健局's clock, owed to the county: 3 working days after Wed 23: Thu 24, Mon 28, Tue 29
    act(world, "east_boss", t, "reassign", clock, unit="D2")
    assert iso(t.unit_due_at) == "2026-09-29T23:59:59+08:00"
    act(world, "health_clerk", t, "request-extension", clock, days=2, reason="需协调")
    clock.set("2026-09-24T09:00:00+08:00")
    act(world, "east_boss", t, "decide-extension", clock, approve=True)
    # the county approves: the clock owed to the county moves, 5 working days after Wed 23: Thu
    # 24, Mon 28, Tue 29, Wed 30, Thu 8 Oct; the county's own clock (owed to the city) stays 28 Sep
    assert iso(t.unit_due_at) == "2026-10-08T23:59:59+08:00"
    as_of_30 = "2026-09-30T12:00:00+08:00"
    assert part(rows(metrics(client, world, as_of=as_of_30))["D2"], *COUNTS) == (1, 0, 0, 0, 0, 1, None)
    assert part(rows(metrics(client, world, as_of=as_of_30, group="region"))["R1"], *COUNTS) == \
        (1, 0, 0, 0, 1, 0, 0.0)
    act(world, "health_clerk", t, "request-extension", clock, days=1, reason="仍需协调")
    clock.set("2026-09-28T09:00:00+08:00")
    act(world, "boss", t, "decide-extension", clock, approve=True)
    # the city approves: every clock owed to the city or below moves by 1 working day — the
    # county's: 4 after Tue 22: Wed 23, Thu 24, Mon 28, Tue 29 → 29 Sep; 卫健局's: 6 after Wed 23:
    # … Thu 8, Fri 9 → 9 Oct
    assert iso(t.unit_due_at) == "2026-10-09T23:59:59+08:00"
    # as of Tue 29 Sep 12:00 both are pending; as of Fri 9 Oct 12:00 the county is overdue
    # (29 Sep passed) and 卫健局 still pending (due 9 Oct 23:59:59)
    for as_of, county, department in (("2026-09-29T12:00:00+08:00", (1, 0, 0, 0, 0, 1, None), (1, 0, 0, 0, 0, 1, None)),
                                      ("2026-10-09T12:00:00+08:00", (1, 0, 0, 0, 1, 0, 0.0), (1, 0, 0, 0, 0, 1, None))):
        assert part(rows(metrics(client, world, as_of=as_of, group="region"))["R1"], *COUNTS) == county, as_of
        assert part(rows(metrics(client, world, as_of=as_of))["D2"], *COUNTS) == department, as_of
    # as of 29 Sep 00:00:01 the city's extension (approved 28 Sep) is in force: the county's
    # deadline is 29 Sep, not the 28th, so pending
    body = metrics(client, world, as_of="2026-09-29T00:00:01+08:00", group="region")
    assert part(rows(body)["R1"], *COUNTS) == (1, 0, 0, 0, 0, 1, None)


def test_a_region_row_keeps_the_deadline_in_force_before_a_later_extension(world, clock, client):
    clock.set("2026-09-21T09:00:00+08:00")
    t = new_ticket(clock, pid="T3", url=UNROUTED)
    clock.set("2026-09-22T10:00:00+08:00")
    act(world, "boss", t, "assign", clock, unit="R1")  # the county's clock: due Mon 28 Sep (as T1)
    clock.set("2026-09-23T09:00:00+08:00")
    act(world, "east_boss", t, "reassign", clock, unit="D2")  # 卫健局's: due Tue 29 Sep
    act(world, "health_clerk", t, "request-extension", clock, days=2, reason="需协调")
    after, before = "2026-09-29T12:00:00+08:00", "2026-09-29T08:00:00+08:00"
    overdue, pending = (1, 0, 0, 0, 1, 0, 0.0), (1, 0, 0, 0, 0, 1, None)
    clock.set("2026-09-29T08:30:00+08:00")
    # the county's deadline (28 Sep 23:59:59) has passed and nothing was decided after T yet
    assert part(rows(metrics(client, world, as_of=before, group="region"))["R1"], *COUNTS) == overdue
    assert region_row(world, before, "R1") == overdue
    clock.set("2026-09-29T09:00:00+08:00")
    act(world, "boss", t, "decide-extension", clock, approve=True)
    # the city approves after the county's deadline ran out: the county's clock moves 2 working
    # days, Tue 29 and Wed 30 → 30 Sep; 卫健局's, Wed 30 and Thu 8 → 8 Oct
    assert iso(t.unit_due_at) == "2026-10-08T23:59:59+08:00"
    # before it the 28 Sep deadline was in force and had passed: overdue still, though the same T
    # was asked when no decision followed it (its statements then leave the old deadlines out).
    # After the decision the county is within its new deadline. 卫健局 (due 29 Sep 23:59:59 until
    # then) is pending both times.
    for as_of, county in ((before, overdue), (after, pending)):
        assert part(rows(metrics(client, world, as_of=as_of, group="region"))["R1"], *COUNTS) == county, as_of
        assert part(rows(metrics(client, world, as_of=as_of))["D2"], *COUNTS) == (1, 0, 0, 0, 0, 1, None), as_of
        assert region_row(world, as_of, "R1") == county, as_of


def region_row(world, as_of: str, code: str) -> tuple:
    """A region row's counts the dashboard's way: the settled counts and the tickets open at T."""
    report = closure(Actor.of(world.users["boss"]), *SEPTEMBER, datetime.fromisoformat(as_of), group="region",
                     percentiles=False, platform=False, via="settled")
    figures = {r.unit.code: r.figures for r in report.rows}[code]
    return tuple(getattr(figures, name) for name in COUNTS)


def test_the_county_cannot_extend_a_clock_the_city_set(world, clock):
    clock.set("2026-09-21T09:00:00+08:00")
    t = new_ticket(clock, pid="T3")  # routed by the city straight to 教育局 (the clock is the city's)
    act(world, "edu_clerk", t, "request-extension", clock, days=2, reason="需协调")
    clock.set("2026-09-22T09:00:00+08:00")
    with pytest.raises(Conflict):  # no clock owed to the county would move: a no-op approval is refused
        act(world, "east_boss", t, "decide-extension", clock, approve=True)


def triage_and_returned(world, clock):
    """T1 (closed late on the platform clock), T4 unroutable and left in the city's triage, T5
    routed to 教育局 and returned by it: back in the city's triage. Both received Mon 21 Sep
    09:00, platform due Tue 29 Sep 23:59:59."""
    closed_t1(world, clock)
    clock.set("2026-09-21T09:00:00+08:00")
    new_ticket(clock, pid="T4", url=UNROUTED)
    t5 = new_ticket(clock, pid="T5")
    clock.set("2026-09-21T11:00:00+08:00")
    act(world, "edu_clerk", t5, "return", clock, reason="非本单位网站")
    assert t5.unit_id is None and t5.state == "new"


def test_office_counts_triage_and_returned_tickets_the_table_does_not(world, clock, client):
    triage_and_returned(world, clock)
    # as of 31 Oct: T1 closed late; T4 and T5 open past 29 Sep → overdue on the platform clock.
    # office: received 3, closed 1, on time 0, late 1, overdue 2, pending 0, rate 0 / (1 + 2) = 0.
    # The table holds T1 alone (the others have no unit): its total counts 1.
    for group in ("unit", "region"):
        body = metrics(client, world, group=group)
        assert part(body["office"], *COUNTS) == (3, 1, 0, 1, 2, 0, 0.0), group
        assert body["unassigned"] == 2, group
        assert body["total"]["received"] == 1, group
    r = client.get("/api/v1/assessment?" + urlencode({"from": "2026-09-01", "to": "2026-09-30", "as_of": AS_OF}),
                   headers=world.headers("boss"))
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert part(body["office"], *COUNTS) == (3, 1, 0, 1, 2, 0, 0.0)
    assert (body["unassigned"], body["total"]["received"]) == (2, 1)
    assert "留言3条" in body["notice_paragraph"]  # the headline counts the office's own figure


def test_a_county_triage_is_the_county_unassigned(world, clock, client):
    # T6: the city gives it to the county Tue 22 Sep 10:00 (county due 28 Sep), the county to
    # 卫健局, which returns it Wed 23 Sep: back in the county's triage, the county's clock running.
    clock.set("2026-09-21T09:00:00+08:00")
    t = new_ticket(clock, pid="T6", url=UNROUTED)
    clock.set("2026-09-22T10:00:00+08:00")
    act(world, "boss", t, "assign", clock, unit="R1")
    act(world, "east_boss", t, "reassign", clock, unit="D2")
    clock.set("2026-09-23T10:00:00+08:00")
    act(world, "health_clerk", t, "return", clock, reason="非本单位网站")
    assert t.unit.code == "R1" and t.state == "new"
    county = metrics(client, world, unit="R1")
    # as of 31 Oct the county's clock (due 28 Sep) has run out: overdue, in its office figure,
    # and in its own (本级) row; 未分派 at the county: 1. The city: it has a unit, so not 未分派.
    assert county["unassigned"] == 1
    assert part(county["office"], *COUNTS) == (1, 0, 0, 0, 1, 0, 0.0)
    assert part(rows(county)["R1"], *COUNTS) == (1, 0, 0, 0, 1, 0, 0.0)
    assert metrics(client, world)["unassigned"] == 0


def test_closure_and_exports_agree_on_the_office(world, clock, app, tmp_path):
    from openpyxl import load_workbook

    triage_and_returned(world, clock)
    report = closure(Actor.of(world.users["boss"]), *SEPTEMBER, datetime.fromisoformat(AS_OF))
    assert (report.office.received, report.unassigned, report.total.received) == (3, 2, 1)
    out = tmp_path / "closure.xlsx"
    result = app.test_cli_runner().invoke(args=["export", "closure", "--month", "2026-09", "--as-of", AS_OF,
                                                "--format", "xlsx", "-o", str(out)])
    assert result.exit_code == 0, result.output
    sheet = [[c.value for c in row] for row in load_workbook(out)["按期办结率"].iter_rows()]
    totals = [row for row in sheet if row[0] == "合计"]
    # the units' sum line (T1 only), then the office's own on the platform clock (3, 未分派 2)
    assert [row[4:10] for row in totals] == [[1, 1, 1, 0, 0, 0], [3, 1, 0, 1, 2, 0]]
    assert "各单位" in totals[0][2] and "未分派2条" in totals[1][2]
    # 东城县's 小计 is its own figure on the city's hand-off (T1 late), not its lines' sum (教育局 on
    # time): the sheet says so under the table
    r1 = next(row for row in sheet if row[0] == "小计" and row[1] == "R1")
    assert r1[4:10] == [1, 1, 0, 1, 0, 0]
    notes = [row[2] for row in sheet if row[0] == "注"]
    assert notes == ["东城县小计按转入东城县的转办时限计算，与上列各单位按本单位时限之和不同："
                     "按期办结0条（各单位之和1条）、超期办结1条（各单位之和0条）。"]


def test_the_notice_draft_names_both_totals(world, clock, app, tmp_path):
    from docx import Document

    triage_and_returned(world, clock)
    out = tmp_path / "notice.docx"
    result = app.test_cli_runner().invoke(args=["export", "assessment", "--from", "2026-09-01", "--to", "2026-09-30",
                                                "--as-of", AS_OF, "--format", "docx", "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = [p.text for p in Document(str(out)).paragraphs]
    # the units' sum: T1 on 教育局's clock (on time); the office's: T1 late, T4 and T5 overdue
    assert "合计　各单位之和（按各单位本级时限，不含未分派）：收到留言1条，办结1条，按期办结1条，超期办结0条，" \
           "超期未办结0条，按期办结率100%。" in text
    assert "合计　示例市人民政府办公室本级（平台时限，含未分派2条）：收到留言3条，办结1条，按期办结0条，超期办结1条，" \
           "超期未办结2条，按期办结率0%（即上文数字）。" in text


def test_a_reply_awaiting_review_in_time_keeps_the_region_pending_after_a_move(world, clock, client):
    # T7: the city → the county Tue 22 Sep 10:00 (county due Mon 28 Sep); the county → 教育局 at
    # 11:00; 教育局 replies Mon 28 Sep 15:00 (in time); the city rejects it Wed 30 Sep 09:00 and
    # the county moves it to 卫健局 at 10:00.
    clock.set("2026-09-21T09:00:00+08:00")
    t = new_ticket(clock, pid="T7", url=UNROUTED)
    clock.set("2026-09-22T10:00:00+08:00")
    act(world, "boss", t, "assign", clock, unit="R1")
    clock.set("2026-09-22T11:00:00+08:00")
    act(world, "east_boss", t, "reassign", clock, unit="D1")
    clock.set("2026-09-28T15:00:00+08:00")
    act(world, "edu_clerk", t, "reply", clock, text="已更正")
    clock.set("2026-09-30T09:00:00+08:00")
    act(world, "boss", t, "reject", clock, reason="未说明整改结果")
    clock.set("2026-09-30T10:00:00+08:00")
    act(world, "east_boss", t, "reassign", clock, unit="D2")
    # as of Tue 29 Sep 12:00 the county's deadline had passed but 教育局's reply, in by it, was
    # awaiting review: pending on the county's clock. As of 31 Oct the reply was rejected and no
    # other came: overdue.
    body = metrics(client, world, group="region", as_of="2026-09-29T12:00:00+08:00")
    assert part(rows(body)["R1"], *COUNTS) == (1, 0, 0, 0, 0, 1, None)
    body = metrics(client, world, group="region")
    assert part(rows(body)["R1"], *COUNTS) == (1, 0, 0, 0, 1, 0, 0.0)
