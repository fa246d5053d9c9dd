"""closure() of whole months read from the settled counts (figures/settled.py) equals closure()
from the cohort's tickets, figure by figure, row by row: for T now and in the past, every scope
and role, both groupings, one month and several."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from feedback.accounts.scope import Actor
from feedback.figures.closure import closure
from feedback.figures.settled import whole_months
from tests.figures.test_closure import HALF_CENT_MINUTES
from tests.figures.test_series import OCTOBER_TIMES
from tests.figures.worlds import OCTOBER_AS_OF, as_of_corners

PERIODS = [(date(2026, 10, 1), date(2026, 10, 31)), (date(2026, 11, 1), date(2026, 11, 30)),
           (date(2026, 9, 1), date(2026, 9, 30)), (date(2026, 10, 1), date(2026, 12, 31))]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def assert_same(actor: Actor, as_of: datetime, *, unit_code: str | None = None, periods=PERIODS) -> None:
    for date_from, date_to in periods:
        # only the units' own clocks are settled: a region's rows read the hand-off into the
        # region and are always counted live (closure.py)
        for group in ("unit",):
            reports = [closure(actor, date_from, date_to, as_of, unit_code=unit_code, group=group,
                               percentiles=False, platform=False, via=via) for via in ("cohort", "settled")]
            cohort, settled = ([(row.unit.code, row.region.code, row.figures) for row in r.rows] for r in reports)
            where = (date_from, group, as_of, unit_code)
            assert settled == cohort, where
            assert reports[1].total == reports[0].total, where


def test_october_world_as_of_each_time(oct_world, boss):
    for text in OCTOBER_TIMES:
        assert_same(boss, at(text))
    report = closure(boss, date(2026, 10, 1), date(2026, 10, 31), at(OCTOBER_AS_OF), percentiles=False,
                     platform=False)  # whole months: the settled counts (via auto)
    d1 = next(row.figures for row in report.rows if row.unit.code == "D1")
    # as test_closure.py counts by hand
    assert (d1.received, d1.closed, d1.on_time, d1.avg_handling_hours, d1.avg_handling_workdays) == \
        (10, 6, 4, 141.0, 3.5)


def test_as_of_corners(story, boss):
    as_of_corners(story)
    for text in ("2026-10-14T12:00:00+08:00", "2026-10-16T12:00:00+08:00", "2026-10-19T12:00:00+08:00",
                 "2026-10-20T16:00:00+08:00", "2026-11-02T12:00:00+08:00"):
        assert_same(boss, at(text), periods=PERIODS[:2])


@pytest.mark.parametrize("who,unit_code", [
    ("boss", "R1"), ("boss", "D1"), ("boss", "R2"), ("east_boss", None), ("watcher", None),
    ("edu_clerk", None), ("health_clerk", None),
])
def test_each_scope_and_role(oct_world, world, who, unit_code):
    actor = Actor.of(world.users[who])
    for text in ("2026-10-20T12:00:00+08:00", OCTOBER_AS_OF):
        assert_same(actor, at(text), unit_code=unit_code, periods=PERIODS[:1])


def test_the_system_actor(oct_world):
    assert_same(Actor.system(), at(OCTOBER_AS_OF), periods=PERIODS[:1])


def test_exact_means_of_half_cents(story, boss):
    start = at("2026-11-02T09:00:00+08:00")
    for i, minutes in enumerate(HALF_CENT_MINUTES):
        received = start + timedelta(hours=i)
        story.receive(f"H{i}", received.isoformat(), unit="D2")
        story.reply(f"H{i}", (received + timedelta(minutes=minutes)).isoformat())
        story.approve(f"H{i}", (received + timedelta(minutes=minutes, hours=1)).isoformat())
    as_of = at("2027-01-04T12:00:00+08:00")
    assert_same(boss, as_of, periods=PERIODS[1:2])
    report = closure(boss, date(2026, 11, 1), date(2026, 11, 30), as_of, percentiles=False, platform=False)
    assert report.total.avg_handling_hours == 225.99


def test_region_rows_never_come_from_the_settled_counts(oct_world, boss):
    with pytest.raises(ValueError):
        closure(boss, date(2026, 10, 1), date(2026, 10, 31), at(OCTOBER_AS_OF), group="region", percentiles=False,
                platform=False, via="settled")


def test_only_whole_months_go_to_the_settled_counts(oct_world, boss):
    assert whole_months(date(2026, 10, 1), date(2026, 10, 31)) and whole_months(date(2026, 2, 1), date(2026, 3, 31))
    assert not whole_months(date(2026, 10, 2), date(2026, 10, 31))
    assert not whole_months(date(2026, 10, 1), date(2026, 10, 30))
    with pytest.raises(ValueError):
        closure(boss, date(2026, 10, 1), date(2026, 10, 15), at(OCTOBER_AS_OF), percentiles=False, platform=False,
                via="settled")
    # a part of a month goes to the cohort query, and says the same as the whole month minus the rest
    part = closure(boss, date(2026, 10, 1), date(2026, 10, 15), at(OCTOBER_AS_OF), percentiles=False, platform=False)
    assert part.total.received < closure(boss, date(2026, 10, 1), date(2026, 10, 31), at(OCTOBER_AS_OF)).total.received
