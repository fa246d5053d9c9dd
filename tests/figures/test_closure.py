"""closure(): the October world of worlds.py, every figure counted by hand."""
from __future__ import annotations

from datetime import date, datetime

import pytest

from feedback.accounts.scope import Actor
from feedback.errors import InputError
from feedback.figures.closure import closure, overdue_details
from feedback.figures.series import monthly_series
from tests.figures.worlds import OCTOBER_AS_OF

OCT = (date(2026, 10, 1), date(2026, 10, 31))
AS_OF = datetime.fromisoformat(OCTOBER_AS_OF)
ZERO = {"received": 0, "closed": 0, "on_time": 0, "late": 0, "overdue_open": 0, "pending": 0,
        "on_time_rate": None, "avg_handling_hours": None, "median_handling_hours": None,
        "p90_handling_hours": None, "avg_handling_workdays": None}


def figs(f) -> dict:
    out = f.to_json()
    out.pop("platform", None)
    return out


def by_code(report) -> dict:
    return {row.unit.code: row for row in report.rows}


def test_a_unit_row_counts_every_corner(oct_world, boss):
    rows = by_code(closure(boss, *OCT, AS_OF))
    # D1's October cohort: T1 T2 T3 T4 T5 T9 T10 T11 T12 T17 = 10
    # (T6 went to D2, T7/T8 invalid, T13/T13b outside October).
    # closed: T1 T2 T3 T4 T5 T17 = 6; on time T1 T3 (2nd reply by the deadline) T5 (extended) T17 = 4;
    # late T2 T4 = 2; overdue open T9 (never replied) T12 (late reply awaiting review) = 2;
    # pending T10 (not due) T11 (on-time reply awaiting review) = 2. Rate 4 / (6 + 2).
    # Hours reply − assignment: T1 49, T2 145, T3 122, T4 145, T5 169, T17 216 → sum 846, mean 141;
    # sorted 49 122 145 145 169 216: median (145+145)/2; P90 at 0.9·5 = 4.5 → 169 + .5·47 = 192.5.
    # Working days: T1 2, T2 4, T3 3, T4 4, T5 5, T17 3 (Oct 8, 9, 10 across the holiday) → 21/6.
    assert figs(rows["D1"].figures) == {
        "received": 10, "closed": 6, "on_time": 4, "late": 2, "overdue_open": 2, "pending": 2,
        "on_time_rate": 0.5, "avg_handling_hours": 141.0, "median_handling_hours": 145.0,
        "p90_handling_hours": 192.5, "avg_handling_workdays": 3.5,
    }


def test_the_office_platform_clock_beside_it(oct_world, boss):
    platform = by_code(closure(boss, *OCT, AS_OF))["D1"].figures.platform
    # Platform due (5 working days after receipt) vs closed_at: T1 Oct 19 ≥ Oct 15, T2 Oct 20 ≥ Oct 19,
    # T3 Oct 21 ≥ Oct 20, T4 Oct 22 ≥ Oct 21, T17 Oct 13 ≥ Oct 12 on time; T5 due Oct 23, closed Oct 26 late.
    # Open: T9 due Oct 28 < Nov 2 overdue; T10 (Nov 6), T11 and T12 (Nov 2 23:59:59) pending.
    # Hours closed − received: 72 150 145 150 240 263 → 1020/6 = 170; sorted 72 145 150 150 240 263:
    # median 150, P90 240 + .5·23 = 251.5. Working days: 3 4 4 4 6 4 → 25/6 = 4.17.
    assert figs(platform) == {
        "received": 10, "closed": 6, "on_time": 5, "late": 1, "overdue_open": 1, "pending": 3,
        "on_time_rate": 5 / 7, "avg_handling_hours": 170.0, "median_handling_hours": 150.0,
        "p90_handling_hours": 251.5, "avg_handling_workdays": 4.17,
    }


