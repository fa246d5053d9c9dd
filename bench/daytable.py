"""Working days and timestamps as precomputed arrays, for generating a million tickets quickly.

The product computes one deadline at a time by walking the calendar (calendar/deadlines.py);
the generator needs millions of them, so it precomputes, per local day, how many working days
came before it. Then "the Nth working day strictly after day d" and "working days in (a, b]"
are list lookups. The answers are the same as WorkCalendar's (the smoke test checks every
generated ticket against calendar/deadlines.py).

Times are integer seconds since the epoch (UTC). Asia/Shanghai has had no daylight saving
since 1991, so a local date is (t + 8 h) // 1 day.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from feedback.calendar.workdays import WorkCalendar

DAY = 86_400
OFFSET = 8 * 3600  # Asia/Shanghai
EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def epoch(t: datetime) -> int:
    return int(t.timestamp())


def local_day(t: int) -> int:
    """Days since 1970-01-01 of t's local (Asia/Shanghai) date."""
    return (t + OFFSET) // DAY


def end_of_local_day(day: int) -> int:
    """23:59:59 local of that day, as epoch seconds (DESIGN.md: Deadlines — Counting)."""
    return day * DAY + DAY - 1 - OFFSET


def local_time(day: int, seconds: int) -> int:
    """Epoch seconds of `seconds` after local midnight of `day`."""
    return day * DAY + seconds - OFFSET


class DayTable:
    """Working days over [first, last] (local dates), indexable by days since the epoch."""

    def __init__(self, calendar: WorkCalendar, first: date, last: date):
        self.first = first.toordinal() - EPOCH_ORDINAL
        self.last = last.toordinal() - EPOCH_ORDINAL
        self.is_workday: list[bool] = []
        self.cum: list[int] = []  # working days on or before each day (within the table)
        self.unknown: list[int] = []  # days of unknown years on or before each day
        self.workdays: list[int] = []  # epoch day numbers of the working days, ascending
        workdays = unknown = 0
        d = first
        while d <= last:
            works = calendar.is_workday(d)
            self.is_workday.append(works)
            if works:
                workdays += 1
                self.workdays.append(d.toordinal() - EPOCH_ORDINAL)
            if not calendar.is_known_year(d.year):
                unknown += 1
            self.cum.append(workdays)
            self.unknown.append(unknown)
            d += timedelta(days=1)

    def works(self, day: int) -> bool:
        return self.is_workday[day - self.first]

    def nth_after(self, day: int, n: int) -> tuple[int, bool]:
        """The nth working day strictly after `day`, and whether an unknown year was consulted
        (the same answer as WorkCalendar.nth_workday_after)."""
        i = day - self.first
        due = self.workdays[self.cum[i] + n - 1]
        return due, self.unknown[due - self.first] > self.unknown[i]

    def workday_on_or_after(self, day: int, k: int) -> int:
        """`day` itself when k == 0 and it is a working day, else the kth working day after it."""
        if k == 0 and self.is_workday[day - self.first]:
            return day
        return self.workdays[self.cum[day - self.first] + max(k, 1) - 1]

    def between(self, start: int, end: int) -> int:
        """Working days after `start` up to and including `end` (deadlines.handling_workdays)."""
        if end <= start:
            return 0
        return self.cum[end - self.first] - self.cum[start - self.first]

    def workdays_before(self, day: int, k: int) -> int:
        """The kth working day before `day` (k >= 1)."""
        return self.workdays[self.cum[day - self.first - 1] - k]


class TimeText:
    """Fast text forms of epoch seconds: naive UTC as SQLAlchemy stores it, and local ISO 8601
    with offset as the product prints it (timeutil.iso)."""

    def __init__(self, first_day: int, last_day: int):
        self.first = first_day - 1  # UTC dates start up to a day before the local ones
        start = date.fromordinal(self.first + EPOCH_ORDINAL)
        count = last_day - self.first + 2
        self.dates = [(start + timedelta(days=i)).isoformat() for i in range(count)]
        self.clock = [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(DAY)]

    def db(self, t: int | None) -> str | None:
        """'YYYY-MM-DD HH:MM:SS.000000' UTC: the exact text SQLAlchemy's DateTime writes on SQLite."""
        if t is None:
            return None
        day, sec = divmod(t, DAY)
        return f"{self.dates[day - self.first]} {self.clock[sec]}.000000"

    def iso(self, t: int) -> str:
        day, sec = divmod(t + OFFSET, DAY)
        return f"{self.dates[day - self.first]}T{self.clock[sec]}+08:00"


def to_datetime(t: int) -> datetime:
    return datetime.fromtimestamp(t, timezone.utc)
