from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from feedback.extensions import db
from feedback.timeutil import UTCDateTime


class NoticeCutoff(db.Model):
    """A generated notice's window, remembered so the next one starts the day after its `to`
    (DESIGN.md: notices run from one cut-off to the next)."""

    __tablename__ = "notice_cutoffs"
    __table_args__ = (sa.Index("ix_notice_cutoffs_scope_unit_id_created_at", "scope_unit_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope_unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"))  # None: every top unit
    date_from: Mapped[date] = mapped_column(sa.Date)
    date_to: Mapped[date] = mapped_column(sa.Date)  # inclusive: the cut-off date
    as_of: Mapped[datetime] = mapped_column(UTCDateTime)
    format: Mapped[str] = mapped_column(sa.String(10))
    actor: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
