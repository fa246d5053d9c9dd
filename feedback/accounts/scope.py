"""Who sees what (DESIGN.md: People). Every list and detail query goes through here.

supervisor / viewer: their unit's subtree; a root-office supervisor also sees unrouted tickets.
unit_staff: exactly their unit. system: everything (imports, seeding, sweeps).

resolve_scope() turns a caller (and a unit code) into a report's root, its units in report
order and each unit's group head (市/州, 县/区): the figures, the dashboard and the exports
build their rows from it.

What a process keeps between requests (DESIGN.md, Runs): only what is immutable or keyed by a
version the database bumps in the writing transaction. Two things qualify: the resolved unit
trees here (units_version, replaced by triggers on every write to units: migration 0012) and
the working calendar (calendar/service.py, calendar_version: migration 0016). Each reads its
token before its rows, so a write that commits in between can only make what is kept newer
than its token, never older. Figures themselves are never kept: every request computes them.
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from functools import cached_property

import orjson
import sqlalchemy as sa
from sqlalchemy.orm import aliased

from feedback.directory.models import Unit, UnitsVersion
from feedback.errors import InputError, NotFound
from feedback.extensions import db
from feedback.figures import snapshot
from feedback.tickets.models import Ticket


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    label: str
    role: str  # supervisor | unit_staff | viewer | system
    unit_id: int | None = None
    unit_path: str | None = None  # materialised path of the actor's unit, "/1/4/"

    @classmethod
    def of(cls, user) -> "Actor":
        return cls(user.id, user.label, user.role, user.unit_id, user.unit.path)

    @classmethod
    def system(cls, label: str = "system") -> "Actor":
        return cls(None, label, "system")

    @property
    def is_root(self) -> bool:
        return self.unit_path is not None and self.unit_path.count("/") == 2

    @property
    def sees_personal_data(self) -> bool:
        return self.role in ("supervisor", "system")


def unit_ids_clause(actor: Actor):
    """A SQL expression true for the ids of units the actor may see."""
    if actor.role == "system":
        return sa.true()
    if actor.role == "unit_staff":
        return Unit.id == actor.unit_id
    return Unit.path.startswith(actor.unit_path, autoescape=True)


def units_query(actor: Actor):
    return sa.select(Unit).where(unit_ids_clause(actor))


def ticket_scope(actor: Actor):
    """A WHERE clause on Ticket restricting it to the actor's scope."""
    if actor.role == "system":
        return sa.true()
    if actor.role == "unit_staff":
        return Ticket.unit_id == actor.unit_id
    in_subtree = Ticket.unit_id.in_(sa.select(Unit.id).where(unit_ids_clause(actor)))
    if actor.is_root:
        return sa.or_(in_subtree, Ticket.unit_id.is_(None))
    return in_subtree


def tickets_query(actor: Actor):
    return sa.select(Ticket).where(ticket_scope(actor))


def get_ticket(actor: Actor, ticket_id: int, *, for_update: bool = False) -> Ticket:
    """The ticket if it is in scope; NotFound (404) otherwise, never 403: existence is not leaked."""
    query = tickets_query(actor).where(Ticket.id == ticket_id)
    if for_update:
        query = query.with_for_update(of=Ticket)
    ticket = db.session.execute(query).scalar_one_or_none()
    if ticket is None:
        raise NotFound("no such ticket")
    return ticket


def unit_in_scope(actor: Actor, unit: Unit) -> bool:
    if actor.role == "system":
        return True
    if actor.role == "unit_staff":
        return unit.id == actor.unit_id
    return unit.path.startswith(actor.unit_path)


def ticket_in_scope(actor: Actor, ticket: Ticket) -> bool:
    if actor.role == "system":
        return True
    if ticket.unit_id is None:
        return actor.role != "unit_staff" and actor.is_root
    return unit_in_scope(actor, ticket.unit)


# --- a report's units: root, rows, group heads ----------------------------------------------------

