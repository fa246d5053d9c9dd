"""The calendar as stored: load overrides, build a WorkCalendar, parse a schedule file."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from feedback.calendar.models import CalendarDay, CalendarVersion
from feedback.calendar.workdays import WorkCalendar
from feedback.errors import InputError
from feedback.extensions import db
from feedback.figures import snapshot
from feedback.tabular import decode_text

NOTE_LENGTH = 200  # CalendarDay.note


ASK = object()  # current_calendar(version=ASK): read the token here
_kept: dict[str, tuple[int, WorkCalendar]] = {}  # database URL → (token, the calendar built under it)


def version_column():
    """calendar_version's token as a scalar subquery, for a query that runs anyway (api/auth.py)."""
    return sa.select(CalendarVersion.version).where(CalendarVersion.id == 1).scalar_subquery()


def current_calendar(session=None, *, version=ASK) -> WorkCalendar:
    """The working-day calendar in force: the package's years with the stored overrides.

    The process keeps the last one it built and reuses it while calendar_version's token stands
    (triggers replace it at any write to calendar_days, migration 0016). The token is read
    before the rows, so a change that commits in between can only make the kept calendar newer
    than its token, never older. version: the token when the caller has read it already
    (version_column()); None means no token (nothing is reused). The calendar is shared
    between callers: do not change it."""
    if version is ASK:
        def ask():
            return (session or db.session).execute(
                sa.select(CalendarVersion.version).where(CalendarVersion.id == 1)).scalar()

        # in a figures snapshot the token is read once (snapshot.begin() reads it with the unit tree's)
        version = ask() if session is not None else snapshot.once(snapshot.CALENDAR_TOKEN, ask)
    session = session or db.session
    url = str(session.get_bind().url)
    kept = _kept.get(url)
    if version is not None and kept is not None and kept[0] == version:
        return kept[1]
    rows = session.execute(sa.select(CalendarDay.date, CalendarDay.is_workday)).all()
    calendar = WorkCalendar({d: w for d, w in rows})
    if version is not None:
        _kept[url] = (version, calendar)
    return calendar


@dataclass
class DayRow:
    date: date
    is_workday: bool
    note: str


def parse_calendar_csv(data: bytes) -> list[DayRow]:
    """CSV `date, is_workday, note` (is_workday 1/0). Errors name the line and what to fix."""
    text = _decode(data)
    reader = csv.reader(io.StringIO(text))
    rows: list[DayRow] = []
    errors: list[str] = []
    seen: dict[date, int] = {}
    for lineno, rec in enumerate(reader, start=1):
        if not rec or all(not c.strip() for c in rec):
            continue
        if lineno == 1 and rec[0].strip().lower() in ("date", "日期"):
            continue
        if len(rec) < 2:
            errors.append(f"line {lineno}: expected date,is_workday[,note]")
            continue
        raw_date, raw_flag = rec[0].strip(), rec[1].strip()
        try:
            day = date.fromisoformat(raw_date)
        except ValueError:
            errors.append(f"line {lineno}: date {raw_date!r} is not YYYY-MM-DD")
            continue
        if raw_flag not in ("0", "1"):
            errors.append(f"line {lineno}: is_workday {raw_flag!r} must be 1 or 0")
            continue
        note = rec[2].strip() if len(rec) > 2 else ""
        if len(note) > NOTE_LENGTH:
            errors.append(f"line {lineno}: note is longer than {NOTE_LENGTH} characters; shorten it")
            continue
        if day in seen:  # two rows for one day: which one the office meant is not ours to guess
            errors.append(f"line {lineno}: {day} is already on line {seen[day]}; keep one line per day")
            continue
        seen[day] = lineno
        rows.append(DayRow(day, raw_flag == "1", note))
    if errors:
        more = f"; and {len(errors) - 20} more" if len(errors) > 20 else ""
        raise InputError({"file": "; ".join(errors[:20]) + more})
    return rows


def _decode(data: bytes) -> str:
    text = decode_text(data)
    if text is None:
        raise InputError({"file": "not UTF-8 or GB18030 text"})
    return text


def store_days(rows: list[DayRow], session=None) -> set[int]:
    """Upsert the override rows; returns the years touched."""
    session = session or db.session
    for row in rows:
        existing = session.get(CalendarDay, row.date)
        if existing is None:
            session.add(CalendarDay(date=row.date, is_workday=row.is_workday, note=row.note))
        else:
            existing.is_workday = row.is_workday
            existing.note = row.note
    session.flush()
    return {r.date.year for r in rows}
