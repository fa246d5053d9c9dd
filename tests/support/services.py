"""Real Redis and real `rq worker` processes for the tests that need them, and the one way to
wait for what another process does. The fixtures (`redis_url`, `queue_prefix`, `workers`) are
in tests/conftest.py."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from feedback.extensions import db

ROOT = Path(__file__).resolve().parents[2]
RQ = str(Path(sys.executable).with_name("rq"))
REQUIRE_SERVICES = os.environ.get("FEEDBACK_REQUIRE_SERVICES") == "1"
QUEUES = ("imports", "notify", "default", "exports")  # feedback/jobs/queue.py's, under a prefix
# Workers.stop: an idle worker's warm shutdown takes a little over a second (rq joins its pubsub
# thread for up to 1 s); longer than WARM_SECONDS, it is busy and gets the cold one.
WARM_SECONDS = 2.5
COLD_SECONDS = 5  # then how long a cold shutdown may take before SIGKILL


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def closed_redis_url() -> str:
    """A Redis URL where nothing listens: Redis is down."""
    return f"redis://127.0.0.1:{free_port()}/0"


def require_redis() -> str:
    """REDIS_URL (or a local Redis); unreachable → skip, or fail under FEEDBACK_REQUIRE_SERVICES=1."""
    from redis import Redis
    from redis.exceptions import RedisError

    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    try:
        Redis.from_url(url, socket_connect_timeout=2).ping()
    except RedisError as exc:
        if REQUIRE_SERVICES:
            pytest.fail(f"FEEDBACK_REQUIRE_SERVICES=1 but Redis at {url} is unreachable: {exc}")
        pytest.skip(f"Redis at {url} is unreachable: {exc}")
    return url


def new_prefix() -> str:
    return f"fbtest-{uuid.uuid4().hex[:10]}"


def forget_queues(redis_url: str, prefix: str) -> None:
    """Leave Redis as found: the jobs of this prefix's queues, then every key naming it."""
    from redis import Redis
    from rq import Queue

    conn = Redis.from_url(redis_url)
    for name in QUEUES:
        q = Queue(f"{prefix}-{name}", connection=conn)
        registries = (q.started_job_registry, q.finished_job_registry, q.failed_job_registry,
                      q.deferred_job_registry, q.scheduled_job_registry, q.canceled_job_registry)
        job_ids = set(q.get_job_ids()).union(*(r.get_job_ids() for r in registries))
        for job_id in job_ids:
            conn.delete(f"rq:job:{job_id}", f"rq:results:{job_id}")
        conn.srem("rq:queues", q.key)
    conn.zrem("rq:cron_jobs", f"{prefix}:sweep", f"{prefix}:recompute-provisional")  # workers/cron.py's names
    keys = list(conn.scan_iter(match=f"*{prefix}*", count=1000))
    if keys:
        conn.delete(*keys)


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