def test_the_report_json_writes_each_row_as_the_row_itself_does(oct_world, boss):
    """ClosureReport.to_json writes shared parts once (the zero rows' Figures, a region); every
    line is still the row's own JSON, and a zero row's is not tied to another's."""
    report = closure(boss, *OCT, AS_OF)
    body = report.to_json()
    assert body["rows"] == [row.to_json() for row in report.rows]
    zeros = [line for line in body["rows"] if line["received"] == 0]
    assert len(zeros) >= 2
    zeros[0]["received"] = 99
    assert zeros[1]["received"] == 0


def test_reassigned_ticket_counts_for_the_last_assignee(oct_world, boss):
    rows = by_code(closure(boss, *OCT, AS_OF))
    # T6: returned by D1, reassigned to D2 Wed Oct 21 (due Mon Oct 26), replied Oct 26 16:00:
    # on time for D2 — 127 hours from the reassignment, 3 working days (22, 23, 26).
    assert figs(rows["D2"].figures) == {
        "received": 1, "closed": 1, "on_time": 1, "late": 0, "overdue_open": 0, "pending": 0,
        "on_time_rate": 1.0, "avg_handling_hours": 127.0, "median_handling_hours": 127.0,
        "p90_handling_hours": 127.0, "avg_handling_workdays": 3.0,
    }
    # The office's clock ran from receipt Oct 19: due Oct 26, closed Oct 27 → late, 192 h, 6 working days.
    assert rows["D2"].figures.platform.late == 1 and rows["D2"].figures.platform.on_time_rate == 0.0
    assert rows["D2"].figures.platform.avg_handling_workdays == 6.0


def test_rows_list_every_unit_in_region_order_with_zero_rows(oct_world, boss):
    report = closure(boss, *OCT, AS_OF)
    # the office's own group (C0 and D9 directly under it), then R1 and R2 with their subtrees
    assert [(r.unit.code, r.region.code) for r in report.rows] == [
        ("C0", "C0"), ("D9", "C0"), ("R1", "R1"), ("D1", "R1"), ("D2", "R1"), ("R2", "R2"), ("D3", "R2")]
    rows = by_code(report)
    assert figs(rows["D9"].figures) == ZERO and figs(rows["C0"].figures) == ZERO
    assert rows["D9"].unit.parent_code == "C0"
    # T16 at D3: assigned Oct 22 10:00, due Oct 27, never replied → overdue; rate 0 / (0 + 1) = 0, not null
    assert figs(rows["D3"].figures) == {**ZERO, "received": 1, "overdue_open": 1, "on_time_rate": 0.0}


def test_total_counts_each_ticket_once(oct_world, boss):
    report = closure(boss, *OCT, AS_OF)
    # D1 10 + D2 1 + R1 1 (T15) + D3 1 = 13 received; closed 6 + 1 + 1 = 8; on time 4 + 1 + 1 = 6;
    # late 2; overdue T9 T12 T16 = 3; pending T10 T11 = 2; rate 6 / 11.
    # Hours 49 122 145 145 169 216 + D2 127 + R1 25 → 998/8 = 124.75; sorted 25 49 122 127 145 145 169 216:
    # median (127+145)/2 = 136; P90 at 0.9·7 = 6.3 → 169 + .3·47 = 183.1. Working days 21+3+1 = 25/8 = 3.125 → 3.13.
    assert figs(report.total) == {
        "received": 13, "closed": 8, "on_time": 6, "late": 2, "overdue_open": 3, "pending": 2,
        "on_time_rate": 6 / 11, "avg_handling_hours": 124.75, "median_handling_hours": 136.0,
        "p90_handling_hours": 183.1, "avg_handling_workdays": 3.13,
    }
    for key in ("received", "closed", "on_time", "late", "overdue_open", "pending"):
        assert getattr(report.total, key) == sum(getattr(r.figures, key) for r in report.rows)
    # Platform: on time 5 + 0 (T6) + 1 (T15) = 6, late 2; overdue T9 T16 = 2 → 6 / 10.
    # Hours 72 145 150 150 240 263 + 192 + 30 → 1242/8 = 155.25; median 150; P90 240 + .3·23 = 246.9;
    # working days 25 + 6 + 1 = 32/8 = 4.
    assert figs(report.total.platform) == {
        "received": 13, "closed": 8, "on_time": 6, "late": 2, "overdue_open": 2, "pending": 3,
        "on_time_rate": 0.6, "avg_handling_hours": 155.25, "median_handling_hours": 150.0,
        "p90_handling_hours": 246.9, "avg_handling_workdays": 4.0,
    }
    # T14 sits in triage: in no row, reported beside the table to the city office
    assert report.unassigned == 1


