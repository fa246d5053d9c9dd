"""An import's results as people read them: the imports one may see, its counts and progress,
the rows in error, and the per-row results as CSV (CONTRACT.md: Import file)."""
from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Iterator

import sqlalchemy as sa

from feedback.accounts.scope import Actor, unit_ids_clause
from feedback.directory.models import Unit
from feedback.errors import NotFound
from feedback.extensions import db
from feedback.imports.models import ImportJob, ImportRow

RESULT_HEADER = ("row", "留言编号", "status", "ticket id", "reason")


def visible_imports(actor: Actor):
    """Imports the actor may see: those started by someone in their subtree; the root office
    also sees command-line imports."""
    query = sa.select(ImportJob)
    if actor.role == "system":
        return query
    in_subtree = ImportJob.scope_unit_id.in_(sa.select(Unit.id).where(unit_ids_clause(actor)))
    if actor.is_root:
        return query.where(sa.or_(in_subtree, ImportJob.scope_unit_id.is_(None)))
    return query.where(in_subtree)


def get_import(actor: Actor, job_id: int) -> ImportJob:
    job = db.session.execute(visible_imports(actor).where(ImportJob.id == job_id)).scalar_one_or_none()
    if job is None:
        raise NotFound("no such import")
    return job


def summary(job: ImportJob) -> dict:
    return {"created": job.created_rows, "duplicate": job.duplicate_rows, "error": job.error_rows}


def status_json(job: ImportJob) -> dict:
    return {"id": job.id, "status": job.status, "filename": job.filename, "rows_total": job.rows_total,
            "rows_done": job.rows_done, "percent": job.percent, **summary(job), "message": job.error,
            "finished": job.finished}


def error_rows(job_id: int, limit: int) -> list[ImportRow]:
    return db.session.execute(sa.select(ImportRow).where(ImportRow.job_id == job_id, ImportRow.status == "error")
                              .order_by(ImportRow.row).limit(limit)).scalars().all()


def safe_cell(value):
    """A text cell Excel would run as a formula gets a leading apostrophe (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def results_csv(job_id: int, *, batch: int = 2000) -> Iterator[bytes]:
    """The per-row results as CSV, UTF-8 with BOM so Excel shows the Chinese right."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(RESULT_HEADER)
    rows = db.session.execute(sa.select(ImportRow.row, ImportRow.platform_id, ImportRow.status, ImportRow.ticket_id,
                                        ImportRow.reason).where(ImportRow.job_id == job_id).order_by(ImportRow.row)
                              .execution_options(yield_per=batch))
    for count, row in enumerate(rows, start=1):
        writer.writerow([safe_cell(v) for v in row])
        if count % batch == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def write_results(job_id: int, path: str | Path) -> None:
    with open(path, "wb") as f:
        for part in results_csv(job_id):
            f.write(part)
