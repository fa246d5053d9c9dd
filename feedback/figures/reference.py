"""The closure figures by hand: a slow, plain reference for the differential tests.

DESIGN.md "Figures" read literally, over each ticket's append-only history, one ticket at a time,
in exact arithmetic (Fractions). It imports nothing of the figures SQL; the working days come
from the calendar's plain functions, as the deadlines do. The product's paths (dashboard,
series, API, exports, rollups, inbox filter, sweep) must give the same figures to the last digit
(tests/figures/test_differential.py). Never used to serve a figure.

A ticket is a `History`: its 留言编号, received_at and its events (`Event`: at, action, the unit
concerned, the event's data) as TicketEvent rows hold them. Everything else is derived:

- valid: no `invalidate` event. A ticket invalidated after T is excluded as of T too (DESIGN.md
  says "valid tickets (not invalid/duplicate)" without a time; invalidity is read as a fact
  about the message);
- where the ticket is: each assign/reassign moves it to the event's unit, a return to the triage
  of the level that handed it down (the event's to_unit; none: the top office's). The responsible
  unit is read literally as the *current* one, whatever T;
- each level's clock (DESIGN.md: Deadlines, 逐级转办): the clock of a level U (an ancestor-or-self
  of the ticket's unit) starts at the move that brought the ticket into U's subtree from outside
  it, is owed to the unit of the person who made that move (the top office for routing), runs
  N working days plus every extension approved after its start by a supervisor of its owner or
  of a unit above (an extension approved after T is not in force at T, DESIGN.md "as of"); the
  unit's own clock is the clock of its own level;
- closed by T: an `approve` of the current assignment at or before T; the approved reply is the
  last `reply` before that approval;
- received by T: received_at <= T (a ticket not yet received at T is unknown at T).

Per ticket as of T, on a level's clock (DESIGN.md: Figures; a unit's own row reads the unit's,
a group="region" row the group head's — for the root's own group the clock one level below the
root, or the root's for what the root holds — and a region's `office` the region's):
- on_time: closed by T and the approved reply submitted by the (final) unit deadline;
- overdue_open: not closed by T, assigned by T, T > the deadline in force at T, and not a reply
  submitted by that deadline still awaiting review at T (the last reply/reject at or before T
  is a reply, by the deadline);
- pending: the other open ones;
- handling time (closed): approved reply − the clock's start, in hours, and in working days after
  the start's local date up to and including the reply's local date.
On the platform clock (the office's own): deadline N working days after received_at, on_time =
closed_at <= it, overdue_open = open at T and T > it (no review exception: the office reviews),
handling = closed_at − received_at, working days likewise.

Aggregates: on_time_rate = on_time / (closed + overdue_open), None when 0 (a float, as Python
divides two integers); the means rounded half up to two decimals from the exact mean; median and
P90 by linear interpolation between closest ranks (percentile_cont), exact, rounded half up.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

from feedback.calendar.workdays import WorkCalendar

LOCAL = ZoneInfo("Asia/Shanghai")
MICROS_PER_HOUR = 3600 * 10**6
FIELDS = ("received", "closed", "on_time", "late", "overdue_open", "pending", "on_time_rate",
          "avg_handling_hours", "median_handling_hours", "p90_handling_hours", "avg_handling_workdays")


@dataclass(frozen=True)
class Event:
    at: datetime  # aware
    action: str
    unit: str | None = None  # the unit's code the event names (the new assignee for an assign)
    data: dict = field(default_factory=dict, compare=False, hash=False)
    by: str | None = None  # the code of the acting person's unit (None: the system, routing, imports)


@dataclass(frozen=True)
class History:
    platform_id: str
    received_at: datetime  # aware
    events: tuple[Event, ...]  # in the order they were written


@dataclass(frozen=True)
class UnitInfo:
    code: str
    parent: str | None
    kind: str  # office | region | department


@dataclass(frozen=True)
class Clocks:
    """One ticket as of T, on one clock: what the figures count of it."""

    closed: bool
    on_time: bool
    overdue_open: bool
    micros: int | None  # handling time, closed tickets only
    workdays: int | None


# --- time and working days ------------------------------------------------------------------

def local_date(t: datetime) -> date:
    return t.astimezone(LOCAL).date()


def due_after(t: datetime, n: int, calendar: WorkCalendar) -> datetime:
    """DESIGN.md: the end (23:59:59 local) of the nth working day strictly after t's local date."""
    day, _ = calendar.nth_workday_after(local_date(t), n)
    return datetime.combine(day, time(23, 59, 59), tzinfo=LOCAL)


def workdays(start: datetime, end: datetime, calendar: WorkCalendar) -> int:
    """Working days after start's local date up to and including end's local date."""
    count, _ = calendar.workdays_between(local_date(start), local_date(end))
    return count