def test_group_by_region(oct_world, boss):
    report = closure(boss, *OCT, AS_OF, group="region")
    rows = by_code(report)
    assert list(rows) == ["C0", "R1", "R2"]
    assert figs(rows["C0"].figures) == ZERO  # the office and D9: nothing in October
    # R1 = R1 (T15) + D1 (10) + D2 (T6): 12 received, 8 closed, 6 on time, overdue T9 T12, pending T10 T11;
    # its closed hours are all of the total's (D3 closed none): mean 124.75, median 136, P90 183.1.
    assert figs(rows["R1"].figures) == {
        "received": 12, "closed": 8, "on_time": 6, "late": 2, "overdue_open": 2, "pending": 2,
        "on_time_rate": 0.6, "avg_handling_hours": 124.75, "median_handling_hours": 136.0,
        "p90_handling_hours": 183.1, "avg_handling_workdays": 3.13,
    }
    assert figs(rows["R2"].figures) == {**ZERO, "received": 1, "overdue_open": 1, "on_time_rate": 0.0}
    assert figs(report.total) == figs(closure(boss, *OCT, AS_OF).total)


def test_a_unit_alone_and_with_its_subtree(oct_world, boss):
    report = closure(boss, *OCT, AS_OF, unit_code="R1")
    rows = by_code(report)
    assert list(rows) == ["R1", "D1", "D2"]
    # R1 alone: its portal's T15 — Thu Oct 22 09:00 → replied Fri 10:00: 25 h, 1 working day
    assert figs(rows["R1"].figures) == {
        "received": 1, "closed": 1, "on_time": 1, "late": 0, "overdue_open": 0, "pending": 0,
        "on_time_rate": 1.0, "avg_handling_hours": 25.0, "median_handling_hours": 25.0,
        "p90_handling_hours": 25.0, "avg_handling_workdays": 1.0,
    }
    # with its subtree: the R1 region row above
    assert figs(report.total) == figs(by_code(closure(boss, *OCT, AS_OF, group="region"))["R1"].figures)
    assert report.unassigned == 0  # nothing was returned into the county's own triage


def test_scope_of_each_role(oct_world, world):
    east = closure(Actor.of(world.users["east_boss"]), *OCT, AS_OF)
    assert [r.unit.code for r in east.rows] == ["R1", "D1", "D2"] and east.total.received == 12
    watcher = closure(Actor.of(world.users["watcher"]), *OCT, AS_OF)
    assert watcher.total.received == 13 and watcher.unassigned == 1
    # unit staff: their own unit only
    clerk = Actor.of(world.users["edu_clerk"])
    mine = closure(clerk, *OCT, AS_OF)
    assert [r.unit.code for r in mine.rows] == ["D1"] and mine.total.received == 10
    assert closure(clerk, *OCT, AS_OF, unit_code="D1").total.received == 10
    with pytest.raises(InputError) as exc:
        closure(clerk, *OCT, AS_OF, unit_code="D2")
    assert "unit" in exc.value.errors
    with pytest.raises(InputError):
        closure(Actor.of(world.users["east_boss"]), *OCT, AS_OF, unit_code="D3")


def test_system_actor_sees_the_whole_tree(oct_world):
    report = closure(Actor.system(), *OCT, AS_OF)
    assert report.root.code == "C0" and report.total.received == 13 and report.unassigned == 1


