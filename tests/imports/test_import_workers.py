"""Imports on real Redis and real `rq worker` processes, under the faults issue 6 names: a worker
killed mid-import, malformed files, and Redis down at upload time."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from feedback.extensions import db
from feedback.imports.run import create_import, requeue_stalled_imports, submit
from feedback.imports.models import ImportJob, ImportRow
from feedback.tickets.models import Ticket, TicketEvent
from tests.imports.files import big_xlsx, fresh, row, upload, write_csv, write_xlsx, zip_bomb
from tests.support.services import wait_for

pytestmark = pytest.mark.services

ROWS = 1_500
CHUNK = 50  # rows per committed chunk: enough chunks in ROWS to cut the first run off mid-import


def count(model, *where) -> int:
    db.session.rollback()
    return db.session.execute(sa.select(sa.func.count()).select_from(model).where(*where)).scalar_one()


def queue(path, owner) -> int:
    job = create_import(path, path.name, owner=owner)
    assert submit(job)
    return job.id


@pytest.fixture
def bulk_cleanup(workers):
    """Empty the big tables before the shared teardown does: on SQLite its row-by-row foreign-key
    checks (tickets.duplicate_of_id has no index) make deleting thousands of tickets slow."""
    yield
    workers.stop()
    db.session.remove()
    if db.engine.dialect.name == "sqlite":  # PostgreSQL's TRUNCATE in the teardown is quick already
        with db.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            for table in ("import_rows", "ticket_events", "tickets"):
                conn.exec_driver_sql(f'DELETE FROM "{table}"')
            conn.commit()
            conn.exec_driver_sql("PRAGMA foreign_keys=ON")


def finished(job_id: int, workers, timeout: float) -> ImportJob:
    return wait_for(lambda: (job := fresh(job_id)).finished and job, f"import {job_id} to finish", workers,
                    timeout=timeout)


def test_a_worker_killed_mid_import_leaves_the_rest_to_another_without_losing_or_repeating_a_row(
        app, world, workers, tmp_path, bulk_cleanup):
    path = big_xlsx(tmp_path / "export-1500.xlsx", ROWS)
    app.config["IMPORT_CHUNK_ROWS"] = CHUNK  # the workers' too (Workers.env)
    first = workers.start()
    job_id = queue(path, world.users["boss"])

    # Let the first worker commit a few chunks, then cut its power.
    wait_for(lambda: fresh(job_id).rows_done >= 5 * CHUNK, "the first chunks", workers, timeout=300)
    workers.crash(first)
    dead = fresh(job_id)
    assert dead.status == "running" and 5 * CHUNK <= dead.rows_done < ROWS
    assert count(Ticket) == dead.created_rows  # exactly the committed chunks, nothing of the one cut off
    dead_runner, dead_heartbeat = dead.runner, dead.heartbeat_at

    second = workers.start()
    # The cron sweep, once the dead run's heartbeat has gone stale:
    at = dead_heartbeat + timedelta(seconds=app.config["IMPORT_STALE_SECONDS"] + 1)
    assert requeue_stalled_imports(at) == [job_id]
    job = finished(job_id, workers, timeout=900)

    assert job.status == "done", job.error
    assert (job.created_rows, job.duplicate_rows, job.error_rows) == (ROWS, 0, 0)
    assert (job.rows_done, job.rows_total, job.attempts) == (ROWS, ROWS, 2)
    assert job.runner != dead_runner
    assert count(Ticket) == ROWS
    assert count(TicketEvent, TicketEvent.action == "receive") == ROWS  # no ticket received twice
    assert count(ImportRow, ImportRow.job_id == job_id) == ROWS
    # big_rows sends every third row (i = 0, 3, …, 1497: 500 rows) to an unknown site: triage
    assert count(Ticket, Ticket.state == "new") == 500
    assert count(Ticket, Ticket.state == "assigned") == ROWS - 500
    assert second.poll() is None


def test_malformed_files_fail_with_a_message_and_the_worker_takes_the_next_job(app, world, workers, tmp_path):
    photo = tmp_path / "photo.csv"
    photo.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(500))
    no_id = write_csv(tmp_path / "no-id.csv", [["2026-09-30 15:00", "x"]], header=["转办时间", "问题描述"])
    huge = tmp_path / "huge.csv"
    with open(huge, "wb") as f:
        f.truncate(200 * 1024 * 1024)  # sparse
    bomb = zip_bomb(tmp_path / "bomb.xlsx", unpacked_mb=200)
    formulas = write_xlsx(tmp_path / "formulas.xlsx", [['="G"&"1"', "2026-09-30 15:00", "x", None], row("G2")])
    good = write_csv(tmp_path / "good.csv", [row("G3"), row("G4")])

    worker = workers.start()
    boss = world.users["boss"]
    ids = {name: queue(path, boss) for name, path in
           (("photo", photo), ("no_id", no_id), ("huge", huge), ("bomb", bomb), ("formulas", formulas), ("good", good))}
    jobs = {name: finished(job_id, workers, timeout=300) for name, job_id in ids.items()}

    for name, message in (("photo", "不是电子表格"), ("no_id", "缺少必填列：留言编号（platform_id）"),
                          ("huge", "超过导入上限"), ("bomb", "疑似压缩炸弹")):
        assert jobs[name].status == "failed" and message in jobs[name].error, (name, jobs[name].error)
    assert (jobs["formulas"].status, jobs["formulas"].created_rows, jobs["formulas"].error_rows) == ("done", 1, 1)
    reason = db.session.execute(sa.select(ImportRow.reason).where(ImportRow.job_id == ids["formulas"],
                                                                  ImportRow.row == 2)).scalar_one()
    assert reason.startswith("留言编号: 公式没有保存计算结果")
    assert (jobs["good"].status, jobs["good"].created_rows) == ("done", 2)
    assert worker.poll() is None  # the same worker, alive after every bad file


def test_an_upload_while_redis_is_down_is_imported_once_redis_is_back(app, world, login, workers, tmp_path, clock):
    workers.start()
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # Redis down: nothing listens on port 1
    client = login(world.users["boss"])
    assert upload(client, write_csv(tmp_path / "ledger.csv", [row("K1"), row("K2")])).status_code == 303
    job_id = db.session.execute(sa.select(ImportJob.id)).scalar_one()
    assert (fresh(job_id).status, fresh(job_id).enqueued_at) == ("queued", None)

    app.config["REDIS_URL"] = workers.redis_url  # Redis is back; the next sweep finds the job
    assert requeue_stalled_imports(clock()) == [job_id]
    job = finished(job_id, workers, timeout=120)
    assert (job.status, job.created_rows) == ("done", 2)
    assert requeue_stalled_imports(clock()) == []  # done is done: never queued again
