"""Settings: typed values, in force from the moment they are saved, audited, and read by the
deadline computation at the time each clock starts (DESIGN.md: Settings)."""
from __future__ import annotations

from datetime import datetime

import pytest

from feedback.accounts.scope import Actor
from feedback.extensions import db
from feedback.settings import service
from feedback.settings.models import SettingChange
from feedback.settings.registry import SettingError
from feedback.timeutil import LOCAL


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=LOCAL)


def test_defaults_come_from_the_config_until_a_value_is_saved(app):
    assert service.get("deadline.unit_days") == 3
    assert service.get("deadline.platform_days") == 5
    assert service.get("publication.enabled") is False
    assert service.get("notice.section") == "（三）"
    assert service.get("deadline.unit_days.security") is None  # falls back to deadline.unit_days
    app.config["UNIT_DEADLINE_DAYS"] = 4
    app.config["EXPORT_ASSESSMENT_RULES"] = {"points_per_late": 2}
    assert service.get("deadline.unit_days") == 4
    assert service.get("deduction.points_per_late") == 2.0


def test_a_value_holds_from_its_save_time_and_a_past_time_keeps_the_old_one(app, world, clock):
    clock.set("2026-11-10T09:00")
    change = service.set_value("deadline.unit_days", "5", Actor.of(world.users["boss"]), clock())
    db.session.commit()
    assert (change.previous, change.value, change.actor) == ("3", "5", "boss")
    assert service.get("deadline.unit_days", at("2026-11-10T08:59:59")) == 3
    assert service.get("deadline.unit_days", at("2026-11-10T09:00")) == 5
    clock.set("2026-11-20T09:00")
    service.set_value("deadline.unit_days", "4", Actor.system("cli"), clock())
    db.session.commit()
    # three values in force, each over its own stretch of time
    assert [service.get("deadline.unit_days", at(t)) for t in
            ("2026-11-01T00:00", "2026-11-15T00:00", "2026-11-25T00:00")] == [3, 5, 4]
    assert db.session.query(SettingChange).count() == 2


def test_saving_the_value_in_force_records_nothing(app, clock):
    assert service.set_value("deadline.unit_days", "3", Actor.system("cli"), clock()) is None
    assert db.session.query(SettingChange).count() == 0


@pytest.mark.parametrize("key, raw, says", [
    ("deadline.unit_days", "three", "whole number"),
    ("deadline.unit_days", "0", "from 1 to 60"),
    ("publication.enabled", "maybe", "true or false"),
    ("deduction.rate_flag_below", "120%", "percentage"),
    ("notice.elements", "closed,colour", "colour"),
    ("notice.attachment", "county", "region, unit"),
    ("no.such.key", "1", "no such setting"),
])
def test_a_bad_value_or_key_is_refused_naming_it(app, clock, key, raw, says):
    with pytest.raises(SettingError) as caught:
        service.set_value(key, raw, Actor.system("cli"), clock())
    assert key in str(caught.value) and says in str(caught.value)
    assert db.session.query(SettingChange).count() == 0


def test_percent_and_lists_are_read_as_people_type_them(app, clock):
    service.set_value("deduction.rate_flag_below", "95%", Actor.system("cli"), clock())
    service.set_value("notice.elements", "units_full, closed，valid", Actor.system("cli"), clock())
    assert service.get("deduction.rate_flag_below") == 0.95
    assert service.get("notice.elements") == ("valid", "closed", "units_full")  # the registry's order


def test_a_unit_clock_uses_the_deadline_in_force_when_it_starts(app, world, clock, make_ticket):
    # Tue 2026-11-10 10:00, N=3 → Fri 11-13 23:59:59 (November 2026 has no holidays)
    clock.set("2026-11-10T10:00")
    before = make_ticket("T-BEFORE")
    assert before.unit_due_at.astimezone(LOCAL).date().isoformat() == "2026-11-13"
    clock.set("2026-11-10T11:00")
    service.set_value("deadline.unit_days", "5", Actor.system("cli"), clock())
    service.set_value("deadline.unit_days.broken_link", "2", Actor.system("cli"), clock())
    db.session.commit()
    clock.set("2026-11-10T12:00")
    after = make_ticket("T-AFTER")  # content error: 5 working days → Tue 11-17
    link = make_ticket("T-LINK", category="broken_link")  # its own 2 → Thu 11-12
    assert after.unit_due_at.astimezone(LOCAL).date().isoformat() == "2026-11-17"
    assert link.unit_due_at.astimezone(LOCAL).date().isoformat() == "2026-11-12"
    db.session.refresh(before)  # a clock that started before the change keeps its N
    assert before.unit_clock_days == 3


def test_the_platform_clock_uses_the_days_in_force_at_receipt(app, world, clock, make_ticket):
    clock.set("2026-11-10T10:00")
    service.set_value("deadline.platform_days", "7", Actor.system("cli"), clock())
    db.session.commit()
    t = make_ticket("T-P")  # Tue 11-10, 7 working days → Thu 11-19
    assert t.platform_due_at.astimezone(LOCAL).date().isoformat() == "2026-11-19"
