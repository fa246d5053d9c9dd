from datetime import datetime

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from feedback.extensions import db
from feedback.timeutil import UTCDateTime, now


class CalendarDay(db.Model):
    """An override of the chinese_calendar package for one date (DESIGN.md: Deadlines)."""

    __tablename__ = "calendar_days"

    date: Mapped[dt.date] = mapped_column(sa.Date, primary_key=True)
    is_workday: Mapped[bool]
    note: Mapped[str] = mapped_column(sa.String(200), default="")
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class CalendarVersion(db.Model):
    """One row: a token that triggers on `calendar_days` replace at every write (migration 0016),
    so a process may reuse the calendar it built while the token stands (calendar/service.py)."""

    __tablename__ = "calendar_version"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(sa.BigInteger)
