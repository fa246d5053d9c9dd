"""Faults survived with real Redis and real `rq worker` / `rq cron` processes: Redis down while
people work, the SMTP server down for a while. The database stays the source of truth."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import render_template_string

from feedback.extensions import db
from feedback.notices.models import Notification
from feedback.jobs.queue import enqueue
from feedback.tickets.handback import PlatformDelivery
from feedback.tickets.models import Ticket
from feedback.timeutil import iso
from tests.support.api import close, count, give_emails, post_report
from tests.support.services import RQ, closed_redis_url, run_job, wait_for
from tests.support.signin import sign_in

pytestmark = pytest.mark.services
N = Notification
THU_MORNING = "2026-11-26T07:30:00+08:00"  # tickets forwarded Tue 24 are due Fri 27: remind now, no digest yet


def mail_states() -> list[tuple[str, int]]:
    return db.session.execute(sa.select(N.email_status, N.email_attempts).order_by(N.id)).all()


def test_redis_down_work_is_kept_and_done_once_redis_is_back(app, client, world, clock, smtp, receiver, workers):
    app.config.update(smtp.config(), **receiver.config())
    give_emails(world)
    app.config["REDIS_URL"] = closed_redis_url()

    clock.set("2026-11-24T10:00:00+08:00")
    open_id = post_report(client, world, "RD-1")  # 201: accepted and stored without Redis
    closed_id = post_report(client, world, "RD-2")
    close(client, world, closed_id)  # the approve answers 200; its hand-back could not be queued
    db.session.rollback()
    assert count(Ticket) == 2
    assert db.session.execute(sa.select(PlatformDelivery.status)).scalars().all() == ["pending"]
    assert receiver.hits == []

    # the web keeps serving, and says background work is delayed
    assert sign_in(client, world.users["edu_clerk"]).status_code == 302
    assert client.get("/notices").status_code == 200
    with app.test_request_context("/notices"):
        assert "后台任务暂时延迟" in render_template_string("{% include 'notices/_background.html' %}")

    # Redis is back: the next sweep (queued as rq cron would) finds both pieces of work
    app.config["REDIS_URL"] = workers.redis_url
    workers.start(2)
    counts = run_job("workers.tasks.sweep", THU_MORNING, workers=workers)
    assert (counts["reminders"], counts["deliveries_due"]) == (1, 1)
    wait_for(lambda: db.session.execute(sa.select(PlatformDelivery.status)).scalar_one() == "delivered",
             "the hand-back", workers)
    wait_for(lambda: mail_states() == [("sent", 1)], "the reminder e-mail", workers)
    assert [h.json["platform_id"] for h in receiver.acknowledged] == ["RD-2"]
    [message] = smtp.messages
    assert message.rcpt_tos == ["edu_clerk@office.example"] and "RD-1" in message.body
    assert db.session.execute(sa.select(N.ticket_id)).scalar_one() == open_id
    with app.test_request_context("/notices"):
        assert "后台任务暂时延迟" not in render_template_string("{% include 'notices/_background.html' %}")


def test_smtp_down_mail_is_retried_and_sent_once_when_back(app, client, world, clock, smtp, workers):
    app.config.update(smtp.config())
    give_emails(world)
    clock.set("2026-11-24T10:00:00+08:00")
    for pid, unit in [("SM-1", "D1"), ("SM-2", "D1"), ("SM-3", "D2")]:
        post_report(client, world, pid, unit)
    smtp.stop()
    workers.start(2)

    at = clock.set(THU_MORNING)
    assert run_job("workers.tasks.sweep", iso(at), workers=workers)["reminders"] == 3
    # the send job failed to connect: all three wait, a minute apart from now
    wait_for(lambda: mail_states() == [("pending", 1)] * 3, "the failed first attempt", workers)
    assert set(db.session.execute(sa.select(N.email_next_at)).scalars()) == {at + timedelta(minutes=1)}

    smtp.start()  # back, on the same port
    assert run_job("workers.tasks.sweep", iso(at + timedelta(seconds=30)), workers=workers)["mail_due"] == 0
    assert smtp.messages == []  # the backoff is respected

    # two sweeps at once on two workers: still one message per unit
    later = iso(at + timedelta(minutes=2))
    enqueue("workers.tasks.sweep", later, queue_name="notify")
    enqueue("workers.tasks.sweep", later, queue_name="notify")
    wait_for(lambda: mail_states() == [("sent", 2)] * 3, "the retried e-mail", workers)
    run_job("workers.tasks.sweep", iso(at + timedelta(minutes=10)), workers=workers)
    wait_for(lambda: not workers_busy(workers), "idle workers", workers)

    # hand count: D1's message lists SM-1 and SM-2, D2's lists SM-3; each ticket mentioned once overall
    assert sorted(m.rcpt_tos[0] for m in smtp.messages) == ["edu_clerk@office.example", "health_clerk@office.example"]
    bodies = "".join(m.body for m in smtp.messages)
    assert [bodies.count(pid) for pid in ("SM-1", "SM-2", "SM-3")] == [1, 1, 1]


def workers_busy(workers) -> bool:
    from feedback.jobs.queue import queue

    q = queue("notify")
    return q.count > 0 or q.started_job_registry.count > 0


def test_rq_cron_queues_the_sweep_and_a_worker_runs_it(app, world, workers):
    from redis import Redis
    from rq.job import Job

    workers.start(1)
    cron = workers.spawn([RQ, "cron", "--url", workers.redis_url, "workers.cron"], f"{workers.prefix}-cron")
    conn = Redis.from_url(workers.redis_url)
    history = f"rq:cron_job:{workers.prefix}:sweep:jobs"

    def finished_sweep():
        assert cron.poll() is None, "rq cron exited"
        ids = conn.zrange(history, 0, -1)
        if not ids:
            return None
        job = Job.fetch(ids[0].decode(), connection=conn)
        if job.get_status() == "failed":
            pytest.fail(job.latest_result().exc_string + workers.logs())
        return job.return_value() if job.get_status() == "finished" else None

    counts = wait_for(finished_sweep, "a sweep queued by rq cron", workers)
    # an empty database (no tickets) has nothing due at any time the worker's clock may say
    assert counts == {"reminders": 0, "escalations": 0, "digests": 0, "imports_expired": 0, "mail_due": 0,
                      "deliveries_due": 0, "finding_reminders": 0, "finding_escalations": 0}
    assert json.loads(json.dumps(counts)) == counts