def micros(start: datetime, end: datetime) -> int:
    delta = end - start
    return (delta.days * 86400 + delta.seconds) * 10**6 + delta.microseconds


# --- one ticket -------------------------------------------------------------------------------

def ancestors(units: dict[str, "UnitInfo"], code: str) -> list[str]:
    """The unit's chain from its top office down to itself."""
    chain = [code]
    while units[chain[-1]].parent is not None:
        chain.append(units[chain[-1]].parent)
    return chain[::-1]


def inside(units: dict[str, "UnitInfo"], code: str | None, head: str) -> bool:
    """code lies in head's subtree (head itself included); None (a triage of the top office) nowhere."""
    return code is not None and head in ancestors(units, code)


@dataclass(frozen=True)
class Ticket:
    """A history read once: the facts the figures need, independent of T.

    Where the ticket is: each assign / reassign moves it to the event's unit; a return moves it to
    the triage of the level that handed it down (data["to_unit"]: that unit, which then holds the
    ticket in state new; None: the top office's triage, no unit)."""

    history: History
    valid: bool
    unit: str | None  # the current last assignee (or the region whose triage it was returned into)
    moves: tuple[tuple[int, str | None, str | None], ...]  # (event index, unit before, unit after)

    @classmethod
    def of(cls, h: History) -> "Ticket":
        unit, moves = None, []
        for i, e in enumerate(h.events):
            if e.action in ("assign", "reassign"):
                after = e.unit
            elif e.action == "return":
                after = e.data.get("to_unit")
            else:
                continue
            moves.append((i, unit, after))
            unit = after
        valid = not any(e.action == "invalidate" for e in h.events)
        return cls(h, valid, unit, tuple(moves))

    @property
    def in_triage(self) -> bool:
        """Returned into the triage of the unit it is with (a region's own triage)."""
        return bool(self.moves) and self.history.events[self.moves[-1][0]].action == "return"

    def entry(self, units: dict[str, "UnitInfo"], head: str) -> int:
        """The index of the event that brought the ticket into head's subtree (head: an ancestor-or-self
        of its unit) from outside it: the start of head's clock (DESIGN.md: each level's clock)."""
        k = len(self.moves) - 1
        while k > 0 and inside(units, self.moves[k][1], head):
            k -= 1
        return self.moves[k][0]

    def clock(self, units: dict[str, "UnitInfo"], head: str) -> "Clock":
        """The clock of head's level (head an ancestor-or-self of the ticket's unit)."""
        index = self.entry(units, head)
        start = self.history.events[index]
        by = start.by if start.by is not None else ancestors(units, self.unit)[0]
        return Clock(start.at, ancestors(units, by), self.history.events[index + 1:])

    def own_clock(self, units: dict[str, "UnitInfo"]) -> "Clock":
        return self.clock(units, self.unit)

    def approval(self, as_of: datetime | None) -> Event | None:
        for e in self.history.events:
            if e.action == "approve" and (as_of is None or e.at <= as_of):
                return e
        return None

    def platform_clock(self, as_of: datetime, platform_days: int, calendar: WorkCalendar) -> Clocks:
        received = self.history.received_at
        deadline = due_after(received, platform_days, calendar)
        approval = self.approval(as_of)
        if approval is not None:
            return Clocks(True, approval.at <= deadline, False, micros(received, approval.at),
                          workdays(received, approval.at, calendar))
        return Clocks(False, False, as_of > deadline, None, None)


@dataclass(frozen=True)
class Clock:
    """One level's clock of a ticket: started at the hand-off into the level's subtree, owed to the
    unit whose supervisor made it (`owed`: that unit's chain from the top), running over the
    events after it."""

    start: datetime
    owed: list[str]
    after: tuple[Event, ...]

    def moved_by(self, e: Event) -> bool:
        """An approved extension moves every clock owed to the approver's unit or a unit below it
        (the system: every clock)."""
        return e.by is None or e.by in self.owed

    def deadline(self, as_of: datetime | None, unit_days: int, calendar: WorkCalendar) -> datetime:
        """The deadline in force at as_of (None: the final one)."""
        days = unit_days + sum(
            int(e.data.get("days") or 0) for e in self.after
            if e.action == "decide-extension" and e.data.get("approve") is True and self.moved_by(e)
            and (as_of is None or e.at <= as_of))
        return due_after(self.start, days, calendar)

    def approval(self, as_of: datetime | None) -> Event | None:
        for e in self.after:
            if e.action == "approve" and (as_of is None or e.at <= as_of):
                return e
        return None

    def approved_reply(self, approval: Event) -> Event:
        replies = [e for e in self.after[:self.after.index(approval)] if e.action == "reply"]
        return replies[-1]

    def awaiting_review_in_time(self, as_of: datetime, deadline: datetime) -> bool:
        """At as_of the last reply or rejection is a reply submitted by the deadline."""
        last = None
        for e in self.after:
            if e.at <= as_of and e.action in ("reply", "reject"):
                last = e
        return last is not None and last.action == "reply" and last.at <= deadline

    def figures(self, as_of: datetime, unit_days: int, calendar: WorkCalendar) -> Clocks:
        approval = self.approval(as_of)
        if approval is not None:
            reply = self.approved_reply(approval)
            on_time = reply.at <= self.deadline(None, unit_days, calendar)
            return Clocks(True, on_time, False, micros(self.start, reply.at), workdays(self.start, reply.at, calendar))
        if self.start > as_of:  # this clock had not started at T
            return Clocks(False, False, False, None, None)
        deadline = self.deadline(as_of, unit_days, calendar)
        overdue = as_of > deadline and not self.awaiting_review_in_time(as_of, deadline)
        return Clocks(False, False, overdue, None, None)


