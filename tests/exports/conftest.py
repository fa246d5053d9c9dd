"""A November 2026 for the city C0, told through the real paths: tickets.ingest for what the
platform forwards and tickets.lifecycle.apply for every later step, each at its own time on the
injected clock. The figures module then counts it; the tests count it by hand (see NOVEMBER).

Calendar: November 2026 has no holidays (Mon Nov 2, 9, 16, 23 start the weeks). Unit clock
N=3 working days after the local date of assignment, ending 23:59:59.
"""
from __future__ import annotations

from datetime import timedelta

import pytest

from feedback.directory.admin import add_unit
from feedback.extensions import db
from tests.factories import make_user
from tests.support.stories import Story

HOSTILE_NAME = '=HYPERLINK("http://evil.example","点我")'  # a unit name a spreadsheet would run


def add_city(world):
    """tests/factories.py's city, plus D5 under R2 with a name that is a formula, clerks for the
    units without one, and a viewer and a supervisor of the county R2."""
    world.units["D5"] = add_unit("D5", HOSTILE_NAME, "department", world.units["R2"])
    for username, unit in (("hr_clerk", "D3"), ("odd_clerk", "D5"), ("traffic_clerk", "D9")):
        make_user(world, username, "unit_staff", unit)
    make_user(world, "west_boss", "supervisor", "R2")
    make_user(world, "west_watcher", "viewer", "R2")
    db.session.commit()
    return world


def city_story(city, clock) -> Story:
    """The city told through tickets.ingest and lifecycle.apply (tests/support/stories.py): every
    report lands in triage and, with a unit, the supervisor assigns it there one hour later."""
    return Story(city, clock, routed=False, assign_after=timedelta(hours=1), default_unit=None)


@pytest.fixture
def city(world):
    return add_city(world)


@pytest.fixture
def story(city, clock):
    return city_story(city, clock)


AS_OF = "2026-11-24T10:00:00+08:00"  # Tuesday morning, the clock fixture's default time


def november(s: Story) -> None:
    """Counted by hand in NOVEMBER below (as of AS_OF)."""
    # T1 D1 on time: assigned Mon Nov 2 10:00 → due Thu Nov 5; replied Wed Nov 4 15:00 (53 h; 2 workdays: 3, 4).
    s.receive("N-T1", "2026-11-02T09:00:00+08:00", "D1")
    s.reply("N-T1", "2026-11-04T15:00:00+08:00")
    s.approve("N-T1", "2026-11-05T09:00:00+08:00")
    # T2 D1 late: assigned Mon Nov 2 10:30 → due Thu Nov 5; replied Mon Nov 9 10:30 (168 h; 5 workdays:
    # 3, 4, 5, 6, 9; 2 workdays late: 6, 9).
    s.receive("N-T2", "2026-11-02T09:30:00+08:00", "D1")
    s.reply("N-T2", "2026-11-09T10:30:00+08:00")
    s.approve("N-T2", "2026-11-09T11:00:00+08:00")
    # T3 D1 accepted, never replied: assigned Mon Nov 16 10:00 → due Thu Nov 19; overdue at Tue Nov 24
    # by 3 workdays (20, 23, 24).
    s.receive("N-T3", "2026-11-16T09:00:00+08:00", "D1")
    s.act("N-T3", "accept", "2026-11-16T11:00:00+08:00")
    # T4 D2 open, not due: assigned Fri Nov 20 10:00 → due Wed Nov 25.
    s.receive("N-T4", "2026-11-20T09:00:00+08:00", "D2")
    # T5 D2 replied in time, rejected, replied again late: assigned Tue Nov 3 10:00 → due Fri Nov 6;
    # the accepted reply Tue Nov 10 10:00 (168 h; 5 workdays: 4, 5, 6, 9, 10; 2 late: 9, 10).
    s.receive("N-T5", "2026-11-03T09:00:00+08:00", "D2")
    s.reply("N-T5", "2026-11-06T16:00:00+08:00")
    s.act("N-T5", "reject", "2026-11-09T09:00:00+08:00", reason="未说明整改结果")
    s.reply("N-T5", "2026-11-10T10:00:00+08:00")
    s.approve("N-T5", "2026-11-10T11:00:00+08:00")
    # T6 D3 on time the same day: assigned Thu Nov 5 10:00, replied 16:00 (6 h; 0 workdays).
    s.receive("N-T6", "2026-11-05T09:00:00+08:00", "D3")
    s.reply("N-T6", "2026-11-05T16:00:00+08:00")
    s.approve("N-T6", "2026-11-06T09:00:00+08:00")
    # T7 D3 invalid: counts nowhere.
    s.receive("N-T7", "2026-11-06T08:00:00+08:00", "D3")
    s.act("N-T7", "invalidate", "2026-11-06T11:00:00+08:00", reason="非政府网站问题")
    # T8 misrouted to D1, returned by D1 (a 退回 of D1), reassigned to D3 Mon Nov 9 10:00 → due Thu Nov 12;
    # replied Thu Nov 12 09:00 (71 h; 3 workdays: 10, 11, 12) → on time for D3.
    s.receive("N-T8", "2026-11-06T09:00:00+08:00", "D1")
    s.act("N-T8", "return", "2026-11-06T14:00:00+08:00", reason="非本单位网站")
    s.act("N-T8", "assign", "2026-11-09T10:00:00+08:00", unit="D3")
    s.reply("N-T8", "2026-11-12T09:00:00+08:00")
    s.approve("N-T8", "2026-11-12T10:00:00+08:00")
    # T9 D9 received Fri Oct 30 (October, not November): assigned 10:00 → due Wed Nov 4; never replied,
    # overdue at Nov 24 by 14 workdays (Nov 5, 6, 9–13, 16–20, 23, 24).
    s.receive("N-T9", "2026-10-30T09:00:00+08:00", "D9")
    # T10 D9 replied by the deadline, awaiting review: assigned Wed Nov 18 10:00 → due Mon Nov 23;
    # replied Mon Nov 23 15:00 → pending, not overdue.
    s.receive("N-T10", "2026-11-18T09:00:00+08:00", "D9")
    s.reply("N-T10", "2026-11-23T15:00:00+08:00")
    # T11 D5 (the formula-named unit), with an id that starts with "-": assigned Tue Nov 10 10:00 →
    # due Fri Nov 13; overdue at Nov 24 by 7 workdays (16–20, 23, 24).
    s.receive("-T11", "2026-11-10T09:00:00+08:00", "D5")
    # T12 never routed: in triage, in no unit's row.
    s.receive("N-T12", "2026-11-12T09:00:00+08:00")
    s.clock.set(AS_OF)


