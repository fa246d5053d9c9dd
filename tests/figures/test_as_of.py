"""Figures as of a past moment: history after T must not leak into T's figures."""
from __future__ import annotations

from datetime import date, datetime

import pytest

from feedback.accounts.scope import Actor
from feedback.figures.closure import closure, overdue_details
from tests.figures.worlds import as_of_corners

OCT = (date(2026, 10, 1), date(2026, 10, 31))


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def counts(figures) -> tuple:
    return (figures.received, figures.closed, figures.on_time, figures.late, figures.overdue_open,
            figures.pending, figures.on_time_rate)


@pytest.fixture
def boss(world, story):
    as_of_corners(story)
    return Actor.of(world.users["boss"])


def test_before_the_deadline_everything_is_pending(boss):
    # Tue Oct 13 noon: A, B and E received Oct 12, due Thu Oct 15; D not yet received.
    assert counts(closure(boss, *OCT, at("2026-10-13T12:00:00+08:00")).total) == (3, 0, 0, 0, 0, 3, None)


def test_reply_rejected_later_was_awaiting_review_in_time(boss):
    # Fri Oct 16 noon, past the Oct 15 deadline:
    # A replied Oct 15 (on time) and was rejected only on Oct 19 → at T awaiting review → pending
    #   (E's rejection at 09:00 that day is E's own: it must not touch A);
    # B's extension was approved only on Oct 19 → at T its deadline was still Oct 15 → overdue;
    # E's reply was rejected at 09:00 → open past its deadline → overdue;
    # D is received on Oct 17, after T → not in the cohort.
    t = at("2026-10-16T12:00:00+08:00")
    assert counts(closure(boss, *OCT, t).total) == (3, 0, 0, 0, 2, 1, 0.0)
    b, e = overdue_details(boss, *OCT, t)
    # B's deadline in force then, and one working day (Fri Oct 16) past it
    assert (b.platform_id, b.unit_due_at.isoformat(), b.overdue_workdays) == ("B", "2026-10-15T15:59:59+00:00", 1)
    assert e.platform_id == "E"


def test_after_the_rejection_the_old_reply_no_longer_counts(boss):
    # Mon Oct 19 noon: A's reply was rejected at 09:00 → open past its deadline → overdue; E overdue.
    # B: extension approved 09:00 (due Mon Oct 19 23:59:59), replied 10:00 → awaiting review in time → pending.
    # D: received Sat Oct 17, due Wed Oct 21 → pending.
    assert counts(closure(boss, *OCT, at("2026-10-19T12:00:00+08:00")).total) == (4, 0, 0, 0, 2, 2, 0.0)


def test_closed_after_t_is_open_at_t(boss):
    # Mon Oct 19 16:00: B closed at 15:00 on time; A (second reply comes Oct 20) and E overdue; D pending.
    assert counts(closure(boss, *OCT, at("2026-10-19T16:00:00+08:00")).total) == (4, 1, 1, 0, 2, 1, 1 / 3)


def test_now_every_history_is_settled(boss):
    # Nov 2: A closed late (second reply Oct 20 after Oct 15), B on time (extended to Oct 19),
    # D overdue since Oct 21, E overdue. Rate 1 / (2 + 2).
    assert counts(closure(boss, *OCT, at("2026-11-02T12:00:00+08:00")).total) == (4, 2, 1, 1, 2, 0, 0.25)
