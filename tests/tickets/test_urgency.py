"""How pressing a ticket is, as the inbox shows it (pure: no database)."""
from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace

from feedback.calendar.workdays import WorkCalendar
from feedback.tickets.urgency import urgency
from feedback.timeutil import LOCAL

CAL = WorkCalendar()
FRIDAY_END = datetime(2026, 11, 27, 23, 59, 59, tzinfo=LOCAL)


def t(s: str) -> datetime:
    return datetime.fromisoformat(s).replace(tzinfo=LOCAL)


def ticket(state="assigned", unit_due_at=FRIDAY_END, replied_at=None, provisional=False,
           platform_due_at=datetime(2026, 12, 1, 23, 59, 59, tzinfo=LOCAL)):
    return SimpleNamespace(state=state, unit_due_at=unit_due_at, platform_due_at=platform_due_at,
                           replied_at=replied_at, deadline_provisional=provisional)


def test_days_left_turn_amber_then_red_then_overdue():
    seen = [(u.kind, u.days) for u in (urgency(ticket(), t(at), CAL) for at in (
        "2026-11-24T10:00",  # Tue: Wed, Thu, Fri left
        "2026-11-26T10:00",  # Thu: Fri left
        "2026-11-27T10:00",  # Fri: the last day
        "2026-11-30T10:00",  # Mon: Mon is one working day past Fri
        "2026-12-01T10:00",  # Tue: Mon, Tue
    ))]
    assert seen == [("ok", 3), ("soon", 1), ("today", 0), ("overdue", 1), ("overdue", 2)]


def test_a_reply_in_time_waits_on_the_office_and_is_not_overdue():
    u = urgency(ticket("replied", replied_at=t("2026-11-27T20:00")), t("2026-12-02T10:00"), CAL)
    assert u.kind == "waiting"


def test_a_late_reply_still_counts_as_overdue():
    u = urgency(ticket("replied", replied_at=t("2026-11-30T09:00")), t("2026-12-01T10:00"), CAL)
    assert (u.kind, u.days) == ("overdue", 2)


def test_triage_uses_the_platform_clock():
    u = urgency(ticket("new", unit_due_at=None), t("2026-11-30T10:00"), CAL)
    # platform due Tue Dec 1: Mon Nov 30 → Dec 1 is one working day
    assert (u.kind, u.days, u.clock) == ("soon", 1, "platform")


def test_closed_and_invalid_have_no_countdown():
    assert urgency(ticket("closed"), t("2026-12-10T10:00"), CAL).kind == "done"
    assert urgency(ticket("invalid"), t("2026-12-10T10:00"), CAL).kind == "done"


def test_provisional_deadlines_are_flagged():
    u = urgency(ticket(unit_due_at=datetime(2027, 1, 6, 23, 59, 59, tzinfo=LOCAL), provisional=True),
                t("2026-12-30T10:00"), CAL)
    assert u.provisional and u.kind == "ok"
