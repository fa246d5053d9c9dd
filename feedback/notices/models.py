"""What the office was told.

A Notification records one thing told to one unit's people (its staff or its supervisors):
the unique `dedupe_key` is what makes every sweep safe to repeat — nobody is told twice about
the same thing, while a new deadline makes a new key. Its e-mail copy has its own small state
machine (pending → sending → sent, or back to pending with a later `email_next_at`).
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from feedback.extensions import db
from feedback.timeutil import UTCDateTime, now

NOTICE_KINDS = ("remind", "overdue", "digest", "deadline", "finding_remind", "finding_overdue")
AUDIENCES = ("unit_staff", "supervisor")
EMAIL_STATES = ("pending", "sending", "sent", "skipped", "failed")


class Notification(db.Model):
    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    dedupe_key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"))  # whose people are told
    audience: Mapped[str] = mapped_column(sa.String(20))  # which of them: a role
    ticket_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tickets.id"))
    finding_id: Mapped[int | None] = mapped_column(sa.ForeignKey("findings.id"), index=True)  # a 整改 notice
    about_unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"))  # the ticket's unit then
    subject_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the deadline (or day) it is about
    # Digest figures, a deadline-change list; none for a ticket's notice (the ticket says it all).
    data: Mapped[dict | None] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    email_status: Mapped[str] = mapped_column(sa.String(10), default="pending")
    email_attempts: Mapped[int] = mapped_column(default=0)
    email_next_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # due, or the claim's lease end
    email_claim: Mapped[str | None] = mapped_column(sa.String(32))
    email_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    email_error: Mapped[str | None] = mapped_column(sa.Text)

    __table_args__ = (
        # the sweep's "already told?" anti-join
        sa.Index("ix_notifications_ticket_kind_subject", "ticket_id", "kind", "subject_at"),
        # a person's list of notices
        sa.Index("ix_notifications_unit_audience_id", "unit_id", "audience", "id"),
        # the outbox
        sa.Index("ix_notifications_email_due", "email_status", "email_next_at"),
        sa.CheckConstraint(sa.text(
            "kind in ('remind','overdue','digest','deadline','finding_remind','finding_overdue')"), name="kind"),
        sa.CheckConstraint(
            sa.text("email_status in ('pending','sending','sent','skipped','failed')"), name="email_status"),
    )
