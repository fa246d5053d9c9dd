"""One uploaded file: who sent it, what it is, where its bytes are, what it belongs to."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from feedback.extensions import db
from feedback.timeutil import UTCDateTime

CONTENT_TYPES = {
    "png": "image/png",
    "jpeg": "image/jpeg",
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class Attachment(db.Model):
    """Uploaded first (ticket set, `event_id` empty), then attached by the reply or note that
    names it: that event is its owner. Kept as long as its ticket (CONTRACT.md)."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Nullable: a finding's 整改 report carries attachments of no ticket.
    ticket_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tickets.id"), index=True)
    event_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ticket_events.id"), index=True)
    # A finding's file (migration 0021): uploaded to the finding, then carried by the 整改 report
    # that names it. Served only to those who see the finding.
    finding_id: Mapped[int | None] = mapped_column(sa.ForeignKey("findings.id"), index=True)
    finding_event_id: Mapped[int | None] = mapped_column(sa.ForeignKey("finding_events.id"))
    name: Mapped[str] = mapped_column(sa.String(255))  # as the uploader named it
    size: Mapped[int] = mapped_column(sa.BigInteger)
    content_type: Mapped[str] = mapped_column(sa.String(100))  # sniffed from the bytes, never trusted
    storage_key: Mapped[str] = mapped_column(sa.String(64), unique=True)  # the file under UPLOAD_DIR
    sha256: Mapped[str] = mapped_column(sa.String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    uploaded_by: Mapped[str] = mapped_column(sa.String(200))  # a readable label, as on events
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime)

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")
