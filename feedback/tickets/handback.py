"""Handing the reply back to the national platform (issue 6: platform hand-back).

When a ticket closes, `record_close` adds a PlatformDelivery row in the same transaction as the
close (lifecycle's approve calls it). After that transaction commits, the delivery is queued;
the periodic sweep also re-finds every undelivered row whose next try has come, so nothing is
lost with Redis or a worker. `deliver` POSTs the reply as JSON to PLATFORM_WEBHOOK_URL, signed
with HMAC-SHA256 over the exact body (header X-Feedback-Signature: sha256=<hex>), and retries
with exponential backoff until the platform answers 2xx. Delivery is at-least-once: the body
carries platform_id (and delivery_id) so the receiver can drop a repeat.
"""
from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import after_this_request, current_app, has_request_context
from sqlalchemy.orm import Mapped, mapped_column

from feedback.extensions import db
from feedback.figures import rules
from feedback.jobs.queue import enqueue
from feedback.jobs.timing import job_at, parse_at
from feedback.timeutil import UTCDateTime, iso, now

log = logging.getLogger(__name__)

DELIVERY_STATES = ("pending", "delivered", "failed")


class PlatformDelivery(db.Model):
    """One closed ticket's reply owed to the platform's webhook, written in the same transaction
    as the close and retried until the platform acknowledges it (at-least-once)."""

    __tablename__ = "platform_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(sa.ForeignKey("tickets.id"))
    platform_id: Mapped[str] = mapped_column(sa.String(64))  # the receiver de-duplicates on it
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    payload: Mapped[dict] = mapped_column(sa.JSON)  # frozen at close, so every retry sends the same body
    status: Mapped[str] = mapped_column(sa.String(12), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)  # an attempt is in flight
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_status_code: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    __table_args__ = (
        sa.UniqueConstraint("ticket_id", "closed_at", name="uq_platform_deliveries_ticket_closed"),
        sa.Index("ix_platform_deliveries_status_next", "status", "next_attempt_at"),
        sa.CheckConstraint(sa.text("status in ('pending','delivered','failed')"), name="status"),
    )


D = PlatformDelivery
SESSION_KEY = "feedback.handback.closed"
SIGNATURE_HEADER = "X-Feedback-Signature"
DEFAULT_TIMEOUT = 10  # seconds per attempt
DEFAULT_RETRY = 60  # seconds before the 2nd attempt; doubles each time
DEFAULT_RETRY_MAX = 6 * 3600
DUE_BATCH = 500


# --- recording the close (inside the lifecycle's transaction) ---------------------------------

def record_close(ticket, at: datetime) -> PlatformDelivery:
    """Owe the platform this ticket's reply. Adds the row only; the caller's commit keeps it
    together with the close, and the delivery is queued once that commit has happened."""
    delivery = D(ticket_id=ticket.id, platform_id=ticket.platform_id, closed_at=at, payload=payload(ticket, at),
                 status="pending", attempts=0, next_attempt_at=at, created_at=at)
    db.session.add(delivery)
    db.session.info.setdefault(SESSION_KEY, []).append(delivery)
    return delivery


def payload(ticket, at: datetime) -> dict:
    return {
        "event": "ticket.closed",
        "platform_id": ticket.platform_id,
        "ticket_id": ticket.id,
        "reply": ticket.reply_text,
        "replied_at": iso(ticket.replied_at),
        "closed_at": iso(at),
        "unit": None if ticket.unit is None else {"code": ticket.unit.code, "name": ticket.unit.name},
        "on_time": rules.replied_by(ticket.replied_at, ticket.unit_due_at),
        "handling_workdays": ticket.handling_workdays,
        # Files as metadata only: the platform holds no token for our API, and the bytes are the
        # office's record (kept as long as the ticket). Internal notes never leave the system.
        "attachments": _reply_attachments(ticket),
        "notes": _outgoing_notes(ticket),
    }


def _reply_attachments(ticket) -> list[dict]:
    from feedback.attachments.service import of_events

    replies = [e for e in ticket.events if e.action == "reply"]
    if not replies:
        return []
    return [{"id": a.id, "name": a.name, "size": a.size, "content_type": a.content_type, "sha256": a.sha256}
            for a in of_events([replies[-1].id]).get(replies[-1].id, [])]


def _outgoing_notes(ticket) -> list[dict]:
    """Notes written to go out (`internal` false), never an internal one."""
    return [{"at": iso(e.at), "text": e.data.get("text")} for e in ticket.events
            if e.action == "note" and (e.data or {}).get("internal") is False]


@sa.event.listens_for(db.session, "after_commit")
def _queue_committed(session) -> None:
    closed = session.info.pop(SESSION_KEY, None)
    for delivery in closed or ():
        identity = sa.inspect(delivery).identity  # no SQL: the session cannot emit any here
        if identity:
            schedule(identity[0])


@sa.event.listens_for(db.session, "after_rollback")
def _forget_rolled_back(session) -> None:
    session.info.pop(SESSION_KEY, None)


def schedule(delivery_id: int) -> None:
    """Queue one delivery now that its row is committed. With Redis: a job. In-process: right
    after the current request (a commit hook may not touch the database). Otherwise, and
    whenever queueing fails, the next sweep finds the row."""
    at = job_at()
    if current_app.config.get("REDIS_URL"):
        enqueue("workers.tasks.deliver_platform_reply", delivery_id, at, queue_name="notify")
    elif has_request_context():
        @after_this_request
        def _deliver(response):
            try:
                deliver(delivery_id, parse_at(at) or now())
            except Exception:  # the close is stored; the sweep will try again
                log.exception("hand-back of delivery %s failed; the sweep will retry", delivery_id)
                db.session.rollback()
            return response


