"""Doubles for the outside world (a local SMTP server, a local platform webhook receiver) and
real services (Redis, `rq worker` processes) for the notification and hand-back tests.

Imported by name from the test modules (not a conftest.py, which the import tests own).
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from feedback.accounts.models import User
from feedback.extensions import db
from feedback.timeutil import iso, now

ROOT = Path(__file__).resolve().parents[2]
RQ = str(Path(sys.executable).with_name("rq"))
REDIS_DB = 7  # this suite's own Redis database (revision 0007); queues get a per-run prefix too
REQUIRE_SERVICES = os.environ.get("FEEDBACK_REQUIRE_SERVICES") == "1"
SECRET = "test-webhook-secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- SMTP: aiosmtpd on 127.0.0.1, stoppable and restartable on the same port -------------------

@dataclass
class Received:
    rcpt_tos: list
    message: object

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def body(self) -> str:
        return self.message.get_body(("plain",)).get_content()


class SMTPServer:
    def __init__(self):
        self.port = free_port()
        self.messages: list[Received] = []
        self.refuse: set[str] = set()  # addresses answered "550 no such mailbox"
        self.controller = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(Received(list(envelope.rcpt_tos),
                                      message_from_bytes(envelope.original_content, policy=policy.default)))
        return "250 OK"

    def start(self):
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def config(self) -> dict:
        return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": self.port, "MAIL_SENDER": "feedback@office.example"}


@pytest.fixture
def smtp():
    server = SMTPServer()
    server.start()
    yield server
    server.stop()


# --- the platform's webhook: http.server in a thread ------------------------------------------

@dataclass
class Hit:
    headers: dict
    body: bytes
    status: int

    @property
    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    port: int = field(default_factory=free_port)
    hits: list = field(default_factory=list)
    script: list = field(default_factory=list)  # statuses to answer in turn; then 200
    server: object = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/feedback/replies"

    @property
    def acknowledged(self) -> list:
        return [h for h in self.hits if 200 <= h.status < 300]

    def start(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.lock:
                    status = receiver.script.pop(0) if receiver.script else 200
                    receiver.hits.append(Hit(dict(self.headers), body, status))
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", "http://127.0.0.1:1/elsewhere")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def config(self) -> dict:
        return {"PLATFORM_WEBHOOK_URL": self.url, "PLATFORM_WEBHOOK_SECRET": SECRET}


@pytest.fixture
def receiver():
    r = Receiver()
    r.start()
    yield r
    r.stop()


# --- logging a person in ------------------------------------------------------------------------

def login(client, user: User) -> None:
    """Sign in through the session the real login sets up (tests/web covers the form itself)."""
    from flask import g

    from feedback.accounts.login import password_version

    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
        session["pwv"] = password_version(user)
    g.pop("_login_user", None)  # requests reuse the test's app context


# --- Redis and real `rq worker` processes -----------------------------------------------------

def redis_db_url(db_number: int = REDIS_DB) -> str:
    base = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379"
    return urllib.parse.urlsplit(base)._replace(path=f"/{db_number}").geturl()


@pytest.fixture
def redis_url():
    from redis import Redis
    from redis.exceptions import RedisError

    url = redis_db_url()
    try:
        Redis.from_url(url, socket_connect_timeout=2).ping()
    except RedisError as exc:
        if REQUIRE_SERVICES:
            pytest.fail(f"FEEDBACK_REQUIRE_SERVICES=1 but Redis at {url} is unreachable: {exc}")
        pytest.skip(f"Redis at {url} is unreachable: {exc}")
    return url


@pytest.fixture
def queue_prefix(redis_url):
    from redis import Redis

    prefix = f"fbtest-{uuid.uuid4().hex[:10]}"
    yield prefix
    _forget_queues(Redis.from_url(redis_url), prefix)


def _forget_queues(conn, prefix: str) -> None:
    """Leave this run's Redis database as found: the jobs of our queues, then our keys."""
    from rq import Queue

    for name in (f"{prefix}-notify", f"{prefix}-default"):
        q = Queue(name, connection=conn)
        registries = (q.started_job_registry, q.finished_job_registry, q.failed_job_registry,
                      q.deferred_job_registry, q.scheduled_job_registry, q.canceled_job_registry)
        job_ids = set(q.get_job_ids()).union(*(r.get_job_ids() for r in registries))
        for job_id in job_ids:
            conn.delete(f"rq:job:{job_id}", f"rq:results:{job_id}")
        conn.srem("rq:queues", q.key)
    conn.zrem("rq:cron_jobs", f"{prefix}:sweep", f"{prefix}:recompute-provisional")  # workers/cron.py's names
    for key in conn.scan_iter(match=f"*{prefix}*"):
        conn.delete(key)


def closed_redis_url() -> str:
    """A Redis URL where nothing listens: Redis is down."""
    return f"redis://127.0.0.1:{free_port()}/0"


class Workers:
    def __init__(self, app, redis_url: str, prefix: str, tmp_path: Path):
        self.app, self.redis_url, self.prefix, self.tmp = app, redis_url, prefix, tmp_path
        self.procs: list[subprocess.Popen] = []

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
        log = open(self.tmp / f"{name}.log", "wb")
        proc = subprocess.Popen(args, cwd=ROOT, env=self.env(), stdout=log, stderr=subprocess.STDOUT)
        self.procs.append(proc)
        return proc

    def start(self, count: int = 2) -> None:
        for i in range(count):
            name = f"{self.prefix}-w{len(self.procs)}"
            self.spawn([RQ, "worker", "-c", "workers.settings", "--url", self.redis_url, "--name", name,
                        f"{self.prefix}-notify", f"{self.prefix}-default"], name)

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace")[-3000:] for p in sorted(self.tmp.glob("*.log")))

    def stop(self) -> None:
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.procs.clear()


@pytest.fixture
def workers(app, redis_url, queue_prefix, tmp_path):
    """Real `rq worker` processes on this run's queues; configure the app before start()."""
    app.config.update(REDIS_URL=redis_url, RQ_QUEUE_PREFIX=queue_prefix)
    w = Workers(app, redis_url, queue_prefix, tmp_path)
    yield w
    w.stop()


def wait_for(condition, what: str, workers: Workers | None = None, timeout: float = 60.0):
    """Poll the database until `condition()` holds (each poll in a fresh transaction)."""
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


def count(model, *where) -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(model).where(*where)).scalar_one()


# --- tickets through the API, as the platform and the people would make them --------------------

SITES = {"D1": "https://edu.dongcheng.gov.cn/tzgg/1.html", "D2": "https://wsj.dongcheng.gov.cn/a.html"}


def post_report(client, world, pid: str, unit: str = "D1", **extra) -> int:
    """A report the platform forwards now (the injected clock); routed to `unit` by its URL."""
    body = {"platform_id": pid, "received_at": iso(now()), "url": SITES[unit], "description": "栏目链接打不开",
            **extra}
    r = client.post("/api/v1/reports", json=body, headers=world.headers("boss"))
    assert r.status_code == 201, r.get_json()
    return r.get_json()["ticket_id"]


def act(client, world, who: str, ticket_id: int, action: str, body: dict | None = None) -> dict:
    r = client.post(f"/api/v1/tickets/{ticket_id}/{action}", json=body or {}, headers=world.headers(who))
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def close(client, world, ticket_id: int, who: str = "edu_clerk") -> dict:
    act(client, world, who, ticket_id, "reply", {"text": "已更正链接，感谢指正。"})
    return act(client, world, "boss", ticket_id, "approve")


def give_emails(world) -> None:
    for name, user in world.users.items():
        user.email = f"{name}@office.example"
    db.session.commit()
