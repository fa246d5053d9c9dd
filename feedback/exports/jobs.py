"""Export jobs: requested from the web or made by the monthly schedule, run in the background.

A job row holds everything the run needs (kind, format, period, cut-off time, scope unit), so
running it is reproducible and safe to repeat (RQ delivers at least once): a finished job
whose file is still there is left alone, a job another worker is running right now is not
started twice, and the file appears under EXPORT_DIR only when complete (written aside, then
renamed).
"""
from __future__ import annotations

import logging
import os
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from feedback.accounts.scope import Actor
from feedback.directory.models import Unit
from feedback.exports import assessment, closure_sheet
from feedback.exports.models import ExportJob
from feedback.exports.periods import Period, parse_quarter, previous_month
from feedback.extensions import db
from feedback.jobs.queue import enqueue
from feedback.timeutil import iso, local_date, now

log = logging.getLogger(__name__)

FORMATS = {"closure": ("xlsx", "csv"), "assessment": ("xlsx", "docx", "json")}
MIMETYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
}
STALE_RUN = timedelta(minutes=30)  # a "running" job older than this was lost with its worker
WORKER_ENTRY = "workers.exports.run_export"


def export_dir() -> str:
    path = current_app.config["EXPORT_DIR"]
    os.makedirs(path, exist_ok=True)
    return path


def closure_params(period: Period, as_of: datetime, month: str | None = None) -> dict:
    return {"date_from": period.date_from.isoformat(), "date_to": period.date_to.isoformat(),
            "month": month, "as_of": iso(as_of)}


def assessment_params(quarter: str | None, as_of: datetime, period: Period | None = None) -> dict:
    """A quarter's (cut back to as_of's date when not over), or a window's from/to."""
    if quarter is None:
        return {"date_from": period.date_from.isoformat(), "date_to": period.date_to.isoformat(), "as_of": iso(as_of)}
    return {"quarter": quarter, "as_of": iso(as_of)}


def assessment_window(params: dict):
    if params.get("quarter"):
        return parse_quarter(params["quarter"])
    return Period(date.fromisoformat(params["date_from"]), date.fromisoformat(params["date_to"]))


def new_job(kind: str, fmt: str, params: dict, scope_unit: Unit, *, owner_id: int | None = None,
            automatic: bool = False, dedupe_key: str | None = None) -> ExportJob:
    if fmt not in FORMATS.get(kind, ()):
        raise ValueError(f"{kind} exports come as {', '.join(FORMATS.get(kind, ()))}, not {fmt!r}")
    job = ExportJob(kind=kind, format=fmt, params=params, scope_unit_id=scope_unit.id, owner_id=owner_id,
                    automatic=automatic, dedupe_key=dedupe_key, status="queued", progress=0, created_at=now())
    db.session.add(job)
    db.session.flush()
    return job


def start(job: ExportJob) -> bool:
    """Hand a committed job to the background (in-process without Redis)."""
    return enqueue(WORKER_ENTRY, job.id, queue_name="exports")


# --- running ------------------------------------------------------------------------------------

def is_finished(job: ExportJob) -> bool:
    return job.status == "done" and bool(job.path) and os.path.exists(job.path)


def _claim(job_id: int) -> bool:
    """Mark the job running unless a live run holds it: one UPDATE, so two workers never both win."""
    t = now()
    table = ExportJob.__table__
    claimed = db.session.execute(
        sa.update(table)
        .where(table.c.id == job_id,
               sa.or_(table.c.status != "running", table.c.started_at < t - STALE_RUN))
        .values(status="running", progress=0, started_at=t, finished_at=None, error=None)
    ).rowcount
    db.session.commit()
    return claimed == 1


def _progress_writer(job_id: int):
    """Progress goes through its own short transaction: the export itself may be streaming rows
    through the session's connection at the time."""
    last = [-1]

    def write(pct: int) -> None:
        if pct == last[0]:
            return
        last[0] = pct
        with db.engine.begin() as conn:
            conn.execute(sa.update(ExportJob.__table__).where(ExportJob.__table__.c.id == job_id)
                         .values(progress=pct))

    return write


def job_actor(job: ExportJob, unit: Unit) -> Actor:
    """A job sees exactly its scope unit's subtree, whoever asked for it."""
    return Actor(job.owner_id, f"export #{job.id}", "viewer", unit.id, unit.path)


