"""The e-mail copies of notices (issue 6): a small outbox over the Notification rows.

One message per unit, audience and kind carries every due notice of that group. A group is
claimed in one UPDATE (status `sending`, a claim token, a lease) before its message is sent,
so two workers never send the same notice; a claim whose worker died lapses after the lease.
While the SMTP server is down, messages go back to `pending` with backoff (1, 2, 4 … minutes,
at most an hour); a permanent refusal (5xx) marks them `failed`. At-least-once: a worker that
dies between the server's acceptance and the status update sends that message again.
"""
from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import force_locale, gettext as _

from feedback.accounts.models import User
from feedback.directory.models import Unit
from feedback.extensions import db
from feedback.notices import mail
from feedback.notices.models import Notification
from feedback.notices.notify import NO_SMTP, described

log = logging.getLogger(__name__)

N = Notification
MAIL_LEASE = timedelta(minutes=5)  # a claimed message not finished by then is someone else's to send
MAIL_RETRY = timedelta(minutes=1)
MAIL_RETRY_MAX = timedelta(hours=1)
MAIL_LIST_LIMIT = 50  # lines listed in one e-mail; the rest are counted and shown in the app


@dataclass
class MailCounts:
    messages: int = 0
    sent: int = 0
    retry: int = 0
    failed: int = 0
    skipped: int = 0


def _due(at: datetime):
    """Notices whose e-mail should go now: pending and due, or claimed by a send that lapsed."""
    return sa.and_(N.email_status.in_(("pending", "sending")), N.email_next_at <= at)


def mail_due_count(at: datetime) -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(N).where(_due(at))).scalar_one()


def send_pending_mail(at: datetime) -> dict:
    """Send the due e-mail copies: one message per (unit, audience, kind) with every due notice
    of that group. Safe to run twice, and on several workers at once: a group's notices are
    claimed in one UPDATE before its message is sent."""
    counts = MailCounts()
    groups = db.session.execute(
        sa.select(N.unit_id, N.audience, N.kind).where(_due(at)).group_by(N.unit_id, N.audience, N.kind)
        .order_by(N.unit_id, N.audience, N.kind)).all()
    if not groups:
        return vars(counts)
    if not mail.configured():
        counts.skipped = _finish(_due(at), at, "skipped", NO_SMTP)
        return vars(counts)
    addresses = recipients({g.unit_id for g in groups})
    pending = list(groups)
    try:
        with mail.open_sender() as sender:
            while pending:
                group = pending[0]
                _send_group(sender, group, addresses.get((group.unit_id, group.audience), []), at, counts)
                pending.pop(0)
    except mail.MailUnavailable as exc:
        # The server is down: every message not sent yet waits for the next try, with backoff.
        log.warning("SMTP unavailable, %d messages wait: %s", len(pending), exc)
        counts.retry += _retry(sa.and_(_due(at), sa.or_(*(_in_group(g) for g in pending))), at, str(exc))
    return vars(counts)


def recipients(unit_ids: set[int]) -> dict[tuple[int, str], list[str]]:
    out = defaultdict(list)
    rows = db.session.execute(
        sa.select(User.unit_id, User.role, User.email)
        .where(User.unit_id.in_(unit_ids), User.active.is_(True), User.email.is_not(None), User.email != "")
        .order_by(User.id)).all()
    for unit_id, role, email in rows:
        out[(unit_id, role)].append(email.strip())
    return out


def _in_group(group):
    return sa.and_(N.unit_id == group.unit_id, N.audience == group.audience, N.kind == group.kind)


def _send_group(sender, group, to_addrs: list[str], at: datetime, counts: MailCounts) -> None:
    if not to_addrs:
        counts.skipped += _finish(sa.and_(_due(at), _in_group(group)), at, "skipped",
                                  "nobody in this unit and role has an e-mail address")
        return
    claim, total = _claim(group, at)
    if not total:
        return  # another worker has them
    mine = sa.and_(N.email_claim == claim, N.email_status == "sending")
    listed = db.session.execute(sa.select(N).where(mine).order_by(N.id).limit(MAIL_LIST_LIMIT)).scalars().all()
    subject, body = compose(group.kind, db.session.get(Unit, group.unit_id), listed, total)
    try:
        refused = sender.send(mail.build_message(subject, body, to_addrs), to_addrs)
    except mail.MailRejected as exc:
        counts.failed += _finish(mine, at, "failed", str(exc))
        return
    except mail.MailUnavailable as exc:
        counts.retry += _retry(mine, at, str(exc))
        raise
    counts.messages += 1
    counts.sent += _finish(mine, at, "sent", f"refused: {sorted(refused)}" if refused else None)


def _claim(group, at: datetime) -> tuple[str, int]:
    claim = uuid.uuid4().hex
    claimed = db.session.execute(
        sa.update(N).where(_due(at), _in_group(group))
        .values(email_status="sending", email_claim=claim, email_next_at=at + MAIL_LEASE)).rowcount
    db.session.commit()
    return claim, claimed


def _finish(where, at: datetime, status: str, error: str | None) -> int:
    done = db.session.execute(sa.update(N).where(where).values(
        email_status=status, email_claim=None, email_error=error, email_attempts=N.email_attempts + 1,
        email_sent_at=at if status == "sent" else None)).rowcount
    db.session.commit()
    return done


def _retry(where, at: datetime, error: str) -> int:
    """Back to pending, due again 1, 2, 4 … minutes (at most an hour) after the attempt, by the
    number of attempts made."""
    done = 0
    attempts_seen = db.session.execute(sa.select(N.email_attempts).where(where).distinct()).scalars().all()
    for made in attempts_seen:
        delay = min(MAIL_RETRY * 2 ** made, MAIL_RETRY_MAX)
        done += db.session.execute(sa.update(N).where(where, N.email_attempts == made).values(
            email_status="pending", email_claim=None, email_attempts=made + 1,
            email_next_at=at + delay, email_error=error[:1000])).rowcount
    db.session.commit()
    return done


def compose(kind: str, unit: Unit, listed: list[Notification], total: int) -> tuple[str, str]:
    """Subject and plain-text body of one message, in Chinese (the office's language)."""
    with force_locale("zh_CN"):
        subject = {
            "remind": _("【找错工单】%(unit)s：%(n)d 条留言即将到期", unit=unit.name, n=total),
            "overdue": _("【找错工单】%(n)d 条留言已超期未办结", n=total),
            "digest": _("【找错工单】%(unit)s 每日汇总", unit=unit.name),
            "deadline": _("【找错工单】%(unit)s：留言办理期限已调整", unit=unit.name),
            "finding_remind": _("【找错工单】%(unit)s：%(n)d 项整改即将到期", unit=unit.name, n=total),
            "finding_overdue": _("【找错工单】%(n)d 项整改已超期未完成", n=total),
        }.get(kind, "【找错工单】")
        lines = [_("%(unit)s：", unit=unit.name), ""]
        for _notice, title, details in described(listed):
            lines.append("· " + title)
            lines.extend("  " + d for d in details)
        if total > len(listed):
            lines.append(_("……另有 %(n)d 条，请登录系统查看。", n=total - len(listed)))
        lines += ["", _("请登录找错工单查看和办理。此邮件由系统自动发送，请勿回复。")]
    return subject, "\n".join(lines) + "\n"
