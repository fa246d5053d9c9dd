"""Every figures path against the reference model (feedback/figures/reference.py), to the last digit.

Random histories (tests/figures/histories.py) are told through the real write paths; each path
then answers through its outside interface and must agree with the reference computed from the
tickets' events, at random instants (around every deadline and event, ± 1 s, past ones too):

- GET /api/v1/metrics/closure: group=unit and group=region, the scope root and unit=CODE, and
  closure() with each row's platform clock beside the unit's;
- GET /api/v1/assessment/YYYYQn?as_of=T (the quarter cut at as_of's date when not over) and
  GET /api/v1/assessment?from=D&to=D&as_of=T, asked by the city and by the county R1;
- the dashboard's table (closure() as the dashboard view calls it: neither percentiles nor the
  platform clock; whole months from the settled counts, a region's forwarded tickets one by one
  and the top office's own figure from settled_day_counts) and its 12-month series;
- `feedback export closure --format csv|xlsx` and `feedback export assessment --format json`;
- GET /api/v1/tickets?overdue=true and the sweep's escalations: exactly the reference's
  overdue-open set at now;
- GET /public/C0.json: each of the last 12 complete months' received, closed and rate, the top
  office's own figure on the platform clock as of now;
- settled_month_counts (the rollup the triggers keep) against the reference's counts, and
  settled_day_counts against its recount.

The metrics test asks several instants in a row over the same data, so a figure computed for one
instant can never stand in for another's. Every field must agree exactly, the percentiles too:
both databases rank them in integers (cohort.percentile_scaled and its SQL twin), so a median or
P90 exactly on a half hundredth rounds up as the reference's does
(test_a_median_exactly_on_a_half_cent_rounds_up pins one).

CI runs a bounded number of examples per test (EXAMPLES). A larger run:

    .venv/bin/python -m pytest -p no:cacheprovider -m slow tests/figures/test_differential.py

(each property again with SLOW_EXAMPLES examples, FIGURES_SLOW_EXAMPLES=N to change it; without
`-m slow` those copies skip. FIGURES_NO_SHRINK=1 reports a failing example as found: shrinking
one through the database takes minutes.) Both run on SQLite by default and on
PostgreSQL with DATABASE_URL set (tests/conftest.py).
"""
from __future__ import annotations

import csv
import itertools
import json
import math
import os
from datetime import date, datetime, timedelta
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from feedback.accounts.scope import Actor
from feedback.directory.models import Unit
from feedback.extensions import db
from feedback.figures import reference as ref
from feedback.figures.closure import add_months, closure
from feedback.figures.models import SettledMonthCount
from feedback.figures.series import monthly_series
from feedback.notices.models import Notification
from feedback.settings import service as app_settings
from feedback.jobs.sweep import run_sweep
from feedback.tickets.handoffs import HandOff
from feedback.tickets.models import Ticket
from feedback.timeutil import LOCAL, local_date, start_of_local_day
from tests.figures.test_series import day_recounted, day_table
from tests.figures.histories import (EPOCHS, Plan, Step, Teller, World, add_clerks, as_of_candidates, plans,
                                     read_histories, reset, unit_infos)

EXAMPLES = 12
# FIGURES_NO_SHRINK=1: report the first failing example as found (shrinking one takes minutes)
PHASES = [p for p in Phase if not (os.environ.get("FIGURES_NO_SHRINK") and p == Phase.shrink)]
SLOW_EXAMPLES = int(os.environ.get("FIGURES_SLOW_EXAMPLES", "300"))
COMMON = dict(deadline=None, print_blob=True, phases=PHASES,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                     HealthCheck.data_too_large])
fast = settings(max_examples=EXAMPLES, **COMMON)
slow = settings(max_examples=SLOW_EXAMPLES, **COMMON)


@pytest.fixture
def slow_only(request):
    """The slow copies run only when asked for with -m slow."""
    if "slow" not in (request.config.option.markexpr or "") or "not slow" in request.config.option.markexpr:
        pytest.skip("the large run: pytest -m slow")


@pytest.fixture
def lab(world, clock):
    add_clerks(world)
    return Lab(world, clock)


