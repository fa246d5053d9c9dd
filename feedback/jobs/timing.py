"""Which time a background job runs at.

In production a job reads the clock when it runs. When time is injected (tests, replays:
app.config["CLOCK"]), the injected time travels with the job as an ISO string, and the job
runs with that time injected in turn — so a job run by a separate `rq worker` process sees
the same time as the code that queued it, and whatever it queues sees it too.
"""
from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime

from flask import current_app

from feedback.timeutil import assume_local, iso, now


def job_at(at: datetime | None = None) -> str | None:
    """The time to hand to a job being queued: None (the job reads its own clock when it runs)
    unless time is injected here; then `at`, or the injected now."""
    if current_app.config.get("CLOCK") is None:
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
