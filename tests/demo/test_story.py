"""The demo's planned year, without a database: plain functions of (time, seed, calendar)."""
from __future__ import annotations

import random

from feedback.calendar.workdays import WorkCalendar
from feedback.demo import city
from feedback.demo.story import CLOSES, OPENS, Story
from feedback.timeutil import LOCAL
from tests.demo.conftest import AT

CAL = WorkCalendar()
UNITS = {u.code: u for u in city.units()}


def plan(seed: int):
    return Story(AT, random.Random(seed), CAL, UNITS, city.targets(), lambda category: 3).plans()


def test_same_seed_same_plan_and_another_seed_another():
    def shape(plans):
        return [(p.report["platform_id"], p.report["description"], [(s.at, s.action) for s in p.steps]) for p in plans]

    assert shape(plan(1)) == shape(plan(1))
    assert shape(plan(1)) != shape(plan(2))


def test_people_act_in_office_hours_on_working_days_after_receipt_and_before_now():
    for p in plan(3):
        last = p.received_at
        for step in p.steps:
            local = step.at.astimezone(LOCAL)
            assert last < step.at < AT, (p.report["platform_id"], step)
            assert CAL.is_workday(local.date()) and OPENS <= local.time() <= CLOSES, step
            last = step.at


def test_platform_ids_are_unique_and_dated():
    ids = [p.report["platform_id"] for p in plan(4)]
    assert len(ids) == len(set(ids))
    first = plan(4)[0]
    assert first.report["platform_id"].startswith(f"ZC{first.received_at:%Y%m%d}")