class Lab:
    """One example: a fresh history, told, read back, and the reference at hand."""

    def __init__(self, world, clock):
        self.world, self.clock = world, clock

    def tell(self, plan) -> None:
        reset()
        self.plan = plan
        self.end = Teller(self.world, self.clock).tell(plan)
        self.histories = read_histories()
        self.units = unit_infos()
        self.candidates = as_of_candidates(self.end)
        self.clock.set(self.end)  # the present: after everything written

    def reference(self, root: str, date_from: date, date_to: date, as_of: datetime, group: str = "unit"):
        return ref.figures(self.histories, self.units, root, date_from, date_to, as_of, group=group)

    def boss(self) -> Actor:
        return Actor.of(self.world.users["boss"])


def draw_period(data, plan) -> tuple[date, date]:
    start = plan.epoch + timedelta(days=data.draw(st.integers(-3, 12), label="from"))
    return start, start + timedelta(days=data.draw(st.integers(0, 30), label="days"))


def holiday_month(plan) -> date:
    """The month holding the epoch's holiday stretch (Feb 2026 / Oct 2026)."""
    return date(2026, 2, 1) if plan.epoch.month == 2 else date(2026, 10, 1)


def month_end(first: date) -> date:
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def same(got: dict, want: dict, where: str, fields=ref.FIELDS) -> None:
    diff = {k: (got.get(k), want[k]) for k in fields if got.get(k) != want[k]}
    assert not diff, f"{where}: (product, reference) {diff}"


def same_report(body: dict, want: ref.Report, where: str, *, platform: bool = True) -> None:
    rows = {row["unit"]["code"]: row for row in body["rows"]}
    assert set(rows) == set(want.rows), where
    for code, figures in want.rows.items():
        same(rows[code], figures, f"{where} row {code}")
        if platform:
            same(rows[code]["platform"], figures["platform"], f"{where} row {code} platform clock")
    same(body["total"], want.total, f"{where} total")
    if platform:
        same(body["total"]["platform"], want.total["platform"], f"{where} total platform clock")


def same_office(lab, body: dict, date_from: date, date_to: date, as_of: datetime, where: str,
                root: str = "C0") -> None:
    """The root's own figure (CONTRACT.md: "office"): the top office's on the platform clock over
    every valid ticket in scope, 未分派 included; a county's on the clock of the hand-off into it."""
    assert "office" in body, where
    same(body["office"], ref.office(lab.histories, lab.units, root, date_from, date_to, as_of), f"{where} office")


def iso(t: datetime) -> str:
    return t.astimezone(LOCAL).isoformat()


# --- the API --------------------------------------------------------------------------------

def metrics_api(lab, client, data):
    lab.tell(data.draw(plans(), label="plan"))
    # several instants in a row over the same data: a figure asked before must not stand in
    # for another instant's (issue 14: time moves a past figure)
    instants = data.draw(st.lists(st.sampled_from(lab.candidates), min_size=1, max_size=3), label="as_of")
    date_from, date_to = draw_period(data, lab.plan)
    for as_of, (unit, root), group in itertools.product(instants, ((None, "C0"), ("R1", "R1")), ("unit", "region")):
        query = {"from": date_from.isoformat(), "to": date_to.isoformat(), "as_of": iso(as_of), "group": group}
        if unit:
            query["unit"] = unit
        r = client.get("/api/v1/metrics/closure?" + urlencode(query), headers=lab.world.headers("boss"))
        assert r.status_code == 200, r.get_json()
        body = r.get_json()
        want = lab.reference(root, date_from, date_to, as_of, group)
        same_report(body, want, f"metrics {query}", platform=False)
        assert body["unassigned"] == want.unassigned, query
        same_office(lab, body, date_from, date_to, as_of, f"metrics {query}", root)
        # each row's platform clock, which closure() gives when asked (the API shows the office's)
        report = closure(lab.boss(), date_from, date_to, as_of, unit_code=unit, group=group)
        same_report(report.to_json(), want, f"closure() {query}")