# --- aggregates -------------------------------------------------------------------------------

def half_up(value: Fraction) -> float:
    """To two decimals, half away from zero, from the exact value."""
    cents = math.floor(abs(value) * 100 + Fraction(1, 2))
    return (cents if value >= 0 else -cents) / 100 + 0.0


def mean(values: list[Fraction]) -> float | None:
    return half_up(sum(values, Fraction(0)) / len(values)) if values else None


def percentile_exact(values: list[Fraction], p: Fraction) -> Fraction | None:
    """Linear interpolation between the ranks around 1 + p(n − 1), as PostgreSQL's percentile_cont."""
    if not values:
        return None
    ordered = sorted(values)
    position = p * (len(ordered) - 1)
    below = int(position)  # floor: position >= 0
    frac = position - below
    return ordered[below] if frac == 0 else ordered[below] + frac * (ordered[below + 1] - ordered[below])


def percentile_cont(values: list[Fraction], p: Fraction) -> float | None:
    exact = percentile_exact(values, p)
    return None if exact is None else half_up(exact)


def aggregate(clocks: list[Clocks]) -> dict:
    """FIGURES (CONTRACT.md) of a set of tickets, one Clocks each."""
    received = len(clocks)
    closed = sum(c.closed for c in clocks)
    on_time = sum(c.on_time for c in clocks)
    overdue = sum(c.overdue_open for c in clocks)
    hours = [Fraction(c.micros, MICROS_PER_HOUR) for c in clocks if c.closed]
    days = [Fraction(c.workdays) for c in clocks if c.closed]
    denominator = closed + overdue
    return {
        "received": received, "closed": closed, "on_time": on_time, "late": closed - on_time,
        "overdue_open": overdue, "pending": received - closed - overdue,
        "on_time_rate": on_time / denominator if denominator else None,
        "avg_handling_hours": mean(hours),
        "median_handling_hours": percentile_cont(hours, Fraction(1, 2)),
        "p90_handling_hours": percentile_cont(hours, Fraction(9, 10)),
        "avg_handling_workdays": mean(days),
    }


# --- the report -------------------------------------------------------------------------------

def start_of_local_day(d: date) -> datetime:
    return datetime.combine(d, time(0, 0), tzinfo=LOCAL)


def in_period(t: Ticket, date_from: date, date_to: date, as_of: datetime) -> bool:
    received = t.history.received_at
    return (start_of_local_day(date_from) <= received < start_of_local_day(date_to + timedelta(days=1))
            and received <= as_of)


def subtree(units: dict[str, UnitInfo], root: str) -> set[str]:
    out = {root}
    grew = True
    while grew:
        more = {u.code for u in units.values() if u.parent in out} - out
        grew = bool(more)
        out |= more
    return out


def group_head(units: dict[str, UnitInfo], root: str, code: str) -> str:
    """group="region": the unit's ancestor directly under the root when that is a region or an
    office (its whole subtree is one row), else the root (本级: the root and the departments
    directly under it with theirs)."""
    chain = [code]
    while units[chain[-1]].parent is not None and chain[-1] != root:
        chain.append(units[chain[-1]].parent)
    if len(chain) < 2:
        return root
    head = chain[-2]  # the ancestor whose parent is the root
    return head if units[head].kind in ("region", "office") else root


def depth(units: dict[str, UnitInfo], code: str) -> int:
    return len(ancestors(units, code)) - 1


def head_level(units: dict[str, UnitInfo], root: str, code: str) -> str:
    """group="region": whose clock a ticket of `code` is read on — the hand-off into its group's
    subtree: the unit's ancestor one level below the root (a region, or a department of 本级 on
    its own clock), or the root itself for what the root holds."""
    chain = ancestors(units, code)
    return chain[min(depth(units, code), depth(units, root) + 1)]


