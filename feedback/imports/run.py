"""Importing a platform export or an office ledger (CONTRACT.md: Import file; DESIGN.md: Ingestion).

A file becomes tickets through tickets.ingest a chunk of rows at a time. Each chunk's tickets,
their events, the rows' results and the job's progress commit in one transaction, so a worker
that dies loses at most the chunk it was on and the next run resumes after the last committed
one; ingest is idempotent on 留言编号, so not even a replayed chunk can make a ticket twice.

The job row is the only state (DESIGN.md: Background work): a run claims it, beats a heartbeat
with every chunk and stops as soon as it finds another run has taken over; the sweep
`requeue_stalled_imports` requeues a job whose heartbeat went stale or that never reached Redis.
What people read afterwards (progress, error rows, the results CSV) is in results.py.
"""
from __future__ import annotations

import logging
import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable, Iterable, Iterator

import sqlalchemy as sa
from flask import current_app

from feedback.accounts.scope import Actor
from feedback.messages import localize
from feedback.extensions import db
from feedback.imports.models import ImportJob, ImportRow
from feedback.imports.retention import delete_upload
from feedback.imports.sheets import NO_CACHED_VALUE, FileRefused, Limits, open_table
from feedback.jobs.queue import enqueue
from feedback.tickets.ingest import Result, ingest, parse_all
from feedback.tickets.reports import FIELDS, HEADER_ALIASES, REQUIRED
from feedback.timeutil import now

log = logging.getLogger(__name__)

WORKER_ENTRY = "workers.imports.run_import"
JOB_TIMEOUT = 6 * 3600  # generous: a run that is cut off anyway resumes from its last chunk
MAX_ATTEMPTS = 5
CHINESE_NAME = {field: name for name, field in HEADER_ALIASES.items()}
# Excel keeps 15 significant digits: a longer number typed into a cell has already lost digits.
EXACT_NUMBER_LIMIT = 10 ** 15


class Superseded(Exception):
    """Another run has claimed this job (the sweep judged this one dead): stop without writing."""


# --- the header ---------------------------------------------------------------------------------

def _header_text(cell) -> str:
    if cell is None:
        return ""
    return str(cell).replace("\ufeff", "").strip(" \t\r\n\u3000*＊")


def _field_for(text: str) -> str | None:
    if text in HEADER_ALIASES:
        return HEADER_ALIASES[text]
    english = text.lower().replace(" ", "_").replace("-", "_")
    return english if english in FIELDS else None


@dataclass
class Columns:
    """Which column holds which report field, and how the file names each one."""

    fields: dict[int, str]  # column position → field
    labels: dict[str, str]  # field → the header as written in the file

    def label(self, field: str) -> str:
        return self.labels.get(field) or CHINESE_NAME.get(field) or field

    def record(self, values: tuple) -> tuple[dict, dict]:
        """The row as a raw report, and the errors found in its cells before parsing."""
        raw, errors = {}, {}
        for position, field in self.fields.items():
            value = values[position] if position < len(values) else None
            if value is NO_CACHED_VALUE:
                errors[field] = "公式没有保存计算结果；请在 Excel 中打开并保存，或把该列粘贴为数值"
                value = None
            elif field == "platform_id" and isinstance(value, float) and abs(value) >= EXACT_NUMBER_LIMIT:
                errors[field] = "数字位数过多，Excel 已丢失精度；请把该列设为文本格式后重新填写"
                value = None
            raw[field] = value
        return raw, errors

    def reason(self, result: Result) -> str:
        if result.status == "duplicate":
            return "留言编号已存在，未重复创建"
        # the office reads the results: each check's message in Chinese (feedback/messages.py)
        return "; ".join(f"{self.label(field)}: {localize(message)}" for field, message in result.errors.items())