@dataclass(frozen=True)
class UnitRef:
    id: int
    code: str
    name: str
    parent_code: str | None
    kind: str
    depth: int
    path: str

    def to_json(self) -> dict:
        return {"code": self.code, "name": self.name, "parent_code": self.parent_code}

    @cached_property
    def json_bytes(self) -> bytes:
        """to_json() as JSON with sorted keys, written once per unit: a resolved tree is kept
        across requests (resolve_scope), and a province's report writes 5,000 of them."""
        return orjson.dumps(self.to_json(), option=orjson.OPT_SORT_KEYS)


@dataclass
class Scope:
    actor: Actor
    root: UnitRef | None  # None: the system actor over a forest of top units
    units: list[UnitRef]  # the root's subtree within the actor's scope, in report order
    region_of: dict[int, UnitRef]  # unit id → its group head
    includes_triage: bool
    covers_all: bool = False  # every unit there is (the top office of a single tree): no unit filter
    group_heads: list[UnitRef] | None = None  # heads, when resolve_scope found them already
    region_lists: tuple[str, str] | None = None  # region_arrays, when resolve_scope wrote them already

    @property
    def heads(self) -> list[UnitRef]:
        """The group heads in report order (a region table's rows): kept with a resolved tree,
        as finding them walks every unit of it."""
        if self.group_heads is None:
            self.group_heads = _heads(self.units, self.region_of)
        return self.group_heads

    @property
    def region_arrays(self) -> tuple[str, str]:
        """region_of as two PostgreSQL array literals of the same length, the units' ids and
        their group heads' ids ("{4,5}", "{2,2}"): the figures' statements join their rows to it
        (figures/cohort.region_map), kept with a resolved tree as the heads are."""
        if self.region_lists is None:
            pairs = [(unit.id, head.id) for unit in self.units if (head := self.region_of.get(unit.id)) is not None]
            self.region_lists = ("{" + ",".join(str(unit) for unit, _head in pairs) + "}",
                                 "{" + ",".join(str(head) for _unit, head in pairs) + "}")
        return self.region_lists

    @property
    def anchor_depth(self) -> int:
        return self.root.depth + 1 if self.root is not None else 0

    def unit_clause(self):
        """SQL on Unit: the units whose tickets this report counts."""
        if self.covers_all:
            return sa.true()
        clause = unit_ids_clause(self.actor)
        if self.root is not None:
            clause = sa.and_(clause, Unit.path.startswith(self.root.path, autoescape=True))
        return clause


SCOPE_CACHE_SIZE = 64  # resolved unit trees a process keeps (per caller scope, unit and picker)
_scopes: OrderedDict = OrderedDict()


def resolve_scope(actor: Actor, unit_code: str | None = None, *, picker_levels: int | None = None) -> Scope:
    """The report's root and units; a unit code outside the caller's scope is an InputError.
    picker_levels: only what a unit picker offers: the units directly under the root, and the
    regions and offices down to that many levels (a province's thousands of departments are
    reached by drilling down).

    A tree resolved before is reused while units_version's token stands (triggers replace it at
    any write to units, migration 0012). The token is read before the units, so a change that
    commits in between can only make the kept tree newer than its token, never older. The
    Scope's lists are shared between callers: read them, do not change them."""
    run = db.session.connection().execute
    # a page's figures resolve a scope several times in one snapshot, where the token stands
    version = snapshot.once(snapshot.UNITS_TOKEN,
                            lambda: run(sa.select(UnitsVersion.version).where(UnitsVersion.id == 1)).scalar())
    key = (str(db.session.get_bind().url), actor.role, actor.unit_id, actor.unit_path, unit_code, picker_levels)
    kept = _scopes.get(key) if version is not None else None
    if kept is not None and kept[0] == version:
        _scopes.move_to_end(key)
        return Scope(actor, *kept[1])
    scope = _resolve_scope(actor, unit_code, picker_levels, run)
    if version is not None:
        _scopes[key] = (version, (scope.root, scope.units, scope.region_of, scope.includes_triage, scope.covers_all,
                                  scope.heads, scope.region_arrays))
        while len(_scopes) > SCOPE_CACHE_SIZE:
            _scopes.popitem(last=False)
    return scope