class Workers:
    """`rq worker` processes on this test's own queues (every queue, under the test's prefix), as
    deployed (`-c workers.settings`), with the app's database, mail and webhook settings.
    Configure the app before start()."""

    def __init__(self, app, redis_url: str, prefix: str, tmp_path: Path):
        self.app, self.redis_url, self.prefix, self.tmp = app, redis_url, prefix, tmp_path
        self.procs: list[subprocess.Popen] = []
        app.config.update(REDIS_URL=redis_url, RQ_QUEUE_PREFIX=prefix)

    @property
    def queue(self) -> str:
        return f"{self.prefix}-imports"

    def env(self) -> dict:
        cfg = self.app.config
        env = dict(os.environ)
        for name in ("REDIS_URL", "FEEDBACK_SMTP_HOST", "SMTP_HOST", "FEEDBACK_PLATFORM_WEBHOOK_URL",
                     "FEEDBACK_PLATFORM_WEBHOOK_SECRET"):
            env.pop(name, None)
        env.update({
            "DATABASE_URL": cfg["SQLALCHEMY_DATABASE_URI"],
            "REDIS_URL": self.redis_url,
            "FEEDBACK_QUEUE_PREFIX": self.prefix,
            "FEEDBACK_INSTANCE_PATH": str(self.tmp / "worker-instance"),
            "FEEDBACK_IMPORT_CHUNK_ROWS": str(cfg["IMPORT_CHUNK_ROWS"]),
            "PYTHONPATH": str(ROOT),
        })
        if cfg.get("MAIL_SERVER"):
            env.update(FEEDBACK_SMTP_HOST=cfg["MAIL_SERVER"], FEEDBACK_SMTP_PORT=str(cfg["MAIL_PORT"]),
                       FEEDBACK_MAIL_SENDER=cfg.get("MAIL_SENDER", "feedback@localhost"))
        if cfg.get("PLATFORM_WEBHOOK_URL"):
            env.update(FEEDBACK_PLATFORM_WEBHOOK_URL=cfg["PLATFORM_WEBHOOK_URL"],
                       FEEDBACK_PLATFORM_WEBHOOK_SECRET=cfg["PLATFORM_WEBHOOK_SECRET"])
        return env

    def spawn(self, args: list[str], name: str) -> subprocess.Popen:
        """Any rq process (a worker, `rq cron`) in its own session, logging to tmp/NAME.log."""
        log = open(self.tmp / f"{name}.log", "wb")
        proc = subprocess.Popen(args, cwd=ROOT, env=self.env(), stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        log.close()
        self.procs.append(proc)
        return proc

    def start(self, count: int = 1) -> subprocess.Popen:
        """Start `count` workers; returns the last one started."""
        for _ in range(count):
            name = f"{self.prefix}-w{len(self.procs)}"
            proc = self.spawn([RQ, "worker", "-c", "workers.settings", "--url", self.redis_url, "--name", name,
                               *(f"{self.prefix}-{q}" for q in QUEUES)], name)
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
        return "\n".join(f"--- {p.name}\n" + p.read_text(errors="replace")[-3000:]
                         for p in sorted(self.tmp.glob(f"{self.prefix}-*.log")))

    def stop(self) -> None:
        """SIGTERM: an idle worker leaves at once (rq's warm shutdown). The ones still there
        WARM_SECONDS later get a second SIGTERM, rq's cold shutdown, which kills a work horse:
        the test is over, so a job in hand does not matter. Any still there after COLD_SECONDS
        are killed with their children. The waits are shared, not one per process."""
        alive = [p for p in self.procs if p.poll() is None]
        for proc in alive:
            proc.send_signal(signal.SIGTERM)
        alive = _still_running(alive, WARM_SECONDS)
        for proc in alive:
            proc.send_signal(signal.SIGTERM)  # rq ignores a second signal within 1 s of the first
        for proc in _still_running(alive, COLD_SECONDS):
            self.crash(proc)
        self.procs.clear()


def _still_running(procs: list[subprocess.Popen], seconds: float) -> list[subprocess.Popen]:
    """Wait up to `seconds` in all for the processes to exit; returns those that have not."""
    deadline = time.monotonic() + seconds
    left = []
    for proc in procs:
        try:
            proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            left.append(proc)
    return left


def wait_for(condition, what: str, workers: Workers | None = None, timeout: float = 60.0):
    """Poll until `condition()` returns something truthy (each poll in a fresh transaction, so it
    sees what other processes committed); fail after `timeout` seconds with the workers' logs."""
    deadline = time.monotonic() + timeout
    while True:
        db.session.rollback()
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            detail = ("\n--- worker logs ---\n" + workers.logs()) if workers else ""
            pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}{detail}")
        time.sleep(0.05)


def run_job(func: str, *args, workers: Workers, timeout: float = 60.0):
    """Queue one job on the notify queue (as `rq cron` would) and wait until a worker finished it."""
    from feedback.jobs.queue import queue

    job = queue("notify").enqueue(func, *args)

    def finished():
        status = job.get_status(refresh=True)
        if status == "failed":
            pytest.fail(f"job {func}{args} failed:\n{job.latest_result().exc_string}\n{workers.logs()}")
        return status == "finished"

    wait_for(finished, f"job {func}{args}", workers, timeout)
    return job.return_value()