# November 1–30 as of AS_OF, counted from the story above. Columns: received, closed, on_time, late,
# overdue_open, pending, rate, avg hours, avg workdays. Rows in the figures module's order: the root's
# own group (C0 and D9, 本级), then R1's units, then R2's.
NOVEMBER = [
    # 序号, code, name, parent, figures
    (1, "C0", "示例市人民政府办公室", "", (0, 0, 0, 0, 0, 0, None, None, None)),
    (2, "D9", "示例市交通局", "示例市人民政府办公室", (1, 0, 0, 0, 0, 1, None, None, None)),  # T10 pending
    ("小计", "C0", "示例市人民政府办公室（本级）", "", (1, 0, 0, 0, 0, 1, None, None, None)),
    (3, "R1", "东城县", "示例市人民政府办公室", (0, 0, 0, 0, 0, 0, None, None, None)),
    # D1: T1 on time, T2 late, T3 overdue → 1 / (2 + 1); hours (53 + 168) / 2; workdays (2 + 5) / 2
    (4, "D1", "东城县教育局", "东城县", (3, 2, 1, 1, 1, 0, 1 / 3, 110.5, 3.5)),
    # D2: T5 late, T4 pending → 0 / (1 + 0)
    (5, "D2", "东城县卫健局", "东城县", (2, 1, 0, 1, 0, 1, 0.0, 168.0, 5.0)),
    # R1 from the summed counts: 1 / (3 + 1) = 25% (the mean of 33.3% and 0% would be 16.7%);
    # hours (53 + 168 + 168) / 3 = 129.67; workdays (2 + 5 + 5) / 3 = 4
    ("小计", "R1", "东城县", "", (5, 3, 1, 2, 1, 1, 0.25, 129.67, 4.0)),
    (6, "R2", "西城区", "示例市人民政府办公室", (0, 0, 0, 0, 0, 0, None, None, None)),
    # D3: T6, T8 on time → 100%; hours (6 + 71) / 2; workdays (0 + 3) / 2
    (7, "D3", "西城区人社局", "西城区", (2, 2, 2, 0, 0, 0, 1.0, 38.5, 1.5)),
    (8, "D5", "'" + HOSTILE_NAME, "西城区", (1, 0, 0, 0, 1, 0, 0.0, None, None)),  # T11 overdue
    ("小计", "R2", "西城区", "", (3, 2, 2, 0, 1, 0, 2 / 3, 38.5, 1.5)),
    # everything: 3 on time / (5 closed + 2 overdue); hours 466 / 5; workdays 15 / 5
    ("合计", "", "各单位之和（按各单位本级时限，不含未分派）", "", (9, 5, 3, 2, 2, 2, 3 / 7, 93.2, 3.0)),
    # the office's own, on the platform clock (5 working days after received), T12 (未分派) too:
    # closed on time T1 (due Mon 9, 72 h, 3 days), T2 (due Mon 9, closed 9th 11:00, 169.5 h, 5),
    # T5 (due Tue 10, closed 10th 11:00, 170 h, 5), T6 (due Thu 12, 24 h, 1), T8 (due Fri 13,
    # 145 h, 4); overdue T3 (due Mon 23), T11 (due Tue 17), T12 (due Thu 19); pending T4 (due
    # Fri 27), T10 (due Wed 25) → 5 / (5 + 3); hours 580.5 / 5; workdays 18 / 5
    ("合计", "C0", "示例市人民政府办公室本级（平台时限，含未分派1条）", "", (10, 5, 5, 0, 3, 2, 0.625, 116.1, 3.6)),
]
