"""closure() of whole months read from the settled counts (figures/settled.py) equals closure()
from the cohort's tickets, figure by figure, row by row: for T now and in the past, every scope
and role, both groupings, one month and several."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from feedback.accounts.scope import Actor
from feedback.figures.closure import closure
from feedback.extensions import db
from feedback.figures.settled import whole_months
from feedback.tickets.models import Ticket
from tests.figures.test_closure import HALF_CENT_MINUTES
from tests.figures.test_level_clocks import AS_OF, triage_and_returned
from tests.figures.test_series import OCTOBER_TIMES
from tests.figures.worlds import OCTOBER_AS_OF, as_of_corners

PERIODS = [(date(2026, 10, 1), date(2026, 10, 31)), (date(2026, 11, 1), date(2026, 11, 30)),
           (date(2026, 9, 1), date(2026, 9, 30)), (date(2026, 10, 1), date(2026, 12, 31))]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def assert_same(actor: Actor, as_of: datetime, *, unit_code: str | None = None, periods=PERIODS) -> None:
    for date_from, date_to in periods:
        # a region's rows read the hand-off into the region (the settled path: forwarded()), and
        # the top office's own figure the platform clock (settled_day_counts)
        for group in ("unit", "region"):
            reports = [closure(actor, date_from, date_to, as_of, unit_code=unit_code, group=group,
                               percentiles=False, platform=False, via=via) for via in ("cohort", "settled")]
            cohort, settled = ([(row.unit.code, row.region.code, row.figures) for row in r.rows] for r in reports)
            where = (date_from, group, as_of, unit_code)
            assert settled == cohort, where
            assert reports[1].total == reports[0].total, where
            assert reports[1].office == reports[0].office, where
            assert reports[1].unassigned == reports[0].unassigned, where


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


def test_a_forwarded_ticket_on_its_region_clock_and_the_office_on_the_platform_clock(world, clock):
    """T1 (tests/figures/test_level_clocks.py, counted by hand there): the county forwarded it, so
    东城县's row reads the county's clock (late), 教育局's own row its own (on time), and the
    city's own figure the platform clock (late). The settled path reads T1 by forwarded() and the
    office from settled_day_counts; both paths agree at every instant of its history."""
    triage_and_returned(world, clock)  # T1, and two tickets in the city's triage
    boss = Actor.of(world.users["boss"])
    september = [(date(2026, 9, 1), date(2026, 9, 30))]
    for text in ("2026-09-22T12:00:00+08:00", "2026-09-29T00:00:00+08:00", "2026-10-01T12:00:00+08:00",
                 "2026-10-09T12:00:00+08:00", "2026-10-12T09:00:00+08:00", "2026-10-31T12:00:00+08:00"):
        assert_same(boss, at(text), periods=september)
        assert_same(boss, at(text), unit_code="R1", periods=september)
    report = closure(boss, *september[0], at(AS_OF), group="region", percentiles=False, platform=False)
    r1 = next(row.figures for row in report.rows if row.unit.code == "R1")
    assert (r1.closed, r1.on_time, r1.late) == (1, 0, 1)
    units = closure(boss, *september[0], at(AS_OF), percentiles=False, platform=False)
    d1 = next(row.figures for row in units.rows if row.unit.code == "D1")
    assert (d1.closed, d1.on_time, d1.late) == (1, 1, 0)
    office = report.office  # counted by hand in test_level_clocks.py: T1 late, T4 and T5 overdue
    assert (office.received, office.closed, office.on_time, office.late, office.overdue_open) == (3, 1, 0, 1, 2)
    assert report.unassigned == 2


def test_a_closed_ticket_without_a_unit_counts_for_the_office(world, clock):
    """A ledger row can arrive closed without a unit: the office's own figure counts it on the
    platform clock, from settled_day_counts as from the tickets; no unit's row holds it."""
    triage_and_returned(world, clock)
    t4 = db.session.scalars(sa.select(Ticket).where(Ticket.platform_id == "T4")).one()
    # closed Mon 28 Sep 10:00, as imported: by the platform deadline (Tue 29 Sep 23:59:59)
    t4.state, t4.closed_at = "closed", at("2026-09-28T10:00:00+08:00")
    db.session.commit()
    boss = Actor.of(world.users["boss"])
    september = [(date(2026, 9, 1), date(2026, 9, 30))]
    for text in ("2026-09-28T09:59:59+08:00", "2026-09-28T10:00:00+08:00", AS_OF):
        assert_same(boss, at(text), periods=september)
    office = closure(boss, *september[0], at(AS_OF), percentiles=False, platform=False).office
    # T1 late, T4 on time (Mon 21 → Mon 28 Sep: Tue 22, Wed 23, Thu 24, Mon 28 = 4 working days),
    # T5 overdue
    assert (office.received, office.closed, office.on_time, office.late, office.overdue_open) == (3, 2, 1, 1, 1)


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


