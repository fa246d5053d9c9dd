"""resolve_scope reuses a resolved unit tree only while units are unchanged (units_version's
token, replaced by triggers at any write to units), whoever wrote them and however."""
from __future__ import annotations

import sqlalchemy as sa

from feedback.accounts.scope import Actor
from feedback.directory.admin import add_unit
from feedback.extensions import db
from feedback.accounts.scope import resolve_scope


def codes(scope) -> list[str]:
    return [u.code for u in scope.units]


def test_an_unchanged_tree_is_reused(world):
    boss = Actor.of(world.users["boss"])
    first = resolve_scope(boss)
    again = resolve_scope(boss)
    assert again.units is first.units and again.actor is boss  # the kept tree, the caller's actor
    assert codes(again) == ["C0", "D9", "R1", "D1", "D2", "R2", "D3"]


def test_a_new_unit_shows_at_once(world):
    boss = Actor.of(world.users["boss"])
    resolve_scope(boss)
    d4 = add_unit("D4", "东城县民政局", "department", world.units["R1"])
    db.session.commit()
    assert "D4" in codes(resolve_scope(boss))
    assert resolve_scope(boss).region_of[d4.id].code == "R1"


def test_a_rename_in_plain_sql_shows_at_once(world):
    boss = Actor.of(world.users["boss"])
    assert {u.code: u.name for u in resolve_scope(boss).units}["D1"] == "东城县教育局"
    db.session.execute(sa.text("UPDATE units SET name = '东城县教育和体育局' WHERE code = 'D1'"))
    db.session.commit()
    assert {u.code: u.name for u in resolve_scope(boss).units}["D1"] == "东城县教育和体育局"


def test_a_moved_unit_changes_region(world):
    boss = Actor.of(world.users["boss"])
    d1 = world.units["D1"]
    assert resolve_scope(boss).region_of[d1.id].code == "R1"
    r2 = world.units["R2"]
    db.session.execute(sa.text("UPDATE units SET parent_id = :p, path = :path WHERE id = :id"),
                       {"p": r2.id, "path": f"{r2.path}{d1.id}/", "id": d1.id})
    db.session.commit()
    assert resolve_scope(boss).region_of[d1.id].code == "R2"


def test_each_caller_gets_its_own_scope(world):
    boss, county = Actor.of(world.users["boss"]), Actor.of(world.users["east_boss"])
    assert len(resolve_scope(boss).units) == 7
    assert codes(resolve_scope(county)) == ["R1", "D1", "D2"]
    assert codes(resolve_scope(boss, "R1")) == ["R1", "D1", "D2"]


def test_without_a_token_nothing_is_reused(world):
    boss = Actor.of(world.users["boss"])
    resolve_scope(boss)
    db.session.execute(sa.text("DELETE FROM units_version"))
    db.session.commit()
    assert resolve_scope(boss).units is not resolve_scope(boss).units


def test_the_group_heads_are_kept_with_the_tree(world):
    boss = Actor.of(world.users["boss"])
    first = resolve_scope(boss)
    assert [u.code for u in first.heads] == ["C0", "R1", "R2"]
    assert resolve_scope(boss).heads is first.heads  # not walked again while the tree stands
    add_unit("R3", "北城区", "region", world.units["C0"])
    db.session.commit()
    assert [u.code for u in resolve_scope(boss).heads] == ["C0", "R1", "R2", "R3"]
