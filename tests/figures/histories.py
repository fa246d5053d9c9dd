"""Random ticket histories for the differential tests, told through the real write paths.

A *plan* (hypothesis strategy `plans()`) is plain data: tickets, each with how it arrives and a
list of steps, each a weighted choice among the actions the state then allows, with the gap
before it. `Teller.tell` plays a plan on the injected
clock: `feedback.tickets.ingest.ingest` for what the platform forwards (routed, unroutable into
triage, backfilled ledger rows with their history, repeats that are duplicates) and
`lifecycle.apply` for every later step, each at its own time (a closed or invalid ticket
skips the rest of its steps).

The times lean on the corners: two holiday stretches with make-up Saturdays (2026 Spring
Festival: Feb 15–23 off, Sat Feb 14 and Sat Feb 28 worked; National Day: Oct 1–7 off, Sat Oct 10
worked), local midnight ± 1 s (16:00 UTC), and steps at a deadline ± 1 s.

`read_histories()` reads the tickets back as the reference's plain values (reference.History);
`as_of_candidates()` lists the instants worth asking about: around every deadline and event.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

import sqlalchemy as sa
from hypothesis import strategies as st

from feedback.accounts.models import ApiToken, User
from feedback.accounts.scope import Actor
from feedback.calendar.service import current_calendar
from feedback.errors import Conflict, Forbidden, InputError, NotFound
from feedback.extensions import db
from feedback.figures import reference as ref
from feedback.tickets import lifecycle
from feedback.tickets.ingest import ingest, parse_all
from feedback.tickets.models import Ticket, TicketEvent
from feedback.timeutil import LOCAL

# the units tests/factories.py builds, and a site URL for those that have one (routed on ingest)
UNITS = ("C0", "R1", "R2", "D1", "D2", "D3", "D9")
ASSIGNABLE = ("R1", "R2", "D1", "D2", "D3", "D9")
URLS = {
    "D1": "http://edu.dongcheng.gov.cn/tzgg/1.html",
    "D2": "http://wsj.dongcheng.gov.cn/x.html",
    "R1": "http://www.dongcheng.gov.cn/zwgk/1.html",
}
UNROUTED = "http://nobody.example.org/x"
CLERKS = {"D1": "edu_clerk", "D2": "health_clerk", "D3": "hr_clerk", "D9": "traffic_clerk",
          "R1": "county_clerk", "R2": "west_clerk"}
STAFF_ACTIONS = ("accept", "reply", "return", "request-extension")
EPOCHS = (date(2026, 2, 9), date(2026, 9, 24))  # each starts a few days before a holiday stretch
SPAN_DAYS = 20  # tickets arrive within this many days of the epoch's start


# --- plans (plain data) -----------------------------------------------------------------------

@dataclass(frozen=True)
class Step:
    choice: int  # which of the actions the ticket's state allows then (CHOICES), by weight
    gap: tuple  # ("minutes", n) | ("days", n, minute_of_day) | ("deadline", ±s) | ("midnight", ±s)
    unit: str | None = None  # assign: to whom
    days: int = 1  # request-extension: how many working days
    region: bool = False  # a supervisor's step by the county's (R1) supervisor where the ticket is in R1


@dataclass(frozen=True)
class Plan:
    pid: str
    day: int  # days after the epoch
    at: tuple  # ("minute", n) | ("midnight", ±s): the time of day received
    arrival: str  # routed | triage | backfill
    unit: str | None  # routed: the site's unit; backfill: the ledger's unit
    ingest_delay: int  # minutes between received_at and the ingest
    backfill: str | None = None  # closed | replied | open | invalid
    steps: tuple[Step, ...] = ()
    repeat: bool = False  # the platform sends it again later: a duplicate, nothing changes


@dataclass(frozen=True)
class World:
    epoch: date
    tickets: tuple[Plan, ...]


gaps = st.one_of(
    st.tuples(st.just("minutes"), st.integers(1, 600)),
    st.tuples(st.just("days"), st.integers(1, 6), st.integers(0, 24 * 60 - 1)),
    st.tuples(st.just("deadline"), st.sampled_from((-1, 0, 1))),
    st.tuples(st.just("midnight"), st.sampled_from((-1, 0, 1))),
)
# leaning on 东城县 (R1 and its departments), where a region's clock and its units' part
steps = st.builds(Step, choice=st.integers(0, 99), gap=gaps, unit=st.sampled_from(ASSIGNABLE + ("R1", "D1", "D2")),
                  days=st.integers(1, 3), region=st.booleans())
# What may happen next, by state, with weights out of 100 (a history mostly moves forward).
CHOICES = {
    "new": (("assign", 90), ("invalidate", 10)),
    # reassign: a move by the city or, inside 东城县, by the county (逐级转办: city → county →
    # department, and between the county's departments); region-return: the county hands a
    # ticket the city gave it back to the city's triage
    "assigned": (("accept", 15), ("reply", 30), ("return", 8), ("request-extension", 15), ("reassign", 24),
                 ("region-return", 3), ("invalidate", 5)),
    "in_progress": (("reply", 45), ("return", 8), ("request-extension", 17), ("reassign", 22),
                    ("region-return", 3), ("invalidate", 5)),
    "replied": (("approve", 65), ("reject", 30), ("invalidate", 5)),
    "waiting": (("approve-extension", 45), ("deny-extension", 20), ("reply", 25), ("return", 5),
                ("invalidate", 5)),
}


@st.composite
def plan_of(draw, pid: str) -> Plan:
    arrival = draw(st.sampled_from(("routed", "routed", "triage", "backfill")))
    unit = draw(st.sampled_from(tuple(URLS) if arrival == "routed" else ASSIGNABLE))
    backfill = draw(st.sampled_from(("closed", "closed", "replied", "open", "invalid"))) if arrival == "backfill" else None
    return Plan(
        pid=pid, day=draw(st.integers(0, SPAN_DAYS)),
        at=draw(st.one_of(st.tuples(st.just("minute"), st.integers(0, 24 * 60 - 1)),
                          st.tuples(st.just("midnight"), st.sampled_from((-1, 0, 1))))),
        arrival=arrival, unit=unit if arrival != "triage" else None,
        ingest_delay=draw(st.sampled_from((0, 0, 5, 90))), backfill=backfill,
        steps=tuple(draw(st.lists(steps, max_size=8))), repeat=draw(st.booleans()),
    )


@st.composite
def plans(draw, max_tickets: int = 10) -> World:
    n = draw(st.integers(1, max_tickets))
    return World(draw(st.sampled_from(EPOCHS)), tuple(draw(plan_of(f"P{i}")) for i in range(n)))


# --- telling a plan ---------------------------------------------------------------------------

def local_midnight_after(t: datetime) -> datetime:
    """The next 00:00 Asia/Shanghai (16:00 UTC) after t."""
    day = t.astimezone(LOCAL).date() + timedelta(days=1)
    return datetime.combine(day, time(0, 0), tzinfo=LOCAL)


def add_clerks(world) -> None:
    """Unit staff for the units tests/factories.py leaves without one (no password: API tokens)."""
    for code, username in CLERKS.items():
        if username not in world.users:
            user = User(username=username, role="unit_staff", unit=world.units[code], display_name=username)
            row, token = ApiToken.issue(user, "test")
            db.session.add_all([user, row])
            world.users[username], world.tokens[username] = user, token
    db.session.commit()


# the tables a history writes; every table that refers to one of them is emptied too
HISTORY_ROOTS = {"tickets", "import_jobs", "export_jobs", "settled_month_counts", "settled_day_counts",
                 "notifications",
                 "platform_deliveries"}


def history_tables() -> list:
    """HISTORY_ROOTS and every table with a foreign key into them (hand-offs, attachments,
    findings, …, whatever later features add), children first."""
    wanted = set(HISTORY_ROOTS)
    grown = True
    while grown:
        grown = False
        for table in db.metadata.sorted_tables:
            if table.name not in wanted and any(fk.column.table.name in wanted for fk in table.foreign_keys):
                wanted.add(table.name)
                grown = True
    return [t for t in reversed(db.metadata.sorted_tables) if t.name in wanted]


def reset() -> None:
    """Empty what the previous example wrote, keeping units, sites and users (hypothesis runs
    many examples in one test, and the app fixture empties tables per test). Deleting tickets
    row by row lets the rollup triggers take their counts back out."""
    db.session.rollback()
    with db.engine.begin() as conn:
        for table in history_tables():
            conn.execute(table.delete())
    db.session.expire_all()


def assert_own_clocks_mirrored() -> None:
    """Each ticket's clock_top_depth is its own clock's (the deepest current hand-off's) top
    level, 0 without one: the figures read the ticket's columns for every level it covers."""
    from feedback.tickets.handoffs import HandOff

    h = HandOff
    tops = dict(db.session.execute(
        sa.select(h.ticket_id, sa.func.max(h.top_depth))
        .where(h.ended_at.is_(None), h.top_depth <= h.bottom_depth).group_by(h.ticket_id)).all())  # (a Result has keys(): dict() would index it)
    for ticket_id, top in db.session.execute(sa.select(Ticket.id, Ticket.clock_top_depth)).tuples():
        assert top == tops.get(ticket_id, 0), (ticket_id, top, tops.get(ticket_id))


@dataclass
class Teller:
    world: object
    clock: object
    last: dict = field(default_factory=dict)  # pid → the time of its last step
    skipped: int = 0

    def tell(self, plan: World) -> datetime:
        """Play the plan; returns the time of the last thing written."""
        end = None
        for p in plan.tickets:
            at = self.arrive(plan.epoch, p)
            for step in p.steps:
                at = self.step(p, step, at)
            end = at if end is None or at > end else end
        for p in plan.tickets:
            if p.repeat:  # the platform sends it again after everything: nothing may change
                end += timedelta(minutes=1)
                self.ingest([self.report(plan.epoch, p)], end)
        assert_own_clocks_mirrored()
        return end

    def received_at(self, epoch: date, p: Plan) -> datetime:
        day = datetime.combine(epoch + timedelta(days=p.day), time(0, 0), tzinfo=LOCAL)
        kind, value = p.at
        if kind == "minute":
            return day + timedelta(minutes=value)
        return day + timedelta(seconds=value)  # at local midnight ± 1 s

    def report(self, epoch: date, p: Plan) -> dict:
        received = self.received_at(epoch, p)
        body = {"platform_id": p.pid, "received_at": received.isoformat(), "description": "栏目链接打不开",
                "url": URLS[p.unit] if p.arrival == "routed" else UNROUTED}
        if p.arrival == "backfill":
            assigned = received + timedelta(minutes=37)
            replied = assigned + timedelta(hours=30, seconds=7)
            body.update(unit_code=p.unit, assigned_at=assigned.isoformat())
            if p.backfill in ("closed", "replied"):
                body.update(replied_at=replied.isoformat(), reply="已整改")
            if p.backfill == "closed":
                body.update(state="办结", closed_at=(replied + timedelta(hours=20)).isoformat())
            if p.backfill == "invalid":
                body.update(state="无效")  # (main rejects 无效 with a 办结时间 until issue 15's import)
        return body

    def ingest(self, raws: list[dict], at: datetime) -> None:
        self.clock.set(at)
        good, bad = parse_all(raws, naive_is_local=False)
        assert not bad, bad[0].errors
        results = ingest(good, Actor.system("platform"), at, source="test")
        db.session.commit()
        assert all(r.status in ("created", "duplicate") for r in results), results

    def arrive(self, epoch: date, p: Plan) -> datetime:
        received = self.received_at(epoch, p)
        at = received + timedelta(minutes=p.ingest_delay)
        if p.arrival == "backfill":
            at = received + timedelta(days=3)  # a ledger is imported after the fact
            body = self.report(epoch, p)
            at = max([at] + [datetime.fromisoformat(body[k]) for k in ("replied_at", "closed_at") if k in body])
        self.ingest([self.report(epoch, p)], at)
        return at

    def ticket(self, pid: str) -> Ticket:
        return db.session.execute(sa.select(Ticket).where(Ticket.platform_id == pid)).scalar_one()

    def when(self, ticket: Ticket, gap: tuple, after: datetime) -> datetime:
        kind = gap[0]
        if kind == "minutes":
            return after + timedelta(minutes=gap[1])
        if kind == "days":
            day = after.astimezone(LOCAL).date() + timedelta(days=gap[1])
            return datetime.combine(day, time(0, 0), tzinfo=LOCAL) + timedelta(minutes=gap[2])
        if kind == "midnight":
            return local_midnight_after(after) + timedelta(seconds=gap[1])
        target = None if ticket.unit_due_at is None else ticket.unit_due_at + timedelta(seconds=gap[1])
        return target if target is not None and target > after else after + timedelta(minutes=1)

    def step(self, p: Plan, step: Step, after: datetime) -> datetime:
        ticket = self.ticket(p.pid)
        name, data = self.action(ticket, step)
        if name is None:
            self.skipped += 1
            return after
        at = self.when(ticket, step.gap, after)
        if at <= after:  # a local midnight ± 1 s can fall a second before: keep each step later
            at = after + timedelta(seconds=1)
        self.clock.set(at)
        if name in STAFF_ACTIONS and not data.pop("_supervisor", False):
            who = CLERKS[ticket.unit.code]
        else:
            data.pop("_supervisor", None)
            in_county = ticket.unit is not None and ticket.unit.path.startswith(self.world.units["R1"].path)
            who = "east_boss" if step.region and in_county else "boss"
        try:
            lifecycle.apply(ticket, name, Actor.of(self.world.users[who]), at, data, current_calendar())
        except (Conflict, Forbidden, InputError, NotFound):
            # a step the lifecycle refuses (a county deciding a clock the city set, a unit
            # outside the actor's subtree, the city returning): nothing happened
            db.session.rollback()
            self.skipped += 1
            return after
        db.session.commit()
        return at

    @staticmethod
    def action(ticket: Ticket, step: Step) -> tuple[str | None, dict]:
        """The step's choice among what the ticket's state allows now (None: nothing does)."""
        state = ticket.state
        if state in ("assigned", "in_progress") and ticket.extension_requested_days is not None:
            state = "waiting"
        choice = step.choice
        for intent, weight in CHOICES.get(state, ()):
            if choice < weight:
                break
            choice -= weight
        else:
            return None, {}
        return {
            "assign": ("assign", {"unit": step.unit}),
            "reassign": ("reassign", {"unit": step.unit}),
            "region-return": ("return", {"reason": "非本县网站", "_supervisor": True}),
            "accept": ("accept", {}),
            "reply": ("reply", {"text": "已整改"}),
            "approve": ("approve", {}),
            "reject": ("reject", {"reason": "答复未说明整改结果"}),
            "return": ("return", {"reason": "非本单位网站"}),
            "request-extension": ("request-extension", {"days": step.days, "reason": "需协调"}),
            "approve-extension": ("decide-extension", {"approve": True}),
            "deny-extension": ("decide-extension", {"approve": False, "reason": "理由不充分"}),
            # 重复: a duplicate of the first ticket (step.days picks which of the two kinds)
            "invalidate": ("invalidate", {"reason": "重复留言", "duplicate_of": "P0"}
                           if step.days == 1 and ticket.platform_id != "P0" else {"reason": "非政府网站问题"}),
        }[intent]


# --- reading back -----------------------------------------------------------------------------

def _aware(t: datetime | None) -> datetime | None:
    return None if t is None else (t if t.tzinfo else t.replace(tzinfo=timezone.utc))


def read_histories() -> list[ref.History]:
    """Every ticket with its events, as the reference's plain values."""
    codes = dict(db.session.execute(sa.text("SELECT id, code FROM units")).all())
    user_units = {uid: codes.get(unit_id) for uid, unit_id in db.session.execute(
        sa.text("SELECT id, unit_id FROM users")).all()}
    tickets = db.session.execute(sa.select(Ticket.id, Ticket.platform_id, Ticket.received_at)).all()
    events: dict[int, list] = {}
    for e in db.session.execute(sa.select(TicketEvent).order_by(TicketEvent.id)).scalars():
        events.setdefault(e.ticket_id, []).append(
            ref.Event(_aware(e.at), e.action, codes.get(e.unit_id), dict(e.data or {}), user_units.get(e.actor_id)))
    out = []
    for ticket_id, pid, received_at in tickets:
        # the order they happened in; a ledger's history is written after its receive event
        ordered = sorted(events.get(ticket_id, []), key=lambda e: e.at)
        out.append(ref.History(pid, _aware(received_at), tuple(ordered)))
    return out


def unit_infos() -> dict[str, ref.UnitInfo]:
    rows = db.session.execute(sa.text(
        "SELECT u.code, p.code, u.kind FROM units u LEFT JOIN units p ON p.id = u.parent_id")).all()
    return {code: ref.UnitInfo(code, parent, kind) for code, parent, kind in rows}


def as_of_candidates(end: datetime) -> list[datetime]:
    """Instants worth asking about: each deadline and each event ± 1 s, local midnights, and
    after everything."""
    out = {end, end + timedelta(days=30)}
    for row in db.session.execute(sa.select(Ticket.unit_due_at, Ticket.platform_due_at, Ticket.received_at)).all():
        for t in row:
            if t is not None:
                t = _aware(t)
                out.update((t - timedelta(seconds=1), t, t + timedelta(seconds=1)))
    for (t,) in db.session.execute(sa.select(TicketEvent.at)).all():
        t = _aware(t)
        out.update((t - timedelta(seconds=1), t, t + timedelta(seconds=1), local_midnight_after(t)))
    return sorted(out)
