"""Platform hand-back, in-process (no Redis), against a real local HTTP receiver standing in for
the national platform."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from feedback.accounts.scope import Actor
from feedback.calendar.service import current_calendar
from feedback.extensions import db
from feedback.tickets import handback
from feedback.tickets.handback import PlatformDelivery
from feedback.jobs.sweep import run_sweep
from feedback.tickets import lifecycle
from feedback.tickets.models import Ticket
from tests.support.api import act, close, count, post_report
from tests.support.doubles import SECRET

CLOSED_AT = "2026-11-25T16:00:00+08:00"


def the_delivery() -> PlatformDelivery:
    db.session.rollback()  # see what the request committed
    return db.session.execute(sa.select(PlatformDelivery)).scalar_one()


def closed_ticket(client, world, clock, pid="H-1") -> int:
    clock.set("2026-11-24T10:00:00+08:00")
    ticket_id = post_report(client, world, pid)
    clock.set(CLOSED_AT)
    close(client, world, ticket_id)
    return ticket_id


def test_closing_hands_the_reply_back_signed(app, client, world, clock, receiver):
    app.config.update(receiver.config())
    ticket_id = closed_ticket(client, world, clock)

    [hit] = receiver.hits
    body = hit.json
    assert body["platform_id"] == "H-1" and body["reply"] == "已更正链接，感谢指正。"
    assert body["closed_at"] == CLOSED_AT and body["event"] == "ticket.closed"
    assert hit.headers["X-Feedback-Signature"] == handback.sign(hit.body, SECRET)
    assert hit.headers["X-Feedback-Delivery"] == str(body["delivery_id"])

    shown = client.get(f"/api/v1/tickets/{ticket_id}", headers=world.headers("boss")).get_json()
    assert shown["platform_delivery"]["status"] == "delivered"
    assert shown["platform_delivery"]["delivered_at"] == CLOSED_AT
    # the sweep finds nothing more to send, and a repeated job sends nothing again
    assert run_sweep(clock.advance(hours=1))["deliveries_due"] == 0
    assert handback.deliver(the_delivery().id, clock()) == "skipped"
    assert len(receiver.hits) == 1


def test_the_delivery_row_is_part_of_the_close_transaction(app, world, clock, receiver, client):
    app.config.update(receiver.config())
    clock.set("2026-11-24T10:00:00+08:00")
    ticket_id = post_report(client, world, "H-2")
    act(client, world, "edu_clerk", ticket_id, "reply", {"text": "已处理"})
    ticket = db.session.get(Ticket, ticket_id)
    lifecycle.apply(ticket, "approve", Actor.system(), clock(), {}, current_calendar())
    db.session.rollback()  # the close is abandoned: nothing is owed, nothing is sent
    assert count(PlatformDelivery) == 0
    db.session.commit()
    assert receiver.hits == []


def test_an_unacknowledged_delivery_is_retried_with_backoff_until_2xx(app, client, world, clock, receiver):
    app.config.update(receiver.config())
    receiver.script = [503, 500, 302]
    ticket_id = closed_ticket(client, world, clock)
    closed = clock()
    d = the_delivery()
    # attempt 1 right after the close: 503 → failed, the next try a minute later
    assert (d.status, d.attempts, d.last_status_code) == ("failed", 1, 503)
    assert d.next_attempt_at == closed + timedelta(minutes=1)
    shown = client.get(f"/api/v1/tickets/{ticket_id}", headers=world.headers("edu_clerk")).get_json()
    assert shown["platform_delivery"]["status"] == "failed"

    assert run_sweep(clock.set(closed + timedelta(seconds=59)))["deliveries_due"] == 0  # not yet
    assert len(receiver.hits) == 1
    run_sweep(clock.set(closed + timedelta(minutes=1)))  # attempt 2: 500, next 2 minutes later
    assert the_delivery().next_attempt_at == closed + timedelta(minutes=3)
    run_sweep(clock.set(closed + timedelta(minutes=3)))  # attempt 3: a redirect is no acknowledgement
    d = the_delivery()
    assert d.status == "failed" and "redirects are not followed" in d.last_error
    assert d.next_attempt_at == closed + timedelta(minutes=7)  # 4 minutes later
    run_sweep(clock.set(closed + timedelta(minutes=7)))  # attempt 4: 200
    d = the_delivery()
    assert (d.status, d.attempts, d.delivered_at) == ("delivered", 4, closed + timedelta(minutes=7))
    run_sweep(clock.advance(hours=2))
    assert [h.status for h in receiver.hits] == [503, 500, 302, 200]
    assert len({h.body for h in receiver.hits}) == 1  # every attempt sent the same signed body


def test_without_a_secret_nothing_is_sent_unsigned(app, client, world, clock, receiver):
    app.config.update(PLATFORM_WEBHOOK_URL=receiver.url, PLATFORM_WEBHOOK_SECRET=None)
    closed_ticket(client, world, clock)
    d = the_delivery()
    assert d.status == "failed" and "PLATFORM_WEBHOOK_SECRET" in d.last_error
    assert receiver.hits == []


def test_without_a_webhook_the_reply_waits_and_goes_once_configured(app, client, world, clock, receiver):
    ticket_id = closed_ticket(client, world, clock)
    assert the_delivery().status == "pending"
    assert run_sweep(clock.advance(minutes=5))["deliveries_due"] == 1
    assert receiver.hits == []
    app.config.update(receiver.config())
    run_sweep(clock.advance(minutes=5))
    assert [h.json["platform_id"] for h in receiver.hits] == ["H-1"]
    assert the_delivery().status == "delivered"
    shown = client.get(f"/api/v1/tickets/{ticket_id}", headers=world.headers("boss")).get_json()
    assert shown["platform_delivery"]["attempts"] == 1


def test_an_open_ticket_has_no_delivery(app, client, world, clock):
    ticket_id = post_report(client, world, "H-3")
    shown = client.get(f"/api/v1/tickets/{ticket_id}", headers=world.headers("boss")).get_json()
    assert shown["platform_delivery"] is None


def test_a_delivery_claimed_by_a_worker_that_died_is_retried_after_its_lease(app, client, world, clock, receiver):
    ticket_id = closed_ticket(client, world, clock)  # no webhook yet: the row waits, pending
    app.config.update(receiver.config())
    closed = clock()
    # a worker claimed it (lease: the 10 s timeout + 60 s) and died mid-attempt
    db.session.execute(sa.update(PlatformDelivery).values(claimed_until=closed + timedelta(seconds=70)))
    db.session.commit()
    assert run_sweep(clock.set(closed + timedelta(seconds=69)))["deliveries_due"] == 0
    assert receiver.hits == []
    assert run_sweep(clock.set(closed + timedelta(seconds=71)))["deliveries_due"] == 1
    assert the_delivery().status == "delivered"
    assert [h.json["ticket_id"] for h in receiver.hits] == [ticket_id]
