"""One order for units everywhere a person picks or reads one: the tree, depth first, siblings by
code — the admin tree, the triage's unit list, the ticket's 转办 list, the new-user form and the
inbox filter."""
from __future__ import annotations

import re

from feedback.directory.admin import add_unit
from feedback.directory.tree import in_tree_order
from feedback.extensions import db

# tests/factories.py adds C0, R1, R2, D1, D2, D3, D9 in that order; D0 comes last, under R1.
TREE = ["C0", "D9", "R1", "D0", "D1", "D2", "R2", "D3"]
NAMES = {"C0": "示例市人民政府办公室", "D9": "示例市交通局", "R1": "东城县", "D0": "东城县财政局",
         "D1": "东城县教育局", "D2": "东城县卫健局", "R2": "西城区", "D3": "西城区人社局"}


def add_d0(world):
    world.units["D0"] = add_unit("D0", "东城县财政局", "department", world.units["R1"])
    db.session.commit()


def option_names(html: str, select_id: str) -> list[str]:
    block = re.search(rf'<select[^>]*id="{select_id}"[^>]*>(.*?)</select>', html, re.S).group(1)
    return [re.sub(r"（.*?）", "", t).strip("　 \n") for t in re.findall(r"<option value=\"[^\"]+\"[^>]*>([^<]*)<", block)]


def test_in_tree_order_puts_each_subtree_under_its_unit_siblings_by_code(world):
    add_d0(world)
    units = list(world.units.values())
    assert [u.code for u in in_tree_order(units)] == TREE
    assert [u.code for u in in_tree_order(reversed(units))] == TREE
    # a scope below the top: its root first
    assert [u.code for u in in_tree_order([world.units[c] for c in ("D2", "D1", "R1", "D0")])] == \
        ["R1", "D0", "D1", "D2"]


def test_every_unit_list_on_the_pages_is_in_tree_order(world, as_user, make_ticket):
    add_d0(world)
    expected = [NAMES[c] for c in TREE]
    boss = as_user("boss")
    tree = boss.get("/admin/units").get_data(as_text=True)
    assert re.findall(r"<strong>([^<]+)</strong>", tree[tree.index('id="unit-tree"'):]) == expected
    assert option_names(boss.get("/admin/users").get_data(as_text=True), "unit") == expected
    assert option_names(boss.get("/inbox").get_data(as_text=True), "unit") == expected
    ticket = make_ticket("2026112400001", url="http://nowhere.example.com/")  # nobody's: 待分派
    assert option_names(boss.get("/triage").get_data(as_text=True), f"assign-unit-{ticket.id}") == expected
    assert option_names(boss.get(f"/tickets/{ticket.id}").get_data(as_text=True), "assign-unit") == expected


def test_a_long_unit_list_gets_a_search_box(world, as_user):
    boss = as_user("boss")
    assert 'data-filter-list="unit"' not in boss.get("/admin/users").get_data(as_text=True)  # 7 units
    for n in range(12):
        add_unit(f"X{n:02d}", f"示例市第{n}局", "department", world.units["C0"])
    db.session.commit()
    assert 'data-filter-list="unit"' in boss.get("/admin/users").get_data(as_text=True)
    assert 'data-filter-list="unit-tree"' in boss.get("/admin/units").get_data(as_text=True)
