"""The one order units are listed in: the tree, depth first, siblings by code (as the
dashboard sorts them). A unit's path is made of ids, so ORDER BY path would list siblings in
the order they were created."""
from __future__ import annotations

from typing import Iterable

from feedback.accounts.scope import Actor, units_query
from feedback.directory.models import Unit
from feedback.extensions import db


def in_tree_order(units: Iterable[Unit]) -> list[Unit]:
    """Each unit followed by its subtree; siblings by code. Units whose parent is not among
    them start a tree of their own (a supervisor's scope starts below the top office)."""
    units = list(units)
    present = {u.id for u in units}
    children: dict[int | None, list[Unit]] = {}
    for unit in units:
        children.setdefault(unit.parent_id if unit.parent_id in present else None, []).append(unit)
    for siblings in children.values():
        siblings.sort(key=lambda u: u.code)
    out: list[Unit] = []
    stack = list(reversed(children.get(None, [])))
    while stack:
        unit = stack.pop()
        out.append(unit)
        stack.extend(reversed(children.get(unit.id, [])))
    return out


def scoped_units(actor: Actor) -> list[Unit]:
    """The units the actor may choose from, in tree order."""
    return in_tree_order(db.session.execute(units_query(actor)).scalars())
