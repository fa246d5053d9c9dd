"""A file import and its per-row results (DESIGN.md: Ingestion, file import)."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from feedback.extensions import db
from feedback.timeutil import UTCDateTime, now

IMPORT_STATUSES = ("queued", "running", "done", "failed")


class ImportJob(db.Model):
    """One uploaded (or command-line) file being turned into tickets.

    The row is the job's whole state: a worker claims it (`runner`), commits each chunk of rows
    together with `rows_done`, and beats `heartbeat_at`; a sweep requeues a job whose heartbeat
    went stale, and the next runner resumes after `rows_done`.
    """

    __tablename__ = "import_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    origin: Mapped[str] = mapped_column(sa.String(10), default="web")  # web | cli
    filename: Mapped[str] = mapped_column(sa.String(255))  # as the person named it
    path: Mapped[str] = mapped_column(sa.String(1000))  # where the file is stored
    size: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    # Whose subtree may see the job: the owner's unit. NULL (command line) = the root office only.
    scope_unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"))

    status: Mapped[str] = mapped_column(sa.String(20), default="queued", index=True)
    rows_total: Mapped[int | None]  # data rows below the header (blank ones included)
    rows_done: Mapped[int] = mapped_column(default=0)  # data rows committed: the resume point
    created_rows: Mapped[int] = mapped_column(default=0)
    duplicate_rows: Mapped[int] = mapped_column(default=0)
    error_rows: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(sa.Text)  # why the file as a whole was refused

    attempts: Mapped[int] = mapped_column(default=0)
    runner: Mapped[str | None] = mapped_column(sa.String(100))  # "host:pid:token" of the live run
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    enqueued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # when the retention rule removed the uploaded file (imports/retention.py)
    file_deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    owner = relationship("User")

    __table_args__ = (
        sa.CheckConstraint(sa.text("status in ('queued','running','done','failed')"), name="status"),
    )

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed")

    @property
    def percent(self) -> int:
        if self.status == "done":
            return 100
        if not self.rows_total:
            return 0
        return min(99, self.rows_done * 100 // self.rows_total)


class ImportRow(db.Model):
    """The outcome of one spreadsheet row, numbered as Excel shows it (the header is row 1)."""

    __tablename__ = "import_rows"

    job_id: Mapped[int] = mapped_column(sa.ForeignKey("import_jobs.id", ondelete="CASCADE"), primary_key=True)
    row: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    platform_id: Mapped[str | None] = mapped_column(sa.String(200))
    status: Mapped[str] = mapped_column(sa.String(10))  # created | duplicate | error
    ticket_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tickets.id"))
    reason: Mapped[str | None] = mapped_column(sa.Text)
