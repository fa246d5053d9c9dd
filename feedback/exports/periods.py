"""Reading the periods and cut-off times that exports are asked for (CLI, web, API).

CONTRACT.md: dates are inclusive local dates; a time without an offset is Asia/Shanghai.
Every parser raises PeriodError naming the field, so each edge can say what to fix.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from feedback.timeutil import FIRST_YEAR, LAST_YEAR, LOCAL, end_of_local_day, local_date, start_of_local_day

YEARS = f"between {FIRST_YEAR} and {LAST_YEAR}"

_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_QUARTER = re.compile(r"^(\d{4})[Qq]([1-4])$")


class PeriodError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Period:
    date_from: date
    date_to: date  # inclusive

    @property
    def starts_at(self) -> datetime:
        return start_of_local_day(self.date_from)

    @property
    def ends_before(self) -> datetime:
        """The first instant after the period (exclusive upper bound for SQL)."""
        return start_of_local_day(self.date_to + timedelta(days=1))


def parse_date(value: str | None, field: str) -> date:
    if not value or not str(value).strip():
        raise PeriodError(field, "required: a date like 2026-10-31")
    try:
        day = date.fromisoformat(str(value).strip())
    except ValueError:
        raise PeriodError(field, f"expected a date like 2026-10-31, got {value!r}") from None
    _check_year(field, day.year, value)
    return day


def _check_year(field: str, year: int, value) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise PeriodError(field, f"a year {YEARS}, got {value!r}")


def parse_month(value: str | None, field: str = "month") -> Period:
    match = _MONTH.match((value or "").strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise PeriodError(field, f"expected a month like 2026-10 (YYYY-MM), got {value!r}")
    _check_year(field, int(match.group(1)), value)
    return month_period(int(match.group(1)), int(match.group(2)))


def month_period(year: int, month: int) -> Period:
    first = date(year, month, 1)
    following = date(year + (month == 12), month % 12 + 1, 1)
    return Period(first, following - timedelta(days=1))


def previous_month(day: date) -> Period:
    last = day.replace(day=1) - timedelta(days=1)
    return month_period(last.year, last.month)


def parse_range(date_from: str | None, date_to: str | None, *, from_field: str = "from",
                to_field: str = "to") -> Period:
    start = parse_date(date_from, from_field)
    end = parse_date(date_to, to_field)
    if end < start:
        raise PeriodError(to_field, f"{end.isoformat()} is before {from_field} {start.isoformat()}")
    return Period(start, end)


@dataclass(frozen=True)
class Quarter:
    year: int
    number: int  # 1..4

    @property
    def label(self) -> str:
        return f"{self.year}Q{self.number}"

    @property
    def chinese(self) -> str:
        """2026年第四季度: the notices' own words, whatever the reader's language."""
        return f"{self.year}年第{'一二三四'[self.number - 1]}季度"

    @property
    def period(self) -> Period:
        first = date(self.year, 3 * self.number - 2, 1)
        last = month_period(self.year, 3 * self.number).date_to
        return Period(first, last)


def parse_quarter(value: str | None, field: str = "quarter") -> Quarter:
    match = _QUARTER.match((value or "").strip())
    if not match:
        raise PeriodError(field, f"expected a quarter like 2026Q3 (YYYYQn, n = 1..4), got {value!r}")
    _check_year(field, int(match.group(1)), value)
    return Quarter(int(match.group(1)), int(match.group(2)))


def parse_as_of(value: str | None, field: str = "as_of") -> datetime | None:
    """A cut-off time; None when not given. A bare date means the end of that local day
    (as of 2024-03-10 includes everything that happened on the 10th)."""
    if value is None or not str(value).strip():
        return None
    text = str(value).strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            _check_year(field, day.year, value)
            return end_of_local_day(day)
        t = datetime.fromisoformat(text.replace(" ", "T", 1) if " " in text else text)
        _check_year(field, t.year, value)
    except ValueError:
        raise PeriodError(field, f"expected a time like 2026-10-31T18:00 or 2026-10-31T18:00+08:00, "
                                 f"got {value!r}") from None
    return t.replace(tzinfo=LOCAL) if t.tzinfo is None else t


def cut_off(period: Period, as_of: datetime, field: str = "as_of") -> Period:
    """The period as far as it has happened at `as_of` (DESIGN.md: when the quarter is not over
    at the cut-off time, the range ends at the cut-off date, as in the 南充 notice)."""
    today = local_date(as_of)
    if today < period.date_from:
        raise PeriodError(field, f"the period starts {period.date_from.isoformat()}, after the cut-off "
                                 f"{as_of.astimezone(LOCAL).isoformat()}")
    return Period(period.date_from, min(period.date_to, today))
