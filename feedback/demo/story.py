"""A year of the demo city's tickets as plans: each report and the steps people take on it.

Pure: no database. Steps carry symbolic actors ("clerk" of the ticket's unit, the
"supervisor" over it, the "city" supervisor) that the seeder turns into users. Every
step happens in office hours on a working day; whatever would happen after the seeding
time is cut off, which is what leaves recent tickets open in every state.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Callable

import chinese_calendar

from feedback.calendar.workdays import WorkCalendar
from feedback.demo import texts
from feedback.demo.city import Target, UnitSpec
from feedback.timeutil import LOCAL, local_date

OPENS, CLOSES = time(8, 30), time(17, 30)
LAST_CALL = time(16, 45)  # later than this, a clerk's "today" becomes the next working day
BURST_HOLIDAYS = ("Spring Festival", "National Day")
WEBSITE_CATEGORIES = {"content_error": 30, "broken_link": 24, "outdated": 20, "service": 9, "no_response": 8,
                      "other": 6, "security": 3}
ACCOUNT_CATEGORIES = {"content_error": 3, "outdated": 3, "no_response": 3, "broken_link": 2, "service": 1}


@dataclass
class Step:
    at: datetime
    action: str
    by: str  # clerk | supervisor | city
    data: dict = field(default_factory=dict)


@dataclass
class Plan:
    report: dict  # the report as the platform pushes it (CONTRACT.md field names)
    steps: list[Step]
    category: str
    duplicate_of: "Plan | None" = None

    @property
    def received_at(self) -> datetime:
        return self.report["received_at"]


class Office:
    """Working days and office hours: when people get round to things."""

    def __init__(self, cal: WorkCalendar, rng: random.Random):
        self.cal, self.rng = cal, rng

    def during(self, d: date, after: datetime | None = None) -> datetime:
        start = datetime.combine(d, OPENS, LOCAL)
        if after is not None and after + timedelta(minutes=10) > start:
            start = after + timedelta(minutes=10)
        start = start.replace(microsecond=0)
        span = int((datetime.combine(d, CLOSES, LOCAL) - start).total_seconds())
        return start + timedelta(seconds=self.rng.randint(1, max(span, 60)))

    def later(self, t: datetime, workdays: int) -> datetime:
        """A moment in office hours `workdays` working days after t (0: later the same day)."""
        local = t.astimezone(LOCAL)
        d = local.date()
        if workdays == 0 and self.cal.is_workday(d) and local.time() < LAST_CALL:
            return self.during(d, after=local)
        return self.during(self.cal.nth_workday_after(d, max(workdays, 1))[0])

    def workdays_before(self, d: date, n: int) -> date:
        found = 0
        while found < n:
            d -= timedelta(days=1)
            if self.cal.is_workday(d):
                found += 1
        return d

    def first_workday_from(self, d: date) -> date:
        return d if self.cal.is_workday(d) else self.cal.nth_workday_after(d, 1)[0]


class Story:
    def __init__(self, at: datetime, rng: random.Random, cal: WorkCalendar, units: dict[str, UnitSpec],
                 targets: list[Target], unit_days: Callable[[str], int]):
        self.at, self.rng, self.cal = at, rng, cal
        self.units, self.unit_days = units, unit_days
        self.office = Office(cal, rng)
        self.routed = [t for t in targets if t.kind != "unregistered"]
        self.unregistered = [t for t in targets if t.kind == "unregistered"]
        self.targets = targets

    # --- the year ---------------------------------------------------------------------

    def plans(self) -> list[Plan]:
        plans = []
        for received in self.received_times():
            target = self.rng.choices(self.targets, weights=[t.weight for t in self.targets])[0]
            plan = self.ordinary(target, received)
            plans.append(plan)
            if target.kind != "unregistered" and self.rng.random() < 0.03:
                plans.append(self.duplicate(plan))
        plans.extend(self.showcase())
        plans = [p for p in plans if p.received_at < self.at]
        plans.sort(key=lambda p: p.received_at)
        number(plans)
        for plan in plans:
            plan.steps = list(_until(plan.steps, self.at))
        return plans

    def received_times(self) -> list[datetime]:
        """About three forwarded messages a working day, fewer at weekends, bursts around
        Spring Festival and National Day (people browse government sites on holiday)."""
        today = local_date(self.at)
        out = []
        d = today - timedelta(days=365)
        while d <= today:
            mean = (3.0 if self.cal.is_workday(d) else 1.5) * self.burst(d)
            for _ in range(poisson(mean, self.rng)):
                t = datetime.combine(d, time(7, 30), LOCAL) + timedelta(seconds=self.rng.randint(0, 15 * 3600))
                if t < self.at - timedelta(minutes=15):
                    out.append(t)
            d += timedelta(days=1)
        return sorted(out)

    def burst(self, d: date) -> float:
        if _burst_holiday(d):
            return 2.5
        if any(_burst_holiday(d - timedelta(days=k)) for k in range(1, 8)):
            return 1.8
        return 1.0

    # --- one message --------------------------------------------------------------------

    def report(self, target: Target, received: datetime, *, category: str | None = None,
               with_code: bool | None = None) -> tuple[dict, str]:
        rng = self.rng
        unit = self.units[target.unit]
        if _is_account(target):
            category = category or _weighted(ACCOUNT_CATEGORIES, rng)
            label, text, url = texts.account_report(target.name, target.platform or "微信公众号", unit.topics,
                                                    category, received.date(), rng)
            site_code = None
        else:
            category = category or _weighted(WEBSITE_CATEGORIES, rng)
            label, text, url = texts.website_report(target.prefix, unit.name, unit.topics, category,
                                                    received.date(), rng)
            if with_code is None:  # a channel's reports mostly arrive by URL alone
                with_code = rng.random() < (0.1 if target.kind == "channel" else 0.85)
            site_code = target.site_code if with_code else None
        submitted = received - timedelta(minutes=rng.randint(20, 26 * 60))
        return {
            "received_at": received, "submitted_at": submitted, "site_name": target.name,
            "site_code": site_code, "url": url, "category": label, "description": text,
            "reporter": texts.reporter(rng),
        }, category

    def ordinary(self, target: Target, received: datetime) -> Plan:
        report, category = self.report(target, received)
        steps: list[Step] = []
        anchor = received  # routing assigns on receipt
        if target.kind == "unregistered":  # triage: the city supervisor finds the unit
            anchor = self.office.later(received, self.rng.choice([0, 0, 1]))
            steps.append(Step(anchor, "assign", "city", {"unit": target.assign_to}))
            handler = target.assign_to
        elif self.units[target.unit].kind == "region" and target.kind == "website" and self.rng.random() < 0.5:
            # 逐级转办: the county's portal is routed to the county, which forwards the message to
            # the department it concerns; now and then that department sends it back to the
            # county's triage and the county gives it to another one.
            steps, anchor, handler = self.forwarded_in_county(target, received)
        else:  # a channel carrying the portal's site code is routed to its department too
            handler = target.unit
        steps.extend(self.handling(anchor, category, self.units[handler], target.name))
        return Plan(report, steps, category)

    def forwarded_in_county(self, target: Target, received: datetime) -> tuple[list[Step], datetime, str]:
        rng, office = self.rng, self.office
        departments = sorted(code for code, u in self.units.items() if u.parent == target.unit)
        first = rng.choice(departments)
        anchor = office.later(received, rng.choice([0, 1, 1, 2]))
        steps = [Step(anchor, "reassign", "supervisor", {"unit": first})]
        if rng.random() < 0.15:
            owner = self.units[target.unit]
            returned = office.later(anchor, rng.choice([0, 1]))
            steps.append(Step(returned, "return", "clerk", {
                "reason": f"该栏目不由我单位维护，请{owner.name}另行转办。"}))
            second = rng.choice([code for code in departments if code != first])
            anchor = office.later(returned, rng.choice([0, 1]))
            steps.append(Step(anchor, "assign", "supervisor", {"unit": second}))
            return steps, anchor, second
        return steps, anchor, first

    def handling(self, anchor: datetime, category: str, unit: UnitSpec, site: str) -> list[Step]:
        """What happens once a unit has it: accept, maybe extend, reply (maybe late, maybe
        redone after a rejection), approval — or the supervisor finds it invalid."""
        rng, office = self.rng, self.office
        if rng.random() < 0.035:
            return [Step(office.later(anchor, rng.choice([0, 1])), "invalidate", "supervisor",
                         {"reason": rng.choice(texts.INVALID_REASONS)})]
        steps, last = [], anchor
        if rng.random() < 0.85:  # some clerks reply without signing for it first
            last = office.later(anchor, rng.choice([0, 0, 0, 1]))
            steps.append(Step(last, "accept", "clerk"))
        if anchor > self.at - timedelta(days=45) and rng.random() < 0.06:
            return steps  # stalled: nobody gets round to replying
        budget = self.unit_days(category)
        if rng.random() < 0.05:
            steps.extend(self.extension(last, rng.random() < 0.75))
            last = steps[-1].at
            budget += steps[-1].data.get("days", 0)
        if rng.random() < unit.late_rate:
            k = rng.randint(budget + 1, budget + 6)
        else:
            k = min(rng.choice([0, 1, 1, 1, 2, 2, 3]), budget)
        replied = max(office.later(anchor, k), office.later(last, 0))
        steps.append(Step(replied, "reply", "clerk", {"text": texts.reply(category, site, replied.date())}))
        if rng.random() < 0.06:  # 退回重办
            rejected = office.later(replied, rng.choice([0, 1]))
            steps.append(Step(rejected, "reject", "supervisor", {"reason": rng.choice(texts.REJECT_REASONS)}))
            replied = office.later(rejected, rng.choice([1, 1, 2]))
            steps.append(Step(replied, "reply", "clerk", {"text": texts.redo_reply(replied.date())}))
        steps.append(Step(office.later(replied, rng.choice([0, 0, 1, 1, 2])), "approve", "supervisor"))
        return steps

    def extension(self, after: datetime, approve: bool) -> list[Step]:
        days = self.rng.choice([3, 5, 5, 7])
        asked = self.office.later(after, self.rng.choice([0, 1]))
        decided = self.office.later(asked, self.rng.choice([0, 1]))
        decision = {"approve": True, "days": days} if approve else {"approve": False, "reason": texts.DENY_REASON}
        request = {"days": days, "reason": self.rng.choice(texts.EXTENSION_REASONS)}
        return [Step(asked, "request-extension", "clerk", request),
                # the city: routing's and the city's hand-offs are owed to it (DESIGN.md: Each level's clock)
                Step(decided, "decide-extension", "city", decision)]

    def duplicate(self, primary: Plan) -> Plan:
        """The same person sends the same message again; the supervisor marks it a duplicate."""
        received = primary.received_at + timedelta(minutes=self.rng.randint(120, 3 * 24 * 60))
        report = dict(primary.report, received_at=received,
                      submitted_at=received - timedelta(minutes=self.rng.randint(20, 600)))
        step = Step(self.office.later(received, self.rng.choice([0, 1])), "invalidate", "supervisor",
                    {"reason": texts.DUPLICATE_REASON})
        return Plan(report, [step], primary.category, duplicate_of=primary)

    # --- around the seeding time: something in every state, some due today --------------

    def showcase(self) -> list[Plan]:
        """Tickets placed relative to now, so the inbox and dashboard always have due-today,
        due-tomorrow, overdue, awaiting-review and triage work, whatever the seed."""
        office, today = self.office, local_date(self.at)
        yesterday = office.workdays_before(today, 1)
        due_today = office.first_workday_from(today)
        due_tomorrow = self.cal.nth_workday_after(due_today, 1)[0]
        plans = [self.due_on(due_today, accepted=True), self.due_on(due_today, accepted=False),
                 self.due_on(due_tomorrow, accepted=True), self.due_on(due_tomorrow, accepted=False)]
        plans += [self.open_since(8, accepted=False), self.open_since(12), self.open_since(18)]  # overdue
        extended = self.open_since(22)  # extended, and late even so
        extended.steps += self.extension(extended.steps[-1].at, True)
        asking = self.open_since(2)  # an extension request waiting for a decision
        asking.steps.append(Step(office.during(yesterday), "request-extension", "clerk",
                                 {"days": 5, "reason": self.rng.choice(texts.EXTENSION_REASONS)}))
        in_time = [self.open_since(2, accepted=False), self.open_since(3, accepted=False)]
        late = self.open_since(9)
        for plan in (*in_time, late):  # replied yesterday, awaiting the office's review
            plan.steps.append(reply_step(plan, office.during(yesterday)))
        plans += [extended, asking, *in_time, late]
        for received in ((self.at - timedelta(hours=3)).replace(microsecond=0), office.during(yesterday)):
            report, category = self.report(self.rng.choice(self.unregistered), received)  # no rule matches
            plans.append(Plan(report, [], category))
        return plans

    def fresh(self, day: date, category: str | None = None) -> Plan:
        """A report on a website or channel, forwarded on `day` and routed by URL."""
        target = self.rng.choice([t for t in self.routed if t.kind != "new_media"])
        category = category or _weighted(WEBSITE_CATEGORIES, self.rng)
        report, _ = self.report(target, self.office.during(day), category=category, with_code=False)
        return Plan(report, [], category)

    def due_on(self, due: date, *, accepted: bool) -> Plan:
        category = _weighted(WEBSITE_CATEGORIES, self.rng)
        plan = self.fresh(self.office.workdays_before(due, self.unit_days(category)), category)
        if accepted:
            plan.steps.append(Step(self.office.later(plan.received_at, 1), "accept", "clerk"))
        return plan

    def open_since(self, workdays_ago: int, *, accepted: bool = True) -> Plan:
        plan = self.fresh(self.office.workdays_before(local_date(self.at), workdays_ago))
        if accepted:
            plan.steps.append(Step(self.office.later(plan.received_at, 0), "accept", "clerk"))
        return plan


def reply_step(plan: Plan, at: datetime) -> Step:
    return Step(at, "reply", "clerk", {"text": texts.reply(plan.category, plan.report["site_name"], at.date())})


def number(plans: list[Plan]) -> None:
    """留言编号 in the platform's style: ZC + the forwarding date + a daily sequence."""
    per_day: dict[date, int] = {}
    for plan in plans:
        d = local_date(plan.received_at)
        per_day[d] = per_day.get(d, 0) + 1
        plan.report["platform_id"] = f"ZC{d:%Y%m%d}{per_day[d]:04d}"
    for plan in plans:
        if plan.duplicate_of is not None:
            plan.steps[0].data["duplicate_of"] = plan.duplicate_of.report["platform_id"]


def _until(steps: list[Step], at: datetime):
    for step in steps:
        if step.at >= at:
            return
        yield step


def _burst_holiday(d: date) -> bool:
    try:
        on_holiday, name = chinese_calendar.get_holiday_detail(d)
    except NotImplementedError:  # a year the package does not know: National Day is fixed
        return d.month == 10 and d.day <= 7
    return on_holiday and name in BURST_HOLIDAYS


def _is_account(target: Target) -> bool:
    return target.kind == "new_media" or (target.kind == "unregistered" and target.prefix is None)


def _weighted(weights: dict[str, int], rng: random.Random) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def poisson(mean: float, rng: random.Random) -> int:
    """Knuth's method: fine for the small means here."""
    limit, k, p = math.exp(-mean), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k
