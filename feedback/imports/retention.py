"""How long an uploaded import file is kept (issue 17, L3): it holds reporters' personal data.

A web upload is kept as long as the import's per-row results are: IMPORT_KEEP_DAYS after the
import finished, the sweep deletes both (the job row stays, with its counts, as a record that
the import happened). A file the import refused as a whole (not a table, a zip bomb, a missing
column) has no results and is deleted at once. A command-line import reads the person's own
file in place: never ours to delete. Uploads still on disk may take at most
UPLOAD_MAX_TOTAL_BYTES together; a new upload over that is refused before it is stored.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from feedback.extensions import db
from feedback.imports.models import ImportJob, ImportRow

log = logging.getLogger(__name__)


def delete_upload(job_id: int, at: datetime) -> None:
    """Remove a web upload's file (if it is still there) and record when. The caller commits."""
    job = db.session.get(ImportJob, job_id)
    if job is None or job.origin != "web" or job.file_deleted_at is not None:
        return
    path = Path(job.path)
    upload_dir = Path(current_app.config["UPLOAD_DIR"]).resolve()
    if upload_dir in path.resolve().parents:  # only files we stored ourselves
        path.unlink(missing_ok=True)
    job.file_deleted_at = at


def expire_imports(at: datetime) -> int:
    """Delete the results and files of imports finished more than IMPORT_KEEP_DAYS before `at`;
    returns how many imports were expired. Commits."""
    cutoff = at - timedelta(days=current_app.config["IMPORT_KEEP_DAYS"])
    t = ImportJob.__table__.c
    expired = db.session.execute(sa.select(t.id).where(
        t.status.in_(("done", "failed")), t.finished_at < cutoff,
        sa.or_(t.file_deleted_at.is_(None),
               sa.exists().where(ImportRow.__table__.c.job_id == t.id)))).scalars().all()
    for job_id in expired:
        db.session.execute(sa.delete(ImportRow.__table__).where(ImportRow.__table__.c.job_id == job_id))
        delete_upload(job_id, at)
        job = db.session.get(ImportJob, job_id)
        if job.file_deleted_at is None:  # a command-line import: no file of ours, results gone
            job.file_deleted_at = at
        db.session.commit()
    if expired:
        log.info("expired %d imports (results and uploaded files)", len(expired))
    return len(expired)


def kept_upload_bytes() -> int:
    """The bytes of web uploads still on disk."""
    t = ImportJob.__table__.c
    return db.session.execute(sa.select(sa.func.coalesce(sa.func.sum(t.size), 0)).where(
        t.origin == "web", t.file_deleted_at.is_(None))).scalar_one()


def room_for(size: int) -> bool:
    return kept_upload_bytes() + size <= current_app.config["UPLOAD_MAX_TOTAL_BYTES"]
