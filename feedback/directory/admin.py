"""Changing the directory: units (with their materialised paths), properties and routing rules."""
from __future__ import annotations

import sqlalchemy as sa

from feedback.directory.models import Property, RoutingRule, Unit
from feedback.directory.routing import normalize_pattern
from feedback.errors import InputError
from feedback.extensions import db


def add_unit(code: str, name: str, kind: str, parent: Unit | None) -> Unit:
    unit = Unit(code=code, name=name, kind=kind, parent=parent)
    db.session.add(unit)
    db.session.flush()
    set_path(unit)
    return unit


def set_path(unit: Unit) -> None:
    """Recompute the materialised path of a unit and its whole subtree."""
    parent_path = unit.parent.path if unit.parent is not None else "/"
    unit.path = f"{parent_path}{unit.id}/"
    unit.depth = unit.path.count("/") - 2
    for child in unit.children:
        set_path(child)


def would_cycle(unit: Unit, new_parent: Unit | None) -> bool:
    return new_parent is not None and new_parent.path.startswith(unit.path)


def add_property(unit: Unit, kind: str, name: str, *, site_code: str | None = None,
                 url_prefixes: list[str] | None = None, account: str | None = None) -> Property:
    prop = Property(unit=unit, kind=kind, name=name, site_code=site_code or None, account=account or None)
    db.session.add(prop)
    db.session.flush()
    set_property_rules(prop, url_prefixes or [])
    return prop


def set_property_rules(prop: Property, url_prefixes: list[str]) -> None:
    """The routing rules a property implies: its site_code, its URL prefixes, its account name."""
    wanted: list[tuple[str, str]] = []
    if prop.site_code:
        wanted.append(("site_code", normalize_pattern("site_code", prop.site_code)))
    normalized = []
    for raw in url_prefixes:
        pattern = normalize_pattern("url_prefix", raw)
        if pattern is None:
            raise InputError({"url_prefixes": f"{raw!r} is not a URL prefix (host and optional path)"})
        if pattern not in normalized:  # "a.gov.cn" and "http://www.a.gov.cn/" are one prefix
            normalized.append(pattern)
            wanted.append(("url_prefix", pattern))
    if prop.kind == "new_media" and prop.account:
        wanted.append(("account", normalize_pattern("account", prop.account)))
    prop.url_prefixes = ";".join(normalized)

    existing = db.session.execute(sa.select(RoutingRule).where(RoutingRule.property_id == prop.id)).scalars().all()
    keep = set(wanted)
    for rule in existing:
        if (rule.kind, rule.pattern) not in keep:
            db.session.delete(rule)
    db.session.flush()
    for kind, pattern in wanted:
        rule = db.session.execute(
            sa.select(RoutingRule).where(RoutingRule.kind == kind, RoutingRule.pattern == pattern)
        ).scalar_one_or_none()
        if rule is None:
            db.session.add(RoutingRule(kind=kind, pattern=pattern, unit_id=prop.unit_id, property_id=prop.id))
        else:  # the latest property to claim a pattern owns it
            rule.unit_id, rule.property_id = prop.unit_id, prop.id
    db.session.flush()


def add_rule(kind: str, pattern: str, unit: Unit, priority: int = 0) -> RoutingRule:
    """A manual rule, e.g. the supervisor's "always route this URL prefix to this unit"."""
    normalized = normalize_pattern(kind, pattern)
    if normalized is None:
        raise InputError({"pattern": f"{pattern!r} is not a valid {kind}"})
    rule = db.session.execute(
        sa.select(RoutingRule).where(RoutingRule.kind == kind, RoutingRule.pattern == normalized)
    ).scalar_one_or_none()
    if rule is None:
        rule = RoutingRule(kind=kind, pattern=normalized, unit=unit, priority=priority)
        db.session.add(rule)
    else:
        rule.unit, rule.property_id, rule.priority = unit, None, priority
    db.session.flush()
    return rule
