"""A small, hand-countable world for tests."""
from __future__ import annotations

from dataclasses import dataclass, field

from feedback.accounts.models import ApiToken, User
from feedback.directory.admin import add_property, add_unit
from feedback.extensions import db


@dataclass
class World:
    units: dict = field(default_factory=dict)
    users: dict = field(default_factory=dict)
    tokens: dict = field(default_factory=dict)

    def headers(self, who: str) -> dict:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


def make_user(world: World, username: str, role: str, unit_code: str) -> User:
    user = User(username=username, role=role, unit=world.units[unit_code], display_name=username)
    user.set_password("correct horse")
    db.session.add(user)
    row, token = ApiToken.issue(user, "test")
    db.session.add(row)
    world.users[username] = user
    world.tokens[username] = token
    return user


def build_world() -> World:
    w = World()
    office = add_unit("C0", "示例市人民政府办公室", "office", None)
    w.units["C0"] = office
    for code, name, kind, parent in [
        ("R1", "东城县", "region", "C0"),
        ("R2", "西城区", "region", "C0"),
        ("D1", "东城县教育局", "department", "R1"),
        ("D2", "东城县卫健局", "department", "R1"),
        ("D3", "西城区人社局", "department", "R2"),
        ("D9", "示例市交通局", "department", "C0"),
    ]:
        w.units[code] = add_unit(code, name, kind, w.units[parent])
    add_property(w.units["D1"], "website", "东城县教育局网站", site_code="1101000001",
                 url_prefixes=["http://edu.dongcheng.gov.cn", "www.dongcheng.gov.cn/jyj"])
    add_property(w.units["D2"], "website", "东城县卫健局网站", site_code="1101000002",
                 url_prefixes=["wsj.dongcheng.gov.cn"])
    add_property(w.units["R1"], "website", "东城县人民政府门户网站", site_code="1101000000",
                 url_prefixes=["www.dongcheng.gov.cn"])
    add_property(w.units["D3"], "new_media", "西城人社微信公众号", account="西城人社")
    make_user(w, "boss", "supervisor", "C0")
    make_user(w, "east_boss", "supervisor", "R1")
    make_user(w, "edu_clerk", "unit_staff", "D1")
    make_user(w, "health_clerk", "unit_staff", "D2")
    make_user(w, "watcher", "viewer", "C0")
    db.session.commit()
    return w