def test_a_range_and_as_of_narrow_the_cohort(oct_world, boss):
    # Oct 12–16: T1 T2 T3 T4 T5 received (D1). As of Nov 2: closed 5, on time T1 T3 T5.
    week = closure(boss, date(2026, 10, 12), date(2026, 10, 16), AS_OF)
    assert figs(week.total) | {} == {
        **figs(week.total), "received": 5, "closed": 5, "on_time": 3, "late": 2, "overdue_open": 0, "pending": 0,
        "on_time_rate": 0.6}
    # as of Tue Oct 20 12:00, the same week: T1 T2 closed (on time, late), T3 closed at 10:00 on time;
    # T4 rejected Oct 19, due Oct 20 23:59:59 → pending; T5 extended to Oct 23 on Oct 19 → pending.
    early = closure(boss, date(2026, 10, 12), date(2026, 10, 16), datetime.fromisoformat("2026-10-20T12:00:00+08:00"))
    t = early.total
    assert (t.received, t.closed, t.on_time, t.late, t.overdue_open, t.pending) == (5, 3, 2, 1, 0, 2)
    assert t.on_time_rate == 2 / 3


def test_rate_is_null_when_nothing_is_closed_or_overdue(story, boss):
    # Two D1 tickets received Mon Oct 12 (due Thu Oct 15); as of Tue Oct 13 both are pending.
    story.receive("N1", "2026-10-12T09:00:00+08:00")
    story.receive("N2", "2026-10-12T10:00:00+08:00")
    report = closure(boss, *OCT, datetime.fromisoformat("2026-10-13T12:00:00+08:00"))
    d1 = by_code(report)["D1"].figures
    assert (d1.received, d1.pending, d1.on_time_rate) == (2, 2, None)
    assert report.total.on_time_rate is None and report.total.to_json()["on_time_rate"] is None


def test_overdue_details_list_late_and_overdue_tickets(oct_world, boss):
    items = list(overdue_details(boss, *OCT, AS_OF))
    # late: T2 (due Fri Oct 16, replied Mon Oct 19 → 1 working day), T4 (due Tue Oct 20, replied Wed → 1);
    # overdue at Mon Nov 2: T9 (due Mon Oct 26 → 27 28 29 30 Nov 2 = 5), T12 (due Oct 29 → 30, Nov 2 = 2),
    # T16 at D3 (due Oct 27 → 28 29 30 Nov 2 = 4). Ordered by unit code, then received time.
    assert [(i.platform_id, i.unit_code, i.status, i.overdue_workdays) for i in items] == [
        ("T2", "D1", "late", 1), ("T4", "D1", "late", 1), ("T9", "D1", "overdue_open", 5),
        ("T12", "D1", "overdue_open", 2), ("T16", "D3", "overdue_open", 4)]
    t12 = items[3]
    assert t12.replied_at is not None and t12.closed_at is None and t12.state == "replied"
    assert [i.platform_id for i in overdue_details(boss, *OCT, AS_OF, unit_code="D3")] == ["T16"]


def test_overdue_details_agree_with_the_counts(oct_world, boss):
    report = closure(boss, *OCT, AS_OF)
    items = list(overdue_details(boss, *OCT, AS_OF))
    assert sum(i.status == "late" for i in items) == report.total.late
    assert sum(i.status == "overdue_open" for i in items) == report.total.overdue_open


def test_monthly_series_matches_each_month(oct_world, boss):
    series = monthly_series(boss, AS_OF)
    assert [p.month for p in series][:2] == [date(2025, 12, 1), date(2026, 1, 1)]
    assert len(series) == 12 and series[-1].month == date(2026, 11, 1)
    by_month = {p.month: p.figures for p in series}
    october_total = figs(closure(boss, *OCT, AS_OF).total)
    # the counts and rate of closure() for October; the chart shows no handling times
    assert figs(by_month[date(2026, 10, 1)]) == {**october_total, "avg_handling_hours": None,
                                                 "median_handling_hours": None, "p90_handling_hours": None,
                                                 "avg_handling_workdays": None}
    # September: T13 (Sep 30 → due Sat Oct 10, never replied) overdue; November so far: T13b pending.
    assert figs(by_month[date(2026, 9, 1)]) == {**ZERO, "received": 1, "overdue_open": 1, "on_time_rate": 0.0}
    assert figs(by_month[date(2026, 11, 1)]) == {**ZERO, "received": 1, "pending": 1}
    assert sum(p.figures.received for p in series) == 15
    d2 = monthly_series(boss, AS_OF, months=3, unit_code="D2")
    assert [p.figures.received for p in d2] == [0, 1, 0]


