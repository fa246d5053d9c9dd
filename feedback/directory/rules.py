"""Directory changes made by a supervisor: only inside their own subtree.

directory/admin.py lets the latest claim of a routing pattern win. From a supervisor's page
that would let a county office take over a pattern the city (or another county) owns, so
every claim is checked against the actor's scope first. These checks serve the pages, so
their messages are the person's (translated), not the API's.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from feedback.accounts.scope import Actor, unit_in_scope
from feedback.directory.admin import add_rule
from feedback.directory.models import Property, RoutingRule, Unit
from feedback.directory.routing import candidate_prefixes, normalize_pattern
from feedback.errors import InputError
from feedback.extensions import db


def owner_outside_scope(actor: Actor, kind: str, pattern: str) -> Unit | None:
    """A unit outside the actor's subtree that owns this (normalised) pattern or, for a URL
    prefix, any shorter prefix of it; None when the actor may claim the pattern.

    DESIGN.md: RoutingRule — a county cannot capture a city department's pages by adding a
    longer prefix under the department's own (the longest prefix would win the routing).
    Every write path that adds or re-points a rule from a person's action calls this.
    """
    patterns = candidate_prefixes(pattern) if kind == "url_prefix" else [pattern]
    rules = db.session.execute(
        sa.select(RoutingRule).where(RoutingRule.kind == kind, RoutingRule.pattern.in_(patterns))
    ).scalars().all()
    for rule in sorted(rules, key=lambda r: -len(r.pattern)):  # the closest owner named first
        if not unit_in_scope(actor, rule.unit):
            return rule.unit
    return None


def add_rule_in_scope(actor: Actor, kind: str, pattern: str, unit: Unit) -> RoutingRule:
    """A manual rule ("always route this URL prefix to this unit")."""
    normalized = normalize_pattern(kind, pattern or "")
    if normalized is None:
        raise InputError({"pattern": _l("“%(p)s”不是有效的网址前缀、网站标识码或账号名称。", p=pattern)})
    if not unit_in_scope(actor, unit):
        raise InputError({"unit": _l("请选择您管辖范围内的单位。")})
    owner = owner_outside_scope(actor, kind, normalized)
    if owner is not None:
        raise InputError({"pattern": _outside(normalized, owner)})
    return add_rule(kind, normalized, unit)


def check_property_claims(actor: Actor, prop_kind: str, site_code: str | None, prefixes: list[str],
                          account: str | None, *, exclude_property: int | None = None) -> None:
    """Refuse a property whose site code is taken, or whose patterns belong outside the scope."""
    errors = {}
    if site_code:
        taken = db.session.execute(
            sa.select(Property).where(Property.site_code == site_code, Property.id != (exclude_property or 0))
        ).scalar_one_or_none()
        if taken is not None:
            errors["site_code"] = _l("网站标识码已被“%(n)s”使用。", n=taken.name)
    claims = [("site_code", site_code)] if site_code else []
    claims += [("url_prefix", p) for p in prefixes]
    if prop_kind == "new_media" and account:
        claims.append(("account", account))
    for kind, raw in claims:
        normalized = normalize_pattern(kind, raw)
        if normalized is None:
            errors["url_prefixes"] = _l("“%(p)s”不是网址前缀（域名加可选的路径）。", p=raw)
            continue
        owner = owner_outside_scope(actor, kind, normalized)
        if owner is not None:
            field = "url_prefixes" if kind == "url_prefix" else kind if kind == "site_code" else "account"
            errors.setdefault(field, _outside(raw, owner))
    if errors:
        raise InputError(errors)


def _outside(pattern: str, owner: Unit):
    return _l("“%(p)s”已转给%(u)s（%(c)s），在您的管辖范围以外，不能修改。", p=pattern, u=owner.name, c=owner.code)
