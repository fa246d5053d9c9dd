"""Setting the two clocks on a ticket (DESIGN.md: Deadlines)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from feedback.calendar.deadlines import due_after
from feedback.calendar.workdays import WorkCalendar
from feedback.figures import rules
from feedback.settings import service as settings
from feedback.settings.registry import CATEGORIES as CATEGORY_KEYS


def unit_days_for(category: str | None, at: datetime | None = None) -> int:
    """N of a unit clock started at `at`: the category's own deadline.unit_days.<category> in
    force then, else deadline.unit_days (settings; the environment gives the first values)."""
    own = settings.get(f"deadline.unit_days.{category}", at) if category in CATEGORY_KEYS else None
    return own if own is not None else settings.get("deadline.unit_days", at)


def platform_days(at: datetime | None = None) -> int:
    return settings.get("deadline.platform_days", at)


def start_platform_clock(ticket, cal: WorkCalendar) -> None:
    ticket.platform_clock_days = platform_days(ticket.received_at)
    _recompute(ticket, cal)


def start_unit_clock(ticket, assigned_at: datetime, cal: WorkCalendar) -> None:
    """A fresh unit clock: assignment, or reassignment after a return."""
    ticket.assigned_at = assigned_at
    ticket.unit_clock_days = unit_days_for(ticket.category, assigned_at)
    _recompute(ticket, cal)


def extend_unit_clock(ticket, days: int, cal: WorkCalendar) -> None:
    ticket.unit_clock_days += days
    _recompute(ticket, cal)


@dataclass(frozen=True)
class ExtensionOutcome:
    """What approving an extension of `days` would do to the unit deadline (延期审批)."""

    unit_due_at: datetime
    still_past: bool  # the new deadline has passed already at the time of deciding
    beyond_platform: bool  # later than the platform's deadline, which no extension moves


def extension_outcome(ticket, days: int, at: datetime, cal: WorkCalendar) -> ExtensionOutcome | None:
    if ticket.assigned_at is None or not ticket.unit_clock_days or not days:
        return None
    due = due_after(ticket.assigned_at, ticket.unit_clock_days + days, cal).at
    return ExtensionOutcome(due, rules.past_due(due, at), ticket.platform_due_at is not None and due > ticket.platform_due_at)


def stop_unit_clock(ticket, cal: WorkCalendar) -> None:
    ticket.assigned_at = None
    ticket.unit_due_at = None
    ticket.unit_clock_days = None
    _recompute(ticket, cal)


def _recompute(ticket, cal: WorkCalendar) -> None:
    platform = due_after(ticket.received_at, ticket.platform_clock_days, cal)
    ticket.platform_due_at = platform.at
    provisional = platform.provisional
    if ticket.assigned_at is not None and ticket.unit_clock_days:
        unit = due_after(ticket.assigned_at, ticket.unit_clock_days, cal)
        ticket.unit_due_at = unit.at
        provisional = provisional or unit.provisional
    ticket.deadline_provisional = provisional


recompute = _recompute