def map_header(header: list) -> Columns:
    fields, labels = {}, {}
    for position, cell in enumerate(header):
        text = _header_text(cell)
        field = _field_for(text) if text else None
        if field is None:
            continue  # a column we do not use (序号, 备注, …)
        if field in labels:
            raise FileRefused(f"第 1 行：“{labels[field]}”和“{text}”是同一列（{field}）；请删去其中一列")
        fields[position], labels[field] = field, text
    missing = [f for f in REQUIRED if f not in labels]
    if missing:
        names = "、".join(f"{CHINESE_NAME[f]}（{f}）" for f in missing)
        raise FileRefused(f"缺少必填列：{names}。第一行应是表头，列名用中文或英文，"
                          "至少有 留言编号、转办时间、问题描述")
    return Columns(fields, labels)


# --- creating and queueing ------------------------------------------------------------------------

def limits() -> Limits:
    config = current_app.config
    return Limits(config["IMPORT_MAX_BYTES"], config["IMPORT_MAX_UNPACKED_BYTES"])


def create_import(path: str | Path, filename: str, *, owner=None, origin: str = "web") -> ImportJob:
    """Record a file to import; the caller commits, then calls `submit` (or `run_import`)."""
    path = Path(path).resolve()
    job = ImportJob(origin=origin, filename=filename[:255], path=str(path), size=path.stat().st_size,
                    owner_id=owner.id if owner else None, scope_unit_id=owner.unit_id if owner else None,
                    status="queued", created_at=now())
    db.session.add(job)
    db.session.flush()
    return job


def store_upload(upload, owner) -> ImportJob:
    """Keep an uploaded file (a werkzeug FileStorage) under UPLOAD_DIR and record its job."""
    directory = Path(current_app.config["UPLOAD_DIR"]) / "imports"
    directory.mkdir(parents=True, exist_ok=True)
    filename = Path(upload.filename or "").name or "upload"
    suffix = Path(filename).suffix.lower()
    target = directory / f"{uuid.uuid4().hex}{suffix if suffix in ('.xlsx', '.csv', '.txt') else ''}"
    upload.save(target)
    return create_import(target, filename, owner=owner, origin="web")


def submit(job: ImportJob) -> bool:
    """Hand the job to a worker (or run it right here without REDIS_URL). False when Redis is
    down: the job stays queued and the sweep submits it again. Commits."""
    db.session.commit()
    job_id = job.id
    # A fresh RQ id per submission: a requeued import must not share an id with the run that died.
    rq_id = f"{current_app.config.get('RQ_QUEUE_PREFIX', 'feedback')}-import-{job_id}-{uuid.uuid4().hex[:8]}"
    queued = enqueue(WORKER_ENTRY, job_id, queue_name="imports", job_timeout=JOB_TIMEOUT, job_id=rq_id)
    if queued:
        db.session.execute(sa.update(ImportJob.__table__).where(ImportJob.id == job_id, ImportJob.status == "queued")
                           .values(enqueued_at=now()))
        db.session.commit()
    return queued


def give_up(job_id: int, message: str) -> None:
    """Mark an unfinished import failed outside any run (an in-process run that crashed: without
    Redis there is no sweep to retry it). Commits."""
    t = ImportJob.__table__.c
    db.session.execute(sa.update(ImportJob.__table__).where(t.id == job_id, t.status.in_(("queued", "running")))
                       .values(status="failed", error=message, finished_at=now()))
    db.session.commit()


# --- running ------------------------------------------------------------------------------------

def _runner_name() -> str:
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _stale_before(at: datetime) -> datetime:
    return at - timedelta(seconds=current_app.config["IMPORT_STALE_SECONDS"])


def _claim(job_id: int, runner: str) -> bool:
    """Take the job if it is waiting, or if its last run stopped beating (at-least-once delivery
    may hand the same job to two workers: only one wins this UPDATE)."""
    at = now()
    t = ImportJob.__table__.c
    claimed = db.session.execute(
        sa.update(ImportJob.__table__)
        .where(t.id == job_id, sa.or_(t.status == "queued",
                                      sa.and_(t.status == "running", t.heartbeat_at < _stale_before(at))))
        .values(status="running", runner=runner, heartbeat_at=at, attempts=t.attempts + 1,
                started_at=sa.func.coalesce(t.started_at, at), error=None)
    ).rowcount == 1
    db.session.commit()
    return claimed


