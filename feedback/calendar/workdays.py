"""Chinese working days: the chinese_calendar package, overridden by loaded CalendarDay rows.

A year is *known* when the package ships its schedule or any override row for it was loaded
(a published schedule lists all its special days). Unknown years fall back to the weekend
rule, and anything computed from them is provisional (DESIGN.md: Deadlines).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from functools import lru_cache

import chinese_calendar
from chinese_calendar import constants as _cc

PACKAGE_YEARS = frozenset(d.year for d in _cc.holidays) | frozenset(d.year for d in _cc.workdays)


@lru_cache(maxsize=8192)
def _package_is_workday(d: date) -> bool:
    return chinese_calendar.is_workday(d)


class WorkCalendar:
    def __init__(self, overrides: Mapping[date, bool] | None = None, loaded_years: Iterable[int] = ()):
        self.overrides = dict(overrides or {})
        self.known_years = PACKAGE_YEARS | {d.year for d in self.overrides} | set(loaded_years)

    def is_known_year(self, year: int) -> bool:
        return year in self.known_years

    def is_workday(self, d: date) -> bool:
        if d in self.overrides:
            return self.overrides[d]
        if d.year in PACKAGE_YEARS:
            return _package_is_workday(d)
        return d.weekday() < 5

    def nth_workday_after(self, d: date, n: int) -> tuple[date, bool]:
        """The nth working day strictly after d, and whether an unknown year was consulted."""
        if n < 1:
            raise ValueError("n must be at least 1")
        provisional = False
        day = d
        found = 0
        while found < n:
            day += timedelta(days=1)
            if not self.is_known_year(day.year):
                provisional = True
            if self.is_workday(day):
                found += 1
        return day, provisional

    def workdays_between(self, start: date, end: date) -> tuple[int, bool]:
        """Working days after `start` up to and including `end` (0 when end <= start)."""
        count = 0
        provisional = False
        day = start
        while day < end:
            day += timedelta(days=1)
            if not self.is_known_year(day.year):
                provisional = True
            if self.is_workday(day):
                count += 1
        return count, provisional

    def special_days(self, year: int) -> list[tuple[date, bool, str]]:
        """Days of the year that differ from the plain weekend rule, with a note."""
        out = []
        day = date(year, 1, 1)
        while day.year == year:
            workday = self.is_workday(day)
            if workday != (day.weekday() < 5):
                note = ""
                if day in self.overrides:
                    note = "override"
                elif year in PACKAGE_YEARS:
                    _, name = chinese_calendar.get_holiday_detail(day)
                    # a make-up workday carries its holiday's name too: "国庆节 调休上班"
                    note = f"{_chinese_name(name)} 调休上班".strip() if workday else _chinese_name(name)
                out.append((day, workday, note))
            day += timedelta(days=1)
        return out


def _chinese_name(name: str | None) -> str:
    """The package names holidays in English ("National Day"); the office reads 国庆节."""
    try:
        return chinese_calendar.Holiday(name).chinese
    except ValueError:
        return name or ""


DEFAULT = WorkCalendar()