# --- finding and showing ------------------------------------------------------------------------

def due_deliveries(at: datetime, limit: int = DUE_BATCH) -> list[int]:
    """Undelivered rows whose next try has come and that nobody is trying right now."""
    return list(db.session.execute(
        sa.select(D.id)
        .where(D.status != "delivered", D.next_attempt_at <= at,
               sa.or_(D.claimed_until.is_(None), D.claimed_until < at))
        .order_by(D.next_attempt_at, D.id).limit(limit)).scalars())


def delivery_for(ticket) -> dict | None:
    """The hand-back state shown on a ticket: pending / delivered / failed (and when next)."""
    d = db.session.execute(
        sa.select(D).where(D.ticket_id == ticket.id).order_by(D.id.desc()).limit(1)).scalar_one_or_none()
    if d is None:
        return None
    return {
        "status": d.status,
        "attempts": d.attempts,
        "last_attempt_at": iso(d.last_attempt_at),
        "next_attempt_at": None if d.status == "delivered" else iso(d.next_attempt_at),
        "delivered_at": iso(d.delivered_at),
        "last_status_code": d.last_status_code,
        "last_error": d.last_error,
    }


# --- delivering ---------------------------------------------------------------------------------

@dataclass
class Attempt:
    ok: bool
    status_code: int | None = None
    error: str | None = None


def deliver(delivery_id: int, at: datetime) -> str:
    """One attempt to hand this reply back. Safe to run twice or on two workers at once: the row
    is claimed first, and a delivered row is never sent again. Returns what happened."""
    cfg = current_app.config
    url = cfg.get("PLATFORM_WEBHOOK_URL")
    if not url:
        return "not_configured"  # the row waits; the sweep sends it once a URL is set
    timeout = float(cfg.get("PLATFORM_WEBHOOK_TIMEOUT", DEFAULT_TIMEOUT))
    if not _claim(delivery_id, at, timedelta(seconds=timeout + 60)):
        return "skipped"
    delivery = db.session.get(D, delivery_id)
    body = body_bytes(delivery)
    secret = cfg.get("PLATFORM_WEBHOOK_SECRET")
    if secret:
        attempt = post(url, body, headers(delivery, body, secret), timeout)
    else:
        attempt = Attempt(False, error="FEEDBACK_PLATFORM_WEBHOOK_SECRET is not set: replies are never sent unsigned")
    _record(delivery, at, attempt)
    db.session.commit()
    return "delivered" if attempt.ok else "failed"


def _claim(delivery_id: int, at: datetime, lease: timedelta) -> bool:
    result = db.session.execute(
        sa.update(D).where(D.id == delivery_id, D.status != "delivered",
                           sa.or_(D.claimed_until.is_(None), D.claimed_until < at))
        .values(claimed_until=at + lease))
    db.session.commit()
    return result.rowcount == 1


def _record(d: PlatformDelivery, at: datetime, attempt: Attempt) -> None:
    d.attempts += 1
    d.last_attempt_at = at
    d.last_status_code = attempt.status_code
    d.claimed_until = None
    if attempt.ok:
        d.status, d.delivered_at, d.last_error = "delivered", at, None
    else:
        d.status, d.last_error = "failed", (attempt.error or "")[:1000]
        d.next_attempt_at = at + retry_delay(d.attempts)


def retry_delay(attempts: int) -> timedelta:
    """1, 2, 4 … minutes after the 1st, 2nd, 3rd … failed attempt, at most 6 hours apart."""
    cfg = current_app.config
    base = int(cfg.get("PLATFORM_WEBHOOK_RETRY_SECONDS", DEFAULT_RETRY))
    cap = int(cfg.get("PLATFORM_WEBHOOK_RETRY_MAX_SECONDS", DEFAULT_RETRY_MAX))
    return timedelta(seconds=min(base * 2 ** (attempts - 1), cap))


def body_bytes(d: PlatformDelivery) -> bytes:
    """The same bytes on every attempt: the payload frozen at close plus the delivery id."""
    return json.dumps(dict(d.payload, delivery_id=d.id), ensure_ascii=False, sort_keys=True,
                      separators=(",", ":")).encode("utf-8")


def sign(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def headers(d: PlatformDelivery, body: bytes, secret: str) -> dict:
    return {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "feedback-handback/1",
        "X-Feedback-Event": "ticket.closed",
        "X-Feedback-Delivery": str(d.id),
        SIGNATURE_HEADER: sign(body, secret),
    }


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is not an acknowledgement, and a signed POST must not turn into a GET."""

    def redirect_request(self, req, fp, code, msg, hdrs, newurl):
        return None


def post(url: str, body: bytes, hdrs: dict, timeout: float) -> Attempt:
    request = urllib.request.Request(url, data=body, headers=hdrs, method="POST")
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=timeout) as response:
            code = response.status
            response.read(4096)
    except urllib.error.HTTPError as exc:
        snippet = exc.read(300).decode("utf-8", "replace") if exc.fp else ""
        hint = " (redirects are not followed: set the final address)" if 300 <= exc.code < 400 else ""
        return Attempt(False, exc.code, f"HTTP {exc.code}{hint}: {snippet}".strip())
    except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return Attempt(False, None, f"cannot reach {url}: {reason}")
    if 200 <= code < 300:
        return Attempt(True, code)
    return Attempt(False, code, f"HTTP {code}: not an acknowledgement (expected 2xx)")