def _resolve_scope(actor: Actor, unit_code: str | None, picker_levels: int | None, run) -> Scope:
    """resolve_scope, from the database (run: Core rows, no ORM loading for 5,000 plain tuples)."""
    parent = aliased(Unit)
    base = sa.select(Unit.id, Unit.code, Unit.name, parent.code, Unit.kind, Unit.depth, Unit.path) \
        .outerjoin(parent, parent.id == Unit.parent_id)
    if unit_code:
        found = run(base.where(Unit.code == unit_code.strip(), unit_ids_clause(actor))).first()
        if found is None:
            raise InputError({"unit": f"no unit with code {unit_code!r} in your scope"})
        root = UnitRef(*found)
    elif actor.role == "system":
        tops = run(base.where(Unit.parent_id.is_(None))).all()
        root = UnitRef(*tops[0]) if len(tops) == 1 else None
    else:
        root = UnitRef(*run(base.where(Unit.id == actor.unit_id)).one())
    clause = unit_ids_clause(actor)
    if root is not None:
        clause = sa.and_(clause, Unit.path.startswith(root.path, autoescape=True))
    if picker_levels is not None:
        top = root.depth if root is not None else 0
        clause = sa.and_(clause, sa.or_(Unit.depth <= top + 1,
                                        sa.and_(Unit.depth <= top + picker_levels, Unit.kind != "department")))
    units = [UnitRef(*r) for r in run(base.where(clause)).all()]
    region_of = _regions(units, root)
    ordered = _report_order(units, root, region_of)
    includes_triage = actor.role != "unit_staff" and (
        root is None or (root.depth == 0 and (actor.role == "system" or actor.is_root)))
    covers_all = picker_levels is None and includes_triage and (
        root is None or run(sa.select(sa.func.count()).where(Unit.parent_id.is_(None))).scalar() == 1)
    return Scope(actor, root, ordered, region_of, includes_triage, covers_all)


def _heads(units: list[UnitRef], region_of: dict[int, UnitRef]) -> list[UnitRef]:
    seen, out = set(), []
    for unit in units:
        head = region_of[unit.id]
        if head.id not in seen:
            seen.add(head.id)
            out.append(head)
    return out


def _regions(units: list[UnitRef], root: UnitRef | None) -> dict[int, UnitRef]:
    """Each unit's group head: its ancestor directly under the root when that is a region or an
    office, else the root (市直/本级). Without a root: its top-level ancestor."""
    by_id = {u.id: u for u in units}
    anchor = root.depth + 1 if root is not None else 0
    out = {}
    for unit in units:
        if unit.depth < anchor:
            out[unit.id] = root
            continue
        head = by_id.get(int(unit.path.strip("/").split("/")[anchor]))
        if root is not None and (head is None or head.kind == "department"):
            head = root
        out[unit.id] = head
    return out


def _report_order(units: list[UnitRef], root: UnitRef | None, region_of: dict[int, UnitRef]) -> list[UnitRef]:
    children: dict[int | None, list[UnitRef]] = {}
    ids = {u.id for u in units}
    for unit in units:
        parent_id = _parent_id(unit)
        children.setdefault(parent_id if parent_id in ids else None, []).append(unit)
    for siblings in children.values():
        siblings.sort(key=lambda u: u.code)
    tree_index: dict[int, int] = {}

    def walk(unit: UnitRef) -> None:
        tree_index[unit.id] = len(tree_index)
        for child in children.get(unit.id, []):
            walk(child)

    for top in children.get(None, []):
        walk(top)
    root_id = root.id if root is not None else None

    def key(unit: UnitRef):
        head = region_of[unit.id]
        return (head.id != root_id, head.code, tree_index[unit.id])

    return sorted(units, key=key)


def _parent_id(unit: UnitRef) -> int | None:
    parts = unit.path.strip("/").split("/")
    return int(parts[-2]) if len(parts) >= 2 else None