def test_bad_arguments_name_the_parameter(boss, world):
    with pytest.raises(InputError) as exc:
        closure(boss, date(2026, 10, 31), date(2026, 10, 1), AS_OF)
    assert "to" in exc.value.errors
    with pytest.raises(InputError) as exc:
        closure(boss, *OCT, AS_OF, group="county")
    assert "group" in exc.value.errors
    with pytest.raises(InputError) as exc:
        closure(boss, *OCT, AS_OF, unit_code="NOPE")
    assert "unit" in exc.value.errors


def test_reassignment_after_t_counts_for_the_new_unit(oct_world, boss):
    # Documented approximation: as of Tue Oct 20 12:00 T6 had just been returned by D1 (10:00) and
    # was waiting in triage; today's row knows only its last assignee, D2 (from Oct 21), so it
    # counts for D2 — pending, as D2's clock had not started — and not for D1.
    rows = by_code(closure(boss, date(2026, 10, 19), date(2026, 10, 19),
                           datetime.fromisoformat("2026-10-20T12:00:00+08:00")))
    assert (rows["D2"].figures.received, rows["D2"].figures.pending) == (1, 1)
    assert rows["D1"].figures.received == 0


def test_system_actor_over_several_top_units(oct_world):
    # a second tree with no common office: no root; each top unit heads its own group
    from feedback.directory.admin import add_unit
    from feedback.extensions import db

    other = add_unit("Z0", "另一主管单位", "office", None)
    add_unit("Z1", "另一部门", "department", other)
    db.session.commit()
    report = closure(Actor.system(), *OCT, AS_OF, group="region")
    assert report.root is None
    assert [r.unit.code for r in report.rows] == ["C0", "Z0"]
    assert report.rows[0].figures.received == 13 and report.rows[1].figures.received == 0
    by_unit = closure(Actor.system(), *OCT, AS_OF)
    assert [r.region.code for r in by_unit.rows][-2:] == ["Z0", "Z0"] and by_unit.total.received == 13


# Ten handling times in whole minutes whose mean is exactly 225.985 hours (135,591 minutes / 600).
# Added up as float hours the mean comes out 225.98499999999999 and would round down.
HALF_CENT_MINUTES = [8523, 19612, 5402, 51603, 4995, 9315, 11127, 6257, 17320, 1437]


def test_the_mean_handling_time_is_exact_and_rounds_a_half_cent_up(story, boss):
    from datetime import timedelta

    start = datetime.fromisoformat("2026-11-02T09:00:00+08:00")
    for i, minutes in enumerate(HALF_CENT_MINUTES):
        pid = f"H{i}"
        received = start + timedelta(hours=i)
        story.receive(pid, received.isoformat(), unit="D2")
        story.reply(pid, (received + timedelta(minutes=minutes)).isoformat())
        story.approve(pid, (received + timedelta(minutes=minutes, hours=1)).isoformat())
    as_of = datetime.fromisoformat("2027-01-04T12:00:00+08:00")
    floats = sum(m * 60 / 3600 for m in HALF_CENT_MINUTES) / len(HALF_CENT_MINUTES)
    assert floats < 225.985  # the float mean, which rounded would give 225.98
    for group in ("unit", "region"):
        report = closure(boss, date(2026, 11, 1), date(2026, 11, 30), as_of, group=group)
        row = next(r for r in report.rows if r.figures.closed)
        assert row.figures.closed == 10 and row.figures.avg_handling_hours == 225.99, group
        assert report.total.avg_handling_hours == 225.99