def _advance(job_id: int, runner: str, **values) -> None:
    """Write progress in the chunk's own transaction, unless another run has taken the job."""
    t = ImportJob.__table__.c
    done = db.session.execute(
        sa.update(ImportJob.__table__).where(t.id == job_id, t.runner == runner)
        .values(heartbeat_at=now(), **values)
    ).rowcount
    if done != 1:
        raise Superseded(job_id)


def _actor(job: ImportJob) -> Actor:
    if job.owner is not None:
        return Actor.of(job.owner)
    return Actor.system("import")


def run_import(job_id: int, *, progress: Callable[[ImportJob], None] | None = None) -> ImportJob | None:
    """Run (or resume) an import; safe to call twice. Returns the job as it ended up."""
    runner = _runner_name()
    if not _claim(job_id, runner):
        return db.session.get(ImportJob, job_id)
    job = db.session.get(ImportJob, job_id)
    try:
        try:
            _run(job, runner, progress)
            _end(job_id, runner, "done")
        except FileRefused as exc:
            db.session.rollback()
            _end(job_id, runner, "failed", error=str(exc))
            # refused as a whole: no results to keep it for (imports/retention.py)
            delete_upload(job_id, now())
            db.session.commit()
    except Superseded:
        db.session.rollback()
        log.warning("import %s was taken over by another run; %s stops", job_id, runner)
    db.session.refresh(job)
    return job


def _run(job: ImportJob, runner: str, progress) -> None:
    table = open_table(job.path, limits())
    columns = map_header(table.header)
    _advance(job.id, runner, rows_total=table.data_rows)
    db.session.commit()
    actor = _actor(job)
    for last_row, chunk in _chunks(table.rows(start=job.rows_done + 2), current_app.config["IMPORT_CHUNK_ROWS"]):
        _import_chunk(job.id, runner, chunk, last_row, columns, actor)
        db.session.commit()
        if progress is not None:
            progress(job)


def _end(job_id: int, runner: str, status: str, error: str | None = None) -> None:
    t = ImportJob.__table__.c
    values = {"status": status, "error": error, "finished_at": now()}
    if status == "done":  # trailing blank rows count as done; so do rows the first scan missed
        values["rows_done"] = values["rows_total"] = sa.case((t.rows_total > t.rows_done, t.rows_total),
                                                             else_=t.rows_done)
    _advance(job_id, runner, **values)
    db.session.commit()


def _is_blank(values: tuple) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in values)


def _chunks(rows: Iterable[tuple[int, tuple]], size: int) -> Iterator[tuple[int, list]]:
    """Non-blank rows in chunks of `size`, each with the number of the last row it covers."""
    chunk, last = [], None
    for number, values in rows:
        last = number
        if not _is_blank(values):
            chunk.append((number, values))
        if len(chunk) >= size:
            yield last, chunk
            chunk = []
    if chunk:
        yield last, chunk


def _import_chunk(job_id: int, runner: str, chunk: list, last_row: int, columns: Columns, actor: Actor) -> None:
    # Claim check first: it also locks the job row, so a run the sweep replaced stops here,
    # before it writes anything, and two runs never interleave their chunks.
    _advance(job_id, runner)
    raws, cell_errors = [], {}
    for index, (_, values) in enumerate(chunk):
        raw, errors = columns.record(values)
        raws.append(raw)
        if errors:
            cell_errors[index] = errors
    good, bad = parse_all(raws, naive_is_local=True)
    bad = {r.index: r for r in bad}
    for index, errors in cell_errors.items():
        result = bad.get(index) or Result(index, _text_id(raws[index]), "error")
        result.errors = {**result.errors, **errors}
        bad[index] = result
    good = [(i, r) for i, r in good if i not in bad]
    results = list(bad.values()) + ingest_guarded(good, actor)
    results.sort(key=lambda r: r.index)
    _store_results(job_id, chunk, results, columns)
    counts = {s: sum(1 for r in results if r.status == s) for s in ("created", "duplicate", "error")}
    t = ImportJob.__table__.c
    _advance(job_id, runner, rows_done=last_row - 1,
             created_rows=t.created_rows + counts["created"],
             duplicate_rows=t.duplicate_rows + counts["duplicate"],
             error_rows=t.error_rows + counts["error"])


