"""Seeding the demo city through the product's own paths (CONTRACT.md: feedback seed-demo).

Units and sites go through directory/admin.py, reports through ingest (so routing, clocks and
receive events are real), and every later step through lifecycle.apply with the user who
takes it, at the time they take it. Nothing commits here: the caller holds one transaction.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from feedback.accounts.models import ApiToken, User
from feedback.accounts.scope import Actor
from feedback.calendar.service import current_calendar
from feedback.demo import city, texts
from feedback.demo.story import Plan, Story
from feedback.directory.admin import add_property, add_unit
from feedback.directory.models import Property, Unit
from feedback.errors import Conflict
from feedback.extensions import db
from feedback.tickets import clocks, lifecycle
from feedback.tickets.ingest import ingest, parse_all
from feedback.tickets.models import Ticket, is_open

PASSWORDS = {"supervisor": "admin-demo", "unit_staff": "clerk-demo", "viewer": "viewer-demo"}


@dataclass
class DemoAccount:
    username: str
    role: str
    unit_code: str
    unit_name: str
    password: str


@dataclass
class DemoAccounts:
    accounts: list[DemoAccount]
    token: str  # an API token of the city supervisor (the first account)
    tickets: int
    units: int
    properties: int
    clerk_hint: str = ""  # how the other units' clerks are named


@dataclass
class People:
    city: User
    platform: User  # the office's link to the national platform: it pushes every report
    viewer: User
    supervisors: dict[int, User]  # unit id → the supervisor over it
    clerks: dict[int, User]  # unit id → its clerk

    def actor(self, by: str, ticket: Ticket) -> Actor:
        if by == "city" or (by == "supervisor" and ticket.unit_id is None):
            return Actor.of(self.city)
        users = self.clerks if by == "clerk" else self.supervisors
        return Actor.of(users[ticket.unit_id])


def seed_demo(at: datetime, rng_seed: int = 2026) -> DemoAccounts:
    """Fill an empty database with the demo city as of `at`; returns the accounts to print."""
    refuse_non_empty()
    rng = random.Random(rng_seed)
    units = build_directory()
    people = create_people(units, rng)
    cal = current_calendar()
    specs = {u.code: u for u in city.units()}
    plans = Story(at, rng, cal, specs, city.targets(), clocks.unit_days_for).plans()
    tickets = receive(plans, Actor.of(people.platform), cal)
    for plan, ticket in zip(plans, tickets):
        for step in plan.steps:
            lifecycle.apply(ticket, step.action, people.actor(step.by, ticket), step.at, step.data, cal)
    db.session.flush()
    return accounts(units, people, len(tickets))


def refuse_non_empty() -> None:
    for model in (Unit, User, Ticket):
        if db.session.execute(sa.select(model.id).limit(1)).first() is not None:
            raise Conflict(f"the database is not empty (it has {model.__tablename__}); "
                           "seed-demo only fills a fresh database")


def build_directory() -> dict[str, Unit]:
    units: dict[str, Unit] = {}
    for spec in city.units():
        units[spec.code] = add_unit(spec.code, spec.name, spec.kind, units.get(spec.parent))
    for prop in city.properties():
        add_property(units[prop.unit], prop.kind, prop.name, site_code=prop.site_code,
                     url_prefixes=prop.prefixes, account=prop.account)
    return units


def create_people(units: dict[str, Unit], rng: random.Random) -> People:
    """A clerk for every unit, a supervisor for the city and each county, one viewer.

    Demo passwords are hashed once per role (scrypt is slow on purpose) and shared."""
    hashes = {}
    for role, password in PASSWORDS.items():
        probe = User(role=role)
        probe.set_password(password)
        hashes[role] = probe.password_hash

    taken: set[str] = set()

    def user(username: str, role: str, unit: Unit) -> User:
        u = User(username=username, role=role, unit=unit, password_hash=hashes[role],
                 display_name=texts.person_name(rng, taken))
        db.session.add(u)
        return u

    city_sup = user("jn_admin", "supervisor", units["JN"])
    platform = user("jn_platform", "supervisor", units["JN"])
    platform.display_name, platform.password_hash = "找错平台对接", None  # an API client: no login
    viewer = user("jn_viewer", "viewer", units["JN"])
    region_sups = {code: user(f"{code.lower()}_admin", "supervisor", units[code]) for code, *_ in city.REGIONS}
    supervisors, clerks = {}, {}
    for spec in city.units():
        unit = units[spec.code]
        clerks[unit.id] = user(clerk_name(spec.code), "unit_staff", unit)
        region = spec.code if spec.kind == "region" else spec.parent
        supervisors[unit.id] = region_sups.get(region, city_sup)
    db.session.flush()
    return People(city_sup, platform, viewer, supervisors, clerks)


def clerk_name(unit_code: str) -> str:
    """JN-JYJ → jn_jyj; a county or the office itself → qh_web (its portal's maintainer)."""
    parts = unit_code.lower().split("-")
    return "_".join(parts) if len(parts) > 1 else f"{parts[0]}_web"


def receive(plans: list[Plan], actor: Actor, cal) -> list[Ticket]:
    """Each report arrives through ingest at its own forwarding time, as the platform pushes it."""
    parsed, bad = parse_all([p.report for p in plans], naive_is_local=False)
    if bad:
        raise RuntimeError(f"demo report {bad[0].platform_id} is invalid: {bad[0].errors}")
    ids = []
    for (index, report), plan in zip(parsed, plans):
        [result] = ingest([(index, report)], actor, plan.received_at, source="api", calendar=cal)
        ids.append(result.ticket_id)
    by_id = {t.id: t for t in db.session.execute(sa.select(Ticket).where(Ticket.id.in_(ids))).scalars()}
    return [by_id[i] for i in ids]


def accounts(units: dict[str, Unit], people: People, ticket_count: int) -> DemoAccounts:
    """The accounts to print: the clerks shown are those with the most open tickets, one in a
    city department and one in a county department, and that county's supervisor."""
    open_by_unit = dict(db.session.execute(
        sa.select(Ticket.unit_id, sa.func.count()).where(is_open(), Ticket.unit_id.isnot(None))
        .group_by(Ticket.unit_id)).all())
    departments = [u for u in units.values() if u.kind == "department"]

    def busiest(candidates):
        return max(candidates, key=lambda u: (open_by_unit.get(u.id, 0), u.code))

    city_dept = busiest([u for u in departments if u.parent.code == "JN"])
    county_dept = busiest([u for u in departments if u.parent.code != "JN"])
    chosen = [(people.city, "JN"), (people.supervisors[county_dept.id], county_dept.parent.code),
              (people.clerks[city_dept.id], city_dept.code), (people.clerks[county_dept.id], county_dept.code),
              (people.viewer, "JN")]
    shown = [DemoAccount(u.username, u.role, code, units[code].name, PASSWORDS[u.role]) for u, code in chosen]
    token_row, token = ApiToken.issue(people.city, "demo")
    db.session.add(token_row)
    properties = db.session.execute(sa.select(sa.func.count()).select_from(Property)).scalar_one()
    return DemoAccounts(shown, token, ticket_count, len(units), properties,
                        clerk_hint=f"every unit has a clerk (unit_staff) named after its code, e.g. "
                                   f"{clerk_name('JN-MZJ')}, {clerk_name('QS-WJJ')}, {clerk_name('JN')}; "
                                   f"password {PASSWORDS['unit_staff']}")
