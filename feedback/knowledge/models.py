"""Reply templates and each use of one in a reply (to count how often such replies are sent back)."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from feedback.extensions import db
from feedback.timeutil import UTCDateTime


class ReplyTemplate(db.Model):
    __tablename__ = "reply_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    category: Mapped[str | None] = mapped_column(sa.String(32))  # a ticket category; NULL = any
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)  # with {placeholders} (knowledge/service.py)
    active: Mapped[bool] = mapped_column(default=True)
    updated_by: Mapped[str] = mapped_column(sa.String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TemplateUse(db.Model):
    """A reply built from a template; `rejected_event_id` is set when the office sent it back."""

    __tablename__ = "template_uses"

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(sa.ForeignKey("reply_templates.id"), index=True)
    ticket_id: Mapped[int] = mapped_column(sa.ForeignKey("tickets.id"), index=True)
    reply_event_id: Mapped[int] = mapped_column(sa.ForeignKey("ticket_events.id"), unique=True)
    rejected_event_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ticket_events.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
