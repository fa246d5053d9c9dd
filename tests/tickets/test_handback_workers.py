"""The platform's webhook down for a while, with real Redis and real `rq worker` processes:
the reply is retried, nothing is lost, and nothing is sent twice once the platform is back."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from feedback.extensions import db
from feedback.tickets.handback import PlatformDelivery
from feedback.jobs.queue import enqueue
from feedback.timeutil import iso
from tests.support.api import close, post_report
from tests.support.services import run_job, wait_for

pytestmark = pytest.mark.services


def delivery() -> PlatformDelivery:
    return db.session.execute(sa.select(PlatformDelivery)).scalar_one()


def test_webhook_down_then_failing_then_back_delivers_exactly_once(app, client, world, clock, receiver, workers):
    app.config.update(receiver.config())
    receiver.stop()  # the platform is unreachable
    workers.start(2)

    clock.set("2026-11-24T10:00:00+08:00")
    ticket_id = post_report(client, world, "WH-1")
    closed = clock.set("2026-11-25T16:00:00+08:00")
    close(client, world, ticket_id)  # queues the hand-back job after the commit
    wait_for(lambda: delivery().attempts == 1, "the first attempt", workers)
    d = delivery()
    assert d.status == "failed" and "cannot reach" in d.last_error
    assert d.next_attempt_at == closed + timedelta(minutes=1)

    receiver.script = [503]
    receiver.start()  # back, but not yet acknowledging
    assert run_job("workers.tasks.sweep", iso(closed + timedelta(seconds=30)), workers=workers)["deliveries_due"] == 0
    assert receiver.hits == []
    assert run_job("workers.tasks.sweep", iso(closed + timedelta(minutes=1)), workers=workers)["deliveries_due"] == 1
    wait_for(lambda: delivery().attempts == 2, "the second attempt", workers)
    assert delivery().last_status_code == 503

    # the next try is 2 minutes later; two sweeps at once on two workers still send it once
    retry_at = iso(closed + timedelta(minutes=3))
    enqueue("workers.tasks.sweep", retry_at, queue_name="notify")
    enqueue("workers.tasks.sweep", retry_at, queue_name="notify")
    wait_for(lambda: delivery().status == "delivered", "the delivery", workers)
    run_job("workers.tasks.sweep", iso(closed + timedelta(hours=1)), workers=workers)

    assert [h.status for h in receiver.hits] == [503, 200]
    assert [h.json["platform_id"] for h in receiver.acknowledged] == ["WH-1"]
    d = delivery()
    assert (d.attempts, d.delivered_at) == (3, closed + timedelta(minutes=3))
    shown = client.get(f"/api/v1/tickets/{ticket_id}", headers=world.headers("boss")).get_json()
    assert shown["platform_delivery"]["status"] == "delivered"


def test_the_same_delivery_job_twice_on_two_workers_sends_once(app, client, world, clock, receiver, workers):
    app.config.update(receiver.config())
    clock.set("2026-11-24T10:00:00+08:00")
    ticket_id = post_report(client, world, "WH-2")
    close(client, world, ticket_id)  # queued once after the commit (no worker yet)
    at = iso(clock())
    enqueue("workers.tasks.deliver_platform_reply", delivery().id, at, queue_name="notify")  # and again
    workers.start(2)
    wait_for(lambda: delivery().status == "delivered", "the delivery", workers)
    run_job("workers.tasks.sweep", iso(clock.advance(minutes=10)), workers=workers)
    assert len(receiver.hits) == 1
