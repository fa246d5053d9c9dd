"""Background work (DESIGN.md: Background work).

With REDIS_URL set, jobs go to RQ queues for `rq worker` processes; without it they run
in-process, right away. The database stays the source of truth: if Redis is unreachable the
job is not enqueued, the failure is logged, and the periodic sweep finds the work again from
the rows it left (so enqueueing must never break the request that caused it).
"""
from __future__ import annotations

import logging
from importlib import import_module

from flask import current_app

log = logging.getLogger(__name__)

QUEUES = ("default", "imports", "exports", "notify")


def redis_connection(url: str | None = None):
    from redis import Redis

    url = url or current_app.config.get("REDIS_URL")
    return Redis.from_url(url, socket_connect_timeout=2, socket_timeout=10) if url else None


def queue(name: str = "default"):
    from rq import Queue

    conn = redis_connection()
    prefix = current_app.config.get("RQ_QUEUE_PREFIX", "feedback")
    return Queue(f"{prefix}-{name}", connection=conn) if conn is not None else None


def resolve(path: str):
    module, _, attr = path.rpartition(".")
    return getattr(import_module(module), attr)


def enqueue(path: str, *args, queue_name: str = "default", job_id: str | None = None, **options) -> bool:
    """Run `path(*args)` in the background. Returns False when it could not be queued (Redis down):
    the caller has already stored what the job needs, and the sweep will pick it up."""
    q = queue(queue_name)
    if q is None:
        resolve(path)(*args)
        return True
    from redis.exceptions import RedisError

    try:
        q.enqueue(path, *args, job_id=job_id, **options)
        return True
    except RedisError as exc:
        log.warning("could not enqueue %s%r: %s; the next sweep will redo it", path, args, exc)
        return False


def background_available() -> bool:
    """False when Redis is configured but unreachable: pages say background work is delayed."""
    conn = redis_connection()
    if conn is None:
        return True
    from redis.exceptions import RedisError

    try:
        return bool(conn.ping())
    except RedisError:
        return False