@fast
@given(data=st.data())
def test_metrics_api_agrees_with_the_reference(lab, client, data):
    metrics_api(lab, client, data)


@pytest.mark.slow
@slow
@given(data=st.data())
def test_metrics_api_agrees_with_the_reference_slow(slow_only, lab, client, data):
    metrics_api(lab, client, data)


def assessment_api(lab, client, data):
    """A quarter (cut at as_of's date when not over) or any window (never cut), asked by the
    city's supervisor or the county's (R1: its rows, and its office on the hand-off's clock)."""
    lab.tell(data.draw(plans(), label="plan"))
    as_of = data.draw(st.sampled_from(lab.candidates), label="as_of")
    user, root = data.draw(st.sampled_from([("boss", "C0"), ("east_boss", "R1")]), label="caller")
    day = local_date(as_of)
    if data.draw(st.booleans(), label="window"):
        start, date_to = draw_period(data, lab.plan)
        path, quarter = "/api/v1/assessment", None
        query = {"from": start.isoformat(), "to": date_to.isoformat(), "as_of": iso(as_of)}
    else:
        this_quarter = (day.year, (day.month - 1) // 3 + 1)
        year, q = data.draw(st.sampled_from([this_quarter, (day.year, this_quarter[1] - 1) if this_quarter[1] > 1
                                             else (day.year - 1, 4)]), label="quarter")
        start = date(year, 3 * q - 2, 1)
        date_to = min(month_end(date(year, 3 * q, 1)), day)
        path, quarter = f"/api/v1/assessment/{year}Q{q}", f"{year}Q{q}"
        query = {"as_of": iso(as_of)}
    r = client.get(f"{path}?" + urlencode(query), headers=lab.world.headers(user))
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert (body["quarter"], body["from"], body["to"]) == (quarter, start.isoformat(), date_to.isoformat())
    where = f"assessment {path} {query} by {user}"
    same_report(body, lab.reference(root, start, date_to, as_of), where, platform=False)
    same_office(lab, body, start, date_to, as_of, where, root)



@fast
@given(data=st.data())
def test_assessment_api_agrees_with_the_reference(lab, client, data):
    assessment_api(lab, client, data)


@pytest.mark.slow
@slow
@given(data=st.data())
def test_assessment_api_agrees_with_the_reference_slow(slow_only, lab, client, data):
    assessment_api(lab, client, data)


# --- the dashboard: its table and its 12-month series ---------------------------------------

TABLE_FIELDS = ("received", "closed", "on_time", "late", "overdue_open", "pending", "on_time_rate",
                "avg_handling_hours", "avg_handling_workdays")
SERIES_FIELDS = ("received", "closed", "on_time", "late", "overdue_open", "pending", "on_time_rate")


def dashboard_table(actor, date_from, date_to, as_of, group):
    """The dashboard's table, as feedback/figures/views.py's dashboard() computes it."""
    return closure(actor, date_from, date_to, as_of, group=group, percentiles=False, platform=False)


def dashboard(lab, data):
    lab.tell(data.draw(plans(), label="plan"))
    as_of = data.draw(st.sampled_from(lab.candidates), label="as_of")
    first = holiday_month(lab.plan)
    # a whole month (read from the settled counts) and the month with the days around it
    for date_from, date_to in ((first, month_end(first)), draw_period(data, lab.plan)):
        for group in ("unit", "region"):
            report = dashboard_table(lab.boss(), date_from, date_to, as_of, group)
            want = lab.reference("C0", date_from, date_to, as_of, group)
            where = f"dashboard {date_from}..{date_to} {group} as of {iso(as_of)}"
            rows = {row.unit.code: row.figures.to_json() for row in report.rows}
            assert set(rows) == set(want.rows), where
            for code, figures in want.rows.items():
                same(rows[code], figures, f"{where} row {code}", TABLE_FIELDS)
            same(report.total.to_json(), want.total, f"{where} total", TABLE_FIELDS)
            same(report.office.to_json(), ref.office(lab.histories, lab.units, "C0", date_from, date_to, as_of),
                 f"{where} office", TABLE_FIELDS)
            assert report.unassigned == want.unassigned, where
    points = monthly_series(lab.boss(), as_of)
    assert len(points) == 12
    for point in points:
        want = lab.reference("C0", point.date_from, point.date_to, as_of).total
        same(point.figures.to_json(), want, f"series {point.month} as of {iso(as_of)}", SERIES_FIELDS)



@fast
@given(data=st.data())
def test_dashboard_agrees_with_the_reference(lab, data):
    dashboard(lab, data)


@pytest.mark.slow
@slow
@given(data=st.data())
def test_dashboard_agrees_with_the_reference_slow(slow_only, lab, data):
    dashboard(lab, data)


# --- the exports, through the command line ---------------------------------------------------

def percent_text(rate: float | None) -> str:
    """按期办结率 as the sheet prints it: tenths of a percent, half up, never 100% below 100%."""
    if rate is None:
        return ""
    from fractions import Fraction
    import math

    tenths = math.floor(Fraction(rate) * 1000 + Fraction(1, 2))
    tenths = 999 if tenths >= 1000 and rate < 1 else tenths
    whole, frac = divmod(tenths, 10)
    return f"{whole}%" if frac == 0 else f"{whole}.{frac}%"


def one_decimal(value: float | None) -> str:
    if value is None:
        return ""
    from decimal import ROUND_HALF_UP, Decimal

    return str(Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


SHEET_FIELDS = ("received", "closed", "on_time", "late", "overdue_open", "pending")


def sheet_lines(rows: list[list]) -> dict:
    """(kind, code) → the 9 figures of a line of sheet 1 (序号 tells a unit line from 小计/合计;
    the 合计 naming the root is the office's own, the other the units' sum; 注 lines are notes)."""
    out = {}
    for row in rows[1:]:
        number, code = row[0], row[1]
        if number == "注":
            continue
        kind = "unit" if isinstance(number, int) or (isinstance(number, str) and number.isdigit()) else (
            "subtotal" if number == "小计" else "office" if code else "total")
        out[(kind, code or "")] = row[4:13]
    return out


def expected_line(figures: dict, text: bool) -> list:
    counts = [figures[k] for k in SHEET_FIELDS]
    rate, hours, days = figures["on_time_rate"], figures["avg_handling_hours"], figures["avg_handling_workdays"]
    if text:
        return [str(c) for c in counts] + [percent_text(rate), one_decimal(hours), one_decimal(days)]
    return counts + [rate, hours, days]


def exports(app, lab, data, tmp_path):
    lab.tell(data.draw(plans(), label="plan"))
    as_of = data.draw(st.sampled_from(lab.candidates), label="as_of")
    first = holiday_month(lab.plan)
    month = first.strftime("%Y-%m")
    units = lab.reference("C0", first, month_end(first), as_of, "unit")
    regions = lab.reference("C0", first, month_end(first), as_of, "region")
    want = {("unit", code): f for code, f in units.rows.items()}
    want.update({("subtotal", code): f for code, f in regions.rows.items()})
    want[("total", "")] = units.total
    want[("office", "C0")] = ref.office(lab.histories, lab.units, "C0", first, month_end(first), as_of)
    runner = app.test_cli_runner()
    for fmt in ("csv", "xlsx"):
        out = tmp_path / f"closure.{fmt}"
        result = runner.invoke(args=["export", "closure", "--month", month, "--as-of", iso(as_of), "--format", fmt,
                                     "-o", str(out)])
        assert result.exit_code == 0, result.output
        if fmt == "csv":
            with open(out, encoding="utf-8-sig", newline="") as fh:
                rows = list(csv.reader(fh))
        else:
            rows = [[c.value for c in row] for row in load_workbook(out)["按期办结率"].iter_rows()]
        got = sheet_lines(rows)
        assert set(got) == set(want), (fmt, sorted(got), sorted(want))
        for key, figures in want.items():
            line, expected = list(got[key]), expected_line(figures, fmt == "csv")
            if fmt == "xlsx":  # the file keeps 16 significant digits of a float (Excel shows 15)
                line = [e if isinstance(v, float) and isinstance(e, float) and math.isclose(v, e, rel_tol=1e-15)
                        else v for v, e in zip(line, expected)]
            assert line == expected, f"closure {fmt} {month} as of {iso(as_of)} {key}"
    quarter = f"{first.year}Q{(first.month - 1) // 3 + 1}"
    q_start = date(first.year, first.month - (first.month - 1) % 3, 1)
    if local_date(as_of) >= q_start:
        out = tmp_path / "assessment.json"
        result = runner.invoke(args=["export", "assessment", "--quarter", quarter, "--as-of", iso(as_of),
                                     "--format", "json", "-o", str(out)])
        assert result.exit_code == 0, result.output
        body = json.loads(out.read_text(encoding="utf-8"))
        q_end = month_end(date(q_start.year, q_start.month + 2, 1))
        date_to = min(q_end, local_date(as_of))
        same_report(body, lab.reference("C0", q_start, date_to, as_of), f"assessment json {quarter}", platform=False)



@fast
@given(data=st.data())
def test_exports_agree_with_the_reference(app, lab, data, tmp_path):
    exports(app, lab, data, tmp_path)


@pytest.mark.slow
@slow
@given(data=st.data())
def test_exports_agree_with_the_reference_slow(slow_only, app, lab, data, tmp_path):
    exports(app, lab, data, tmp_path)


# --- now: the inbox's overdue filter, the sweep's escalations, the settled rollups ------------

def overdue_now(lab, client, data):
    lab.tell(data.draw(plans(), label="plan"))
    now = data.draw(st.sampled_from([t for t in lab.candidates if t >= lab.end]), label="now")
    lab.clock.set(now)
    want = ref.overdue_open(lab.histories, lab.units, now)
    listed, page = set(), 1
    while True:
        r = client.get(f"/api/v1/tickets?overdue=true&per_page=200&page={page}", headers=lab.world.headers("boss"))
        assert r.status_code == 200, r.get_json()
        body = r.get_json()
        listed |= {item["platform_id"] for item in body["items"]}
        if page * body["per_page"] >= body["total"]:
            break
        page += 1
    assert listed == want, f"GET /api/v1/tickets?overdue=true at {iso(now)}: (product, reference)"
    run_sweep(now)
    escalated = set(db.session.execute(
        sa.select(Ticket.platform_id).join(Notification, Notification.ticket_id == Ticket.id)
        .where(Notification.kind == "overdue")).scalars())
    assert escalated == want, f"the sweep's escalations at {iso(now)}: (product, reference)"
    s = SettledMonthCount
    settled = {(row.month, row.code): dict(closed=row.closed, on_time=row.on_time, timed=row.timed,
                                           micros=row.micros, days_n=row.days_n, days=row.days)
               for row in db.session.execute(
                   sa.select(s.month, Unit.code, s.closed, s.on_time, s.timed, s.micros, s.days_n, s.days)
                   .join(Unit, Unit.id == s.unit_id)).all()}
    assert settled == ref.settled_counts(lab.histories, lab.units), "settled_month_counts: (product, reference)"
    assert day_table() == day_recounted(), "settled_day_counts: (kept, recounted)"



@fast
@given(data=st.data())
def test_overdue_now_agrees_with_the_reference(lab, client, data):
    overdue_now(lab, client, data)


@pytest.mark.slow
@slow
@given(data=st.data())
def test_overdue_now_agrees_with_the_reference_slow(slow_only, lab, client, data):
    overdue_now(lab, client, data)



# --- the public page: the office's last 12 complete months ---------------------------------------

def month_starts_after(t: datetime, n: int) -> list[datetime]:
    """The local midnights that begin the n months after t's, ± 1 s: when a month becomes complete."""
    out = []
    for i in range(1, n + 1):
        start = start_of_local_day(add_months(local_date(t), i))
        out += [start - timedelta(seconds=1), start, start + timedelta(seconds=1)]
    return out


def publication(lab, client, data):
    """GET /public/C0.json's months (CONTRACT.md: Publication) are the top office's own figure on the
    platform clock, as of now, for each of the last 12 complete months."""
    lab.tell(data.draw(plans(), label="plan"))
    app_settings.set_value("publication.enabled", "true", Actor.system("test"), lab.end)
    db.session.commit()
    now = data.draw(st.sampled_from([t for t in lab.candidates if t >= lab.end] + month_starts_after(lab.end, 2)),
                    label="now")
    lab.clock.set(now)
    r = client.get("/public/C0.json")
    assert r.status_code == 200, r.get_data(as_text=True)
    months = r.get_json()["months"]
    assert len(months) == 12
    for month in months:
        first = date.fromisoformat(month["month"] + "-01")
        want = ref.office(lab.histories, lab.units, "C0", first, month_end(first), now)
        got = {k: month[k] for k in ("received", "closed", "on_time_rate")}
        same(got, want, f"/public/C0.json at {iso(now)} month {month['month']}",
             fields=("received", "closed", "on_time_rate"))


@fast
@given(data=st.data())
def test_publication_months_agree_with_the_reference(lab, client, data):
    publication(lab, client, data)


@pytest.mark.slow
@slow
@given(data=st.data())
def test_publication_months_agree_with_the_reference_slow(slow_only, lab, client, data):
    publication(lab, client, data)


# --- what the reference found ------------------------------------------------------------------

def agree_at_every_candidate(lab, client, date_from, date_to) -> None:
    """The metrics API and the dashboard's table agree with the reference at every candidate
    instant, by unit and by region. Latest first: the statements made for a T after everything
    come first, and must not stand in for an earlier T's."""
    for as_of in reversed(lab.candidates):
        for group in ("unit", "region"):
            query = {"from": date_from.isoformat(), "to": date_to.isoformat(), "as_of": iso(as_of), "group": group}
            body = client.get("/api/v1/metrics/closure?" + urlencode(query), headers=lab.world.headers("boss")).get_json()
            want = lab.reference("C0", date_from, date_to, as_of, group)
            same_report(body, want, f"metrics {query}", platform=False)
            same_office(lab, body, date_from, date_to, as_of, f"metrics {query}")
            report = dashboard_table(lab.boss(), date_from, date_to, as_of, group)
            rows = {row.unit.code: row.figures.to_json() for row in report.rows}
            for code, figures in want.rows.items():
                same(rows[code], figures, f"dashboard {group} as of {iso(as_of)} row {code}", TABLE_FIELDS)


def test_extensions_decided_after_the_old_deadline_agree_with_the_reference(lab, client):
    """The corner the drawn histories seldom reach: an extension approved after the deadline it
    moves had passed, so that every instant in between must read the old deadline. P0, 教育局's
    own clock; P1, forwarded by 东城县 to 卫健局 and extended by the city, which moves the county's
    clock too (its region row). Every candidate instant, each way the figures are read."""
    ask, wait = Step(choice=60, gap=("minutes", 60), days=2), Step(choice=0, gap=("deadline", 3600))
    lab.tell(World(EPOCHS[1], (
        Plan(pid="P0", day=0, at=("minute", 9 * 60), arrival="routed", unit="D1", ingest_delay=0, steps=(ask, wait)),
        Plan(pid="P1", day=0, at=("minute", 9 * 60), arrival="triage", unit=None, ingest_delay=0, steps=(
            Step(choice=0, gap=("minutes", 60), unit="R1"),  # the city assigns it to the county
            Step(choice=70, gap=("days", 1, 9 * 60), unit="D2", region=True),  # the county forwards it
            ask, wait)),
    )))
    approved = [e for h in lab.histories for e in h.events if e.action == "decide-extension" and e.data.get("approve")]
    assert len(approved) == 2, "both extensions were approved"
    date_from = EPOCHS[1].replace(day=1)  # both received on the epoch's first day
    date_to = month_end(date_from)
    agree_at_every_candidate(lab, client, date_from, date_to)


def test_a_forwarded_ticket_still_open_agrees_with_the_reference(lab, client):
    """Another corner the drawn histories seldom reach: a ticket forwarded below the level that
    routed it and still open at T. P1: the city assigns it to 东城县, which forwards it to 卫健局
    five days later, so the county's clock (its region row) runs out before the National Day
    holidays and 卫健局's own after them; P0, 教育局's own ticket, open beside it."""
    lab.tell(World(EPOCHS[1], (
        Plan(pid="P0", day=0, at=("minute", 9 * 60), arrival="routed", unit="D1", ingest_delay=0),
        Plan(pid="P1", day=0, at=("minute", 9 * 60), arrival="triage", unit=None, ingest_delay=0, steps=(
            Step(choice=0, gap=("minutes", 60), unit="R1"),  # the city assigns it to the county
            Step(choice=70, gap=("days", 5, 9 * 60), unit="D2", region=True))),  # the county forwards it
    )))
    [p1] = [h for h in lab.histories if h.platform_id == "P1"]
    assert [e.action for e in p1.events][-2:] == ["assign", "reassign"], "P1 ends forwarded and open"
    county, own = (row.due_at for row in db.session.execute(
        sa.select(HandOff.due_at).join(Ticket, Ticket.id == HandOff.ticket_id)
        .where(Ticket.platform_id == "P1", HandOff.ended_at.is_(None)).order_by(HandOff.top_depth)))
    assert county < own, "the county's clock runs out first: the instants between tell the clocks apart"
    date_from = EPOCHS[1].replace(day=1)
    date_to = month_end(date_from)
    agree_at_every_candidate(lab, client, date_from, date_to)


def test_a_reply_standing_at_t_and_cleared_later_agrees_with_the_reference(lab, client):
    """A corner found by the drawn histories: 教育局 (in 东城县) replies in time; after the
    deadline the city rejects the reply and 东城县 takes the ticket back to itself, which keeps
    the county's clock running and clears the reply from the ticket's row. At every instant
    between the deadline and the rejection the reply stood, in time: pending, not overdue."""
    lab.tell(World(EPOCHS[1], (
        Plan(pid="P0", day=0, at=("minute", 9 * 60), arrival="routed", unit="D1", ingest_delay=0, steps=(
            Step(choice=20, gap=("minutes", 60)),  # 教育局 replies
            Step(choice=70, gap=("deadline", 3600)),  # the city rejects it an hour after the deadline
            Step(choice=75, gap=("minutes", 1), unit="R1", region=True))),  # 东城县 takes it back
    )))
    [p0] = lab.histories
    assert [e.action for e in p0.events][-3:] == ["reply", "reject", "reassign"], "the story was told"
    date_from = EPOCHS[1].replace(day=1)
    agree_at_every_candidate(lab, client, date_from, month_end(date_from))


def test_a_median_exactly_on_a_half_cent_rounds_up(lab, client):
    """Two D1 tickets of a ledger, handled in 66:38:54 and 109:40:54: the median is exactly
    88.165 hours, which rounds half up to 88.17."""
    reset()
    rows = []
    for pid, assigned, replied in (("H1", "2026-11-02T09:00:00+08:00", "2026-11-05T03:38:54+08:00"),
                                   ("H2", "2026-11-02T09:00:00+08:00", "2026-11-06T22:40:54+08:00")):
        rows.append({"platform_id": pid, "received_at": assigned, "description": "栏目链接打不开",
                     "unit_code": "D1", "assigned_at": assigned, "replied_at": replied, "reply": "已整改",
                     "state": "办结", "closed_at": "2026-11-09T09:00:00+08:00"})
    Teller(lab.world, lab.clock).ingest(rows, datetime.fromisoformat("2026-11-10T09:00:00+08:00"))
    want = ref.figures(read_histories(), unit_infos(), "C0", date(2026, 11, 1), date(2026, 11, 30),
                       datetime.fromisoformat("2026-11-20T09:00:00+08:00"))
    assert want.rows["D1"]["median_handling_hours"] == 88.17  # the reference: exactly 88.165, half up
    r = client.get("/api/v1/metrics/closure?from=2026-11-01&to=2026-11-30&as_of=2026-11-20T09:00:00%2B08:00",
                   headers=lab.world.headers("boss"))
    d1 = {row["unit"]["code"]: row for row in r.get_json()["rows"]}["D1"]
    assert d1["median_handling_hours"] == 88.17