def _text_id(raw: dict) -> str | None:
    value = raw.get("platform_id")
    return None if value in (None, "") else str(value)


# What the database refuses in a row's data: the same on every retry, so never a reason to retry
# the job (a lost connection, OperationalError, is left to the sweep's retry).
DATA_ERRORS = (sa.exc.DataError, sa.exc.IntegrityError)


def ingest_guarded(good: list, actor: Actor) -> list[Result]:
    """ingest the chunk's parsed rows; should the database refuse one (a limit the parser does
    not know), the chunk is retried a row at a time, each in its own savepoint, and only the
    rows refused again become errors: the good rows are kept and the job finishes."""
    try:
        with db.session.begin_nested():
            return ingest(good, actor, now(), source="import")
    except DATA_ERRORS:
        log.warning("import: the database refused a chunk; retrying it row by row", exc_info=True)
    results = []
    for item in good:
        try:
            with db.session.begin_nested():
                results.extend(ingest([item], actor, now(), source="import"))
        except DATA_ERRORS as exc:
            detail = str(getattr(exc, "orig", exc)).strip().splitlines()[0][:200]
            results.append(Result(item[0], item[1].platform_id, "error", errors={"row": f"数据库拒绝保存这一行：{detail}"}))
    return results


def _store_results(job_id: int, chunk: list, results: list[Result], columns: Columns) -> None:
    if not results:
        return
    db.session.execute(sa.insert(ImportRow.__table__), [
        {"job_id": job_id, "row": chunk[r.index][0], "platform_id": (r.platform_id or None) and r.platform_id[:200],
         "status": r.status, "ticket_id": r.ticket_id, "reason": columns.reason(r) or None}
        for r in results
    ])


# --- the sweep ----------------------------------------------------------------------------------

def requeue_stalled_imports(at: datetime) -> list[int]:
    """Find imports that should be running and are not, and queue them again (cron, every few
    minutes). A run whose heartbeat is older than IMPORT_STALE_SECONDS is taken for dead (its
    worker was killed; RQ itself would only file the job under failed); a queued job that never
    reached Redis, or sat there past the same age, is submitted again. Returns the jobs queued."""
    stale = _stale_before(at)
    t = ImportJob.__table__.c
    for job_id, origin, attempts in db.session.execute(
            sa.select(t.id, t.origin, t.attempts).where(t.status == "running", t.heartbeat_at < stale)).all():
        values = {"status": "queued", "runner": None, "enqueued_at": None}
        if origin == "cli":
            values = {"status": "failed", "finished_at": at,
                      "error": "命令行导入在中途中断；已导入的行保留，请重新运行 feedback import"}
        elif attempts >= MAX_ATTEMPTS:
            values = {"status": "failed", "finished_at": at,
                      "error": f"导入已中断 {attempts} 次，不再重试；已导入的行保留，请联系管理员查看日志"}
        # Conditional, so a run that beats its heartbeat meanwhile keeps its job.
        db.session.execute(sa.update(ImportJob.__table__)
                           .where(t.id == job_id, t.status == "running", t.heartbeat_at < stale).values(**values))
    db.session.commit()

    waiting = db.session.execute(sa.select(ImportJob).where(
        t.status == "queued", t.origin == "web", sa.or_(t.enqueued_at.is_(None), t.enqueued_at < stale),
    ).order_by(t.id)).scalars().all()
    return [job.id for job in waiting if submit(job)]