def produce(job: ExportJob, path: str, progress) -> str:
    """Write the job's file to `path`; returns the name to download it as."""
    unit = db.session.get(Unit, job.scope_unit_id)
    actor = job_actor(job, unit)
    p = job.params
    as_of = datetime.fromisoformat(p["as_of"])
    if job.kind == "closure":
        period = Period(date.fromisoformat(p["date_from"]), date.fromisoformat(p["date_to"]))
        closure_sheet.export_closure(actor, period, as_of, job.format, path, progress=progress)
        return closure_sheet.default_filename(period, job.format, unit.code)
    window = assessment_window(p)
    assessment.export_assessment(actor, window, as_of, job.format, path, scope_unit=unit, progress=progress)
    return assessment.default_filename(window, job.format, unit.code)


def run_job(job_id: int) -> str | None:
    """Run one export job; returns the file path, or None when there was nothing to do or it failed
    (the failure is recorded on the job, never raised into the caller's request)."""
    job = db.session.get(ExportJob, job_id)
    if job is None:
        log.warning("export job %s does not exist", job_id)
        return None
    if is_finished(job):
        return job.path
    if not _claim(job_id):
        log.info("export job %s is being run by another worker", job_id)
        return None
    job = db.session.get(ExportJob, job_id)
    path = os.path.join(export_dir(), f"{job.id}.{job.format}")
    try:
        filename = produce(job, path, _progress_writer(job_id))
    except Exception as exc:  # recorded for the person waiting on the page
        db.session.rollback()
        log.exception("export job %s failed", job_id)
        job = db.session.get(ExportJob, job_id)
        job.status, job.error, job.finished_at = "failed", f"{type(exc).__name__}: {exc}"[:2000], now()
        db.session.commit()
        return None
    db.session.rollback()  # end the read transaction; the job row is re-read fresh below
    job = db.session.get(ExportJob, job_id)
    job.status, job.progress, job.path, job.filename, job.finished_at = "done", 100, path, filename, now()
    db.session.commit()
    return path


def sweep(at: datetime | None = None, *, grace: timedelta = timedelta(minutes=2)) -> list[int]:
    """Start again what was lost: jobs still queued a while after they were made (Redis was down
    when they were enqueued) and runs that went stale with their worker. For the cron schedule."""
    at = at or now()
    table = ExportJob.__table__
    lost = db.session.execute(sa.select(table.c.id).where(sa.or_(
        sa.and_(table.c.status == "queued", table.c.created_at < at - grace),
        sa.and_(table.c.status == "running", table.c.started_at < at - STALE_RUN),
    )).order_by(table.c.id)).scalars().all()
    for job_id in lost:
        enqueue(WORKER_ENTRY, job_id, queue_name="exports")
    return list(lost)


# --- the monthly schedule -------------------------------------------------------------------------

def top_level_supervisor_units() -> list[Unit]:
    """Units of active supervisors that no other active supervisor's subtree contains."""
    from feedback.accounts.models import User

    units = db.session.execute(
        sa.select(Unit).join(User, User.unit_id == Unit.id)
        .where(User.role == "supervisor", User.active.is_(True)).distinct()
    ).scalars().all()
    paths = [u.path for u in units]
    return sorted((u for u in units if not any(u.path != p and u.path.startswith(p) for p in paths)),
                  key=lambda u: u.path)


def monthly_key(unit: Unit, month: str) -> str:
    return f"monthly-closure:{unit.id}:{month}"


def monthly_exports(at: datetime | str | None = None) -> list[int]:
    """The previous month's closure export for each top-level supervisor's scope, once.

    Meant for the 1st of each month; any later day catches up a month that was missed. The
    figures are taken as of the month's end, so whenever it runs the file is the same.
    Returns the ids of the month's jobs (existing or new); unfinished ones are started again."""
    at = datetime.fromisoformat(at) if isinstance(at, str) else (at or now())
    period = previous_month(local_date(at))
    month = period.date_from.strftime("%Y-%m")
    ids = []
    for unit in top_level_supervisor_units():
        job = _monthly_job(unit, period, month)
        ids.append(job.id)
        if not is_finished(job):
            start(job)
    return ids


def _monthly_job(unit: Unit, period: Period, month: str) -> ExportJob:
    key = monthly_key(unit, month)
    existing = db.session.execute(sa.select(ExportJob).where(ExportJob.dedupe_key == key)).scalar_one_or_none()
    if existing is not None:
        return existing
    try:
        with db.session.begin_nested():
            job = new_job("closure", "xlsx", closure_params(period, period.ends_before, month), unit,
                          automatic=True, dedupe_key=key)
        db.session.commit()
        return job
    except sa.exc.IntegrityError:  # a concurrent run made it first
        db.session.rollback()
        return db.session.execute(sa.select(ExportJob).where(ExportJob.dedupe_key == key)).scalar_one()
