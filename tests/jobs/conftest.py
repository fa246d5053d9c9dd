"""Fixtures for the import tests: a signed-in browser session, real Redis and real `rq worker`s."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from flask import g

from feedback.accounts.models import User
from feedback.extensions import db
from feedback.imports.models import ImportJob

ROOT = Path(__file__).resolve().parents[2]
REQUIRE_SERVICES = os.environ.get("FEEDBACK_REQUIRE_SERVICES") == "1"


@pytest.fixture
def login(client):
    """Sign a world user in through the session the real login sets up (tests/web covers the form)."""
    from feedback.accounts.login import password_version

    def sign_in(user: User):
        with client.session_transaction() as session:
            session["_user_id"] = str(user.id)
            session["_fresh"] = True
            session["pwv"] = password_version(user)
        # Requests reuse the test's app context, so Flask-Login's per-request cache would keep
        # the previous user.
        g.pop("_login_user", None)
        return client

    return sign_in


def fresh(job_id: int) -> ImportJob:
    """The job as another process left it: end our transaction so the next read sees new commits."""
    db.session.rollback()
    return db.session.get(ImportJob, job_id)


def wait_for(condition, *, timeout: float, what: str, logs=None):
    """Poll `condition` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            tail = logs() if logs else ""
            pytest.fail(f"timed out after {timeout}s waiting for {what}\n{tail}")
        time.sleep(0.1)


@pytest.fixture(scope="session")
def redis_url():
    from redis import Redis
    from redis.exceptions import RedisError

    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379"
    try:
        Redis.from_url(url, socket_connect_timeout=2).ping()
    except RedisError as exc:
        if REQUIRE_SERVICES:
            pytest.fail(f"FEEDBACK_REQUIRE_SERVICES=1 but Redis at {url} is unreachable: {exc}")
        pytest.skip(f"Redis at {url} is unreachable: {exc}")
    return url


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


class Workers:
    """`rq worker` processes on this test's own queue, started and stopped by pid."""

    def __init__(self, app, database_url: str, redis_url: str, tmp_path: Path):
        self.prefix = f"fbtest-{uuid.uuid4().hex[:10]}"
        self.redis_url = redis_url
        self.database_url = database_url
        self.tmp_path = tmp_path
        self.procs: list[subprocess.Popen] = []
        app.config.update(REDIS_URL=redis_url, RQ_QUEUE_PREFIX=self.prefix)

    @property
    def queue(self) -> str:
        return f"{self.prefix}-imports"

    def start(self) -> subprocess.Popen:
        rq = Path(sys.executable).with_name("rq")
        env = dict(os.environ, DATABASE_URL=self.database_url, REDIS_URL=self.redis_url,
                   FEEDBACK_QUEUE_PREFIX=self.prefix, PYTHONPATH=str(ROOT),
                   FEEDBACK_INSTANCE_PATH=str(self.tmp_path / "worker-instance"))
        log = open(self.tmp_path / f"worker-{len(self.procs)}.log", "wb")
        proc = subprocess.Popen([str(rq), "worker", "--url", self.redis_url, self.queue], cwd=ROOT, env=env,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.procs.append(proc)
        return proc

    def crash(self, proc: subprocess.Popen) -> None:
        """What a power cut does: the worker and the work horse it forked die at once."""
        for pid in [*_children(proc.pid), proc.pid]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        proc.wait(timeout=30)

    def logs(self) -> str:
        out = []
        for path in sorted(self.tmp_path.glob("worker-*.log")):
            out.append(f"--- {path.name}\n" + path.read_text(errors="replace")[-3000:])
        return "\n".join(out)

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.crash(proc)

    def clean_redis(self) -> None:
        from redis import Redis

        conn = Redis.from_url(self.redis_url)
        keys = list(conn.scan_iter(match=f"*{self.prefix}*", count=1000))
        if keys:
            conn.delete(*keys)


@pytest.fixture
def workers(app, database_url, redis_url, tmp_path):
    pool = Workers(app, database_url, redis_url, tmp_path)
    yield pool
    pool.stop()
    pool.clean_redis()