def test_the_live_part_leaves_the_planner_setting_as_it_found_it(oct_world, boss):
    """PostgreSQL groups the live part's few keys without a sort (cohort.execute, hashed): for
    that query alone. The transaction's enable_sort is what it was before, on or off."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: a planner setting")
    for before in ("on", "off"):
        db.session.execute(sa.text(f"SET LOCAL enable_sort = {before}"))
        report = closure(boss, date(2026, 10, 1), date(2026, 10, 31), at("2026-11-02T12:00:00+08:00"),
                         group="region", percentiles=False, platform=False, via="settled")
        assert report.total.received and report.total.overdue_open  # the live part was counted
        assert db.session.execute(sa.text("SHOW enable_sort")).scalar_one() == before
        db.session.rollback()


def test_a_failing_hashed_query_raises_its_own_error(app):
    """When the query itself fails, its error is what the caller sees: the aborted transaction's
    rollback undoes the planner setting, and the restore sent after it is skipped."""
    from feedback.figures.cohort import fetch_all

    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: a planner setting")
    with pytest.raises(sa.exc.DataError, match="division by zero"):
        fetch_all(sa.select(sa.literal_column("1") / sa.literal_column("0")), hashed=True)
    db.session.rollback()
    assert db.session.execute(sa.text("SHOW enable_sort")).scalar_one() == "on"


def test_the_error_of_a_batch_names_the_statement_that_failed(app):
    """A batch sent at once fails on one statement: the error the caller (and the log) gets
    carries that statement's SQL and values, not the batch's first one's."""
    from feedback.figures.cohort import fetch_together

    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: a batch in one round trip")
    fine = sa.select(sa.literal_column("1").label("fine"))
    failing = sa.select((sa.literal_column("1") / sa.bindparam("divisor")).label("failing"))
    for flags in ([False, False, False], [True, True, False]):  # with the sort switched off around two
        with pytest.raises(sa.exc.DataError, match="division by zero") as caught:
            fetch_together([(fine, None), (failing, {"divisor": 0}), (fine, None)], hashed=flags)
        assert "failing" in caught.value.statement and caught.value.params == {"divisor": 0}
        db.session.rollback()


def test_a_hashed_query_is_planned_without_sorts(app):
    """The setting is in force while the query runs (the three statements go to the server at
    once), and back as it was right after."""
    from feedback.figures.cohort import fetch_all

    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: a planner setting")
    setting = sa.select(sa.func.current_setting("enable_sort"), sa.literal(7))
    assert fetch_all(setting, hashed=True) == [("off", 7)]
    assert db.session.execute(sa.text("SHOW enable_sort")).scalar_one() == "on"
    assert [tuple(row) for row in fetch_all(setting)] == [("on", 7)]


def test_statements_sent_together_are_each_planned_as_flagged(app):
    """A batch of hashed and other statements: each reads its own setting (a run of hashed ones
    between a switch off and back), whether the batch goes at once or one statement at a time
    (an expanding IN list makes the SQL depend on its values)."""
    from feedback.figures.cohort import fetch_together

    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: a planner setting")
    setting = sa.select(sa.func.current_setting("enable_sort"))
    one_at_a_time = sa.select(sa.func.current_setting("enable_sort")).where(
        sa.literal(1).in_(sa.bindparam("ones", expanding=True)))
    for last in (setting, one_at_a_time):
        statements = [(setting, None), (setting, None), (setting, None), (setting, None), (last, {"ones": [1]})]
        rows = fetch_together(statements, hashed=[False, True, True, False, True])
        assert [r[0][0] for r in rows] == ["on", "off", "off", "on", "off"]
        assert db.session.execute(sa.text("SHOW enable_sort")).scalar_one() == "on"
    with pytest.raises(ValueError, match="one flag per statement"):
        fetch_together([(setting, None)], hashed=[True, False])
