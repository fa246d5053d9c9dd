"""The 整改 finding (a problem found by 抽查 or from messages, with a fix-by date) and its
append-only history (DESIGN.md: Inspection findings and rectification)."""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from feedback.directory.models import Unit
from feedback.extensions import db
from feedback.timeutil import UTCDateTime, now

STATES = ("open", "reported", "accepted")


class Finding(db.Model):
    __tablename__ = "findings"

    id: Mapped[int] = mapped_column(primary_key=True)
    state: Mapped[str] = mapped_column(sa.String(20), default="open")
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"))  # the unit that must fix it
    site_code: Mapped[str | None] = mapped_column(sa.String(32))  # 网站标识码
    account: Mapped[str | None] = mapped_column(sa.String(200))  # or the new-media account
    category: Mapped[str] = mapped_column(sa.String(32), default="other")  # the tickets' codes
    category_label: Mapped[str | None] = mapped_column(sa.String(100))  # the raw label as given
    description: Mapped[str] = mapped_column(sa.Text)
    url: Mapped[str | None] = mapped_column(sa.Text)  # evidence: where the problem is
    source: Mapped[str | None] = mapped_column(sa.String(200), index=True)  # 来源: the notice
    fix_by: Mapped[date] = mapped_column(sa.Date)  # 整改期限: overdue after 23:59:59 local that day
    ticket_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tickets.id"), index=True)  # came from it

    report_text: Mapped[str | None] = mapped_column(sa.Text)  # the latest 整改 report
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # 复核 passed

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, onupdate=now)

    unit: Mapped[Unit] = relationship()
    events: Mapped[list["FindingEvent"]] = relationship(
        back_populates="finding", order_by="FindingEvent.id", cascade="save-update, merge")

    __table_args__ = (
        sa.Index("ix_findings_unit_state_fix_by", "unit_id", "state", "fix_by"),
        sa.Index("ix_findings_state_fix_by", "state", "fix_by"),
        sa.CheckConstraint(sa.text("state in ('open','reported','accepted')"), name="state"),
    )


class FindingEvent(db.Model):
    """Append-only: created, reported, sent back, accepted. Never updated or deleted."""

    __tablename__ = "finding_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    finding_id: Mapped[int] = mapped_column(sa.ForeignKey("findings.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    actor: Mapped[str] = mapped_column(sa.String(200))
    action: Mapped[str] = mapped_column(sa.String(40))
    from_state: Mapped[str | None] = mapped_column(sa.String(20))
    to_state: Mapped[str | None] = mapped_column(sa.String(20))
    data: Mapped[dict] = mapped_column(sa.JSON, default=dict)

    finding: Mapped[Finding] = relationship(back_populates="events")
