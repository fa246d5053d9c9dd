"""Which days are working days (DESIGN.md: Deadlines — Working day). Plain Python."""
from __future__ import annotations

from datetime import date

from feedback.calendar.workdays import DEFAULT, PACKAGE_YEARS, WorkCalendar


def test_the_package_knows_make_up_days_and_holidays_of_2026():
    assert DEFAULT.is_workday(date(2026, 10, 10))  # Sat, 国庆节 调休上班
    assert not DEFAULT.is_workday(date(2026, 10, 1))  # Thu, 国庆节
    assert not DEFAULT.is_workday(date(2026, 10, 11))  # plain Sunday
    assert DEFAULT.is_known_year(2026)


def test_an_unknown_year_falls_back_to_weekends_and_does_not_crash():
    assert 2027 not in PACKAGE_YEARS and not DEFAULT.is_known_year(2027)
    assert DEFAULT.is_workday(date(2027, 1, 1))  # a Friday: the weekend rule says working
    assert not DEFAULT.is_workday(date(2027, 1, 2))  # Saturday


def test_a_loaded_row_overrides_the_package_and_makes_its_year_known():
    cal = WorkCalendar({date(2026, 10, 10): False, date(2027, 1, 1): False})
    assert not cal.is_workday(date(2026, 10, 10))
    assert not cal.is_workday(date(2027, 1, 1))
    assert cal.is_known_year(2027) and not cal.is_known_year(2028)


def test_nth_workday_after_reports_whether_an_unknown_year_was_consulted():
    assert DEFAULT.nth_workday_after(date(2026, 12, 30), 1) == (date(2026, 12, 31), False)
    assert DEFAULT.nth_workday_after(date(2026, 12, 30), 2) == (date(2027, 1, 1), True)


def test_special_days_name_holidays_and_make_up_days_in_chinese():
    days = {d: (workday, note) for d, workday, note in DEFAULT.special_days(2026)}
    assert days[date(2026, 10, 1)] == (False, "国庆节")
    assert days[date(2026, 10, 10)] == (True, "国庆节 调休上班")
    assert date(2026, 10, 11) not in days  # a plain Sunday is standard
    # an unknown year has none until it is loaded
    assert DEFAULT.special_days(2027) == []
    loaded = WorkCalendar({date(2027, 1, 1): False, date(2027, 1, 4): True})
    # Jan 4 2027 is a Monday: loaded as a working day it is standard, so not listed
    assert loaded.special_days(2027) == [(date(2027, 1, 1), False, "override")]
