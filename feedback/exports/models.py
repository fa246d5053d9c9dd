from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from feedback.extensions import db
from feedback.timeutil import UTCDateTime, now


class ExportJob(db.Model):
    """A requested or scheduled export; the file lives under EXPORT_DIR."""

    __tablename__ = "export_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20))  # closure | assessment
    format: Mapped[str] = mapped_column(sa.String(10))
    params: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    scope_unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"))
    automatic: Mapped[bool] = mapped_column(default=False)
    # One automatic export per (kind, scope, month): a unique key makes a repeated or racing
    # cron run find the existing job instead of producing a second one.
    dedupe_key: Mapped[str | None] = mapped_column(sa.String(120), unique=True)
    status: Mapped[str] = mapped_column(sa.String(20), default="queued")  # queued|running|done|failed
    progress: Mapped[int] = mapped_column(default=0)  # 0..100
    path: Mapped[str | None] = mapped_column(sa.String(500))
    filename: Mapped[str | None] = mapped_column(sa.String(200))
    error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
