"""Directory changes: materialised paths and the routing rules a property implies."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from feedback.directory.admin import add_property, add_rule, add_unit, set_path, set_property_rules, would_cycle
from feedback.directory.models import RoutingRule
from feedback.errors import InputError
from feedback.extensions import db


def rules_of(prop) -> set[tuple[str, str]]:
    return {(r.kind, r.pattern) for r in db.session.execute(
        sa.select(RoutingRule).where(RoutingRule.property_id == prop.id)).scalars()}


def test_paths_are_made_of_ids_and_follow_a_move(app):
    office = add_unit("C0", "办公室", "office", None)
    region = add_unit("R1", "县", "region", office)
    dept = add_unit("D1", "局", "department", region)
    assert (office.path, region.path, dept.path) == (
        f"/{office.id}/", f"/{office.id}/{region.id}/", f"/{office.id}/{region.id}/{dept.id}/")
    assert (office.depth, region.depth, dept.depth) == (0, 1, 2)
    other = add_unit("R2", "区", "region", office)
    region.parent = other
    set_path(region)
    assert dept.path == f"/{office.id}/{other.id}/{region.id}/{dept.id}/" and dept.depth == 3


def test_would_cycle(app, world):
    u = world.units
    assert would_cycle(u["R1"], u["D1"])  # under its own child
    assert would_cycle(u["R1"], u["R1"])  # under itself
    assert not would_cycle(u["R1"], u["R2"]) and not would_cycle(u["C0"], None)


def test_a_website_gets_site_code_and_prefix_rules_once_each(app, world):
    prop = add_property(world.units["D9"], "website", "交通局网站", site_code="1100000009",
                        url_prefixes=["http://www.jtj.example.gov.cn/", "jtj.example.gov.cn", "JTJ.example.gov.cn/zwgk/"])
    assert prop.prefixes == ["jtj.example.gov.cn", "jtj.example.gov.cn/zwgk"]
    assert rules_of(prop) == {("site_code", "1100000009"), ("url_prefix", "jtj.example.gov.cn"),
                              ("url_prefix", "jtj.example.gov.cn/zwgk")}
    set_property_rules(prop, ["jtj.example.gov.cn/new"])  # the prefixes are replaced, the code stays
    assert rules_of(prop) == {("site_code", "1100000009"), ("url_prefix", "jtj.example.gov.cn/new")}


def test_an_account_rule_only_for_new_media(app, world):
    media = add_property(world.units["D9"], "new_media", "交通微博", account=" 示例交通 ")
    assert rules_of(media) == {("account", "示例交通")}


def test_the_latest_property_to_claim_a_prefix_owns_it(app, world):
    # world: D2's site owns wsj.dongcheng.gov.cn
    newer = add_property(world.units["D9"], "website", "新网站", url_prefixes=["wsj.dongcheng.gov.cn"])
    rule = db.session.execute(sa.select(RoutingRule).where(RoutingRule.pattern == "wsj.dongcheng.gov.cn")).scalar_one()
    assert (rule.unit_id, rule.property_id) == (world.units["D9"].id, newer.id)


def test_bad_prefixes_and_patterns_are_refused(app, world):
    with pytest.raises(InputError) as exc:
        add_property(world.units["D9"], "website", "坏网站", url_prefixes=["http://"])
    assert "url_prefixes" in exc.value.errors
    with pytest.raises(InputError):
        add_rule("site_code", "   ", world.units["D9"])
