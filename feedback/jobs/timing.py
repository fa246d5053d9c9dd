"""Which time a background job runs at.

A job queued to Redis reads the clock when a worker runs it. When time is injected (tests,
replays: app.config["CLOCK"]) or the job runs in-process at once, the caller's time travels
with the job as an ISO string and the job runs with that time injected in turn — so a job run
by a separate `rq worker` process sees the same time as the code that queued it, and whatever
it queues sees it too.
"""
from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime

from flask import current_app

from feedback.timeutil import assume_local, iso, now


def job_at(at: datetime | None = None) -> str | None:
    """The time to hand to a job being queued: `at` (or now) when time is injected, or when the
    job runs in-process right away; otherwise None, and a worker reads its clock when it runs
    (a queued job may wait, and must not act at a time already past)."""
    if current_app.config.get("CLOCK") is None and current_app.config.get("REDIS_URL"):
        return None
    return iso(at or now())


def parse_at(at: str | datetime | None) -> datetime | None:
    if at is None or isinstance(at, datetime):
        return assume_local(at) if at is not None else None
    return assume_local(datetime.fromisoformat(at))


@contextmanager
def running_at(at: str | datetime | None):
    """Run a job at `at` (injected as the clock for its duration) or, without one, at now()."""
    when = parse_at(at)
    if when is None:
        yield now()
        return
    config = current_app.config
    saved = config.get("CLOCK")
    config["CLOCK"] = lambda: when
    try:
        yield when
    finally:
        config["CLOCK"] = saved
