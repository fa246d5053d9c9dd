"""With Redis, an export job goes to the `exports` queue and a real `rq worker` process runs it
against the same database; if Redis is down the job waits in the database for the sweep."""
from __future__ import annotations

import os
import subprocess
import sys
import uuid

import pytest
import sqlalchemy as sa

from feedback.exports import jobs
from feedback.exports.models import ExportJob
from feedback.exports.periods import parse_as_of, parse_month
from feedback.extensions import db
from tests.conftest import REQUIRE_SERVICES
from tests.exports.conftest import november

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REDIS_URL = os.environ.get("FEEDBACK_TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
RQ = os.path.join(os.path.dirname(sys.executable), "rq")
NOVEMBER_PARAMS = jobs.closure_params(parse_month("2026-11"), parse_as_of("2026-11-24T10:00"), "2026-11")


@pytest.fixture
def redis_queue(app):
    from redis import Redis
    from redis.exceptions import RedisError

    conn = Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        conn.ping()
    except RedisError as exc:
        if REQUIRE_SERVICES:
            pytest.fail(f"Redis at {REDIS_URL} is unreachable: {exc}")
        pytest.skip(f"Redis at {REDIS_URL} is unreachable")
    prefix = f"exports-test-{uuid.uuid4().hex[:8]}"
    app.config.update(REDIS_URL=REDIS_URL, RQ_QUEUE_PREFIX=prefix)
    yield f"{prefix}-exports"
    for key in conn.scan_iter(f"*{prefix}*"):
        conn.delete(key)
    app.config["REDIS_URL"] = None


def job_row(job_id):
    db.session.expire_all()
    return db.session.execute(sa.select(ExportJob).where(ExportJob.id == job_id)).scalar_one()


@pytest.mark.services
def test_a_real_rq_worker_produces_the_export(app, story, redis_queue, tmp_path):
    november(story)
    job = jobs.new_job("closure", "xlsx", NOVEMBER_PARAMS, story.world.units["C0"])
    db.session.commit()
    assert jobs.start(job)
    assert job_row(job.id).status == "queued"  # queued in Redis, not run in this process
    env = dict(os.environ, DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"], REDIS_URL=REDIS_URL,
               FEEDBACK_QUEUE_PREFIX=app.config["RQ_QUEUE_PREFIX"], FEEDBACK_EXPORT_DIR=app.config["EXPORT_DIR"],
               FEEDBACK_INSTANCE_PATH=str(tmp_path))
    done = subprocess.run([RQ, "worker", "--burst", "--url", REDIS_URL, "--path", ROOT, redis_queue], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    row = job_row(job.id)
    assert row.status == "done", (row.status, row.error, done.stderr[-2000:])
    assert row.progress == 100 and os.path.exists(row.path)
    from openpyxl import load_workbook

    *_, total, office = load_workbook(row.path)["按期办结率"].iter_rows(values_only=True)
    assert (total[:2], total[4]) == (("合计", None), 9)  # the units' sum
    assert (office[:2], office[4]) == (("合计", "C0"), 10)  # the office's own: N-T12 in triage too


def test_with_redis_down_the_job_waits_for_the_sweep(app, story, clock):
    app.config.update(REDIS_URL="redis://127.0.0.1:1/0")  # nothing listens there
    job = jobs.new_job("closure", "csv", NOVEMBER_PARAMS, story.world.units["C0"])
    db.session.commit()
    assert jobs.start(job) is False  # logged, never raised into the request
    assert job_row(job.id).status == "queued"
    # Redis is back (here: the in-process runner); the sweep finds the job a few minutes on
    app.config["REDIS_URL"] = None
    assert jobs.sweep(clock()) == []  # too fresh: it may still be on its way
    clock.advance(minutes=5)
    assert jobs.sweep(clock()) == [job.id]
    assert job_row(job.id).status == "done"