def is_top(units: dict[str, UnitInfo], root: str) -> bool:
    return units[root].parent is None


@dataclass
class Report:
    rows: dict[str, dict]  # unit or group-head code → FIGURES, with "platform": FIGURES
    total: dict
    unassigned: int  # 未分派: the top office's tickets without a unit; a region's returned into its triage


def figures(histories: list[History], units: dict[str, UnitInfo], root: str, date_from: date, date_to: date,
            as_of: datetime, *, group: str = "unit", calendar: WorkCalendar | None = None,
            unit_days: int = 3, platform_days: int = 5) -> Report:
    """Every FIGURES field per row and in total, each row also on the platform clock ("platform").
    group="unit": each unit's tickets on their unit's own clock; group="region": each group's on
    the clock of the hand-off into the group's subtree (head_level)."""
    calendar = calendar or WorkCalendar()
    members = subtree(units, root)
    tickets = [t for t in map(Ticket.of, histories) if t.valid and in_period(t, date_from, date_to, as_of)]
    keys = sorted(members) if group == "unit" else sorted({group_head(units, root, c) for c in members})
    by_key: dict[str, list[Ticket]] = {k: [] for k in keys}
    for t in tickets:
        if t.unit in members:
            by_key[t.unit if group == "unit" else group_head(units, root, t.unit)].append(t)

    def level(t: Ticket) -> str:
        return t.unit if group == "unit" else head_level(units, root, t.unit)

    def both(ts: list[Ticket]) -> dict:
        out = aggregate([t.clock(units, level(t)).figures(as_of, unit_days, calendar) for t in ts])
        out["platform"] = aggregate([t.platform_clock(as_of, platform_days, calendar) for t in ts])
        return out

    rows = {k: both(ts) for k, ts in by_key.items()}
    total = both([t for ts in by_key.values() for t in ts])
    if is_top(units, root):
        unassigned = sum(1 for t in tickets if t.unit is None)
    else:
        unassigned = sum(1 for t in tickets if t.unit == root and t.in_triage)
    return Report(rows, total, unassigned)


def office(histories: list[History], units: dict[str, UnitInfo], root: str, date_from: date, date_to: date,
           as_of: datetime, *, calendar: WorkCalendar | None = None, unit_days: int = 3,
           platform_days: int = 5) -> dict:
    """The root's own figures (DESIGN.md: Figures, `office`): every valid ticket of the period in
    the root's subtree; the top office on the platform clock, those without a unit (未分派)
    included; a region on the clock of the hand-off into its subtree."""
    calendar = calendar or WorkCalendar()
    members = subtree(units, root)
    tickets = [t for t in map(Ticket.of, histories) if t.valid and in_period(t, date_from, date_to, as_of)]
    if is_top(units, root):
        return aggregate([t.platform_clock(as_of, platform_days, calendar) for t in tickets
                          if t.unit is None or t.unit in members])
    return aggregate([t.clock(units, root).figures(as_of, unit_days, calendar) for t in tickets if t.unit in members])


def overdue_open(histories: list[History], units: dict[str, UnitInfo], as_of: datetime, *,
                 calendar: WorkCalendar | None = None, unit_days: int = 3) -> set[str]:
    """The 留言编号 of every valid ticket with a unit that is overdue on its unit clock at as_of,
    whatever its received date (the inbox's overdue filter, the sweep's escalations)."""
    calendar = calendar or WorkCalendar()
    out = set()
    for t in map(Ticket.of, histories):
        if t.valid and t.unit is not None and not t.in_triage and t.history.received_at <= as_of \
                and t.own_clock(units).figures(as_of, unit_days, calendar).overdue_open:
            out.add(t.history.platform_id)
    return out


def settled_counts(histories: list[History], units: dict[str, UnitInfo], *, calendar: WorkCalendar | None = None,
                   unit_days: int = 3) -> dict[tuple[date, str], dict]:
    """(first day of the local month of received_at, unit code) → the closed tickets' parts of
    the monthly figures for every T from their close on: closed, on_time, timed, micros, days_n,
    days (the sums behind the means)."""
    calendar = calendar or WorkCalendar()
    out: dict[tuple[date, str], dict] = {}
    for t in map(Ticket.of, histories):
        if not t.valid or t.unit is None or t.approval(None) is None:
            continue
        c = t.own_clock(units).figures(t.approval(None).at, unit_days, calendar)
        key = (local_date(t.history.received_at).replace(day=1), t.unit)
        parts = out.setdefault(key, dict(closed=0, on_time=0, timed=0, micros=0, days_n=0, days=0))
        parts["closed"] += 1
        parts["on_time"] += c.on_time
        parts["timed"] += 1
        parts["micros"] += c.micros
        parts["days_n"] += 1
        parts["days"] += c.workdays
    return out
