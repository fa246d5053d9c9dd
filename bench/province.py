"""A province's directory: 5,000 units in a realistic tree, 20,000 sites and accounts, their
routing rules, and the people who work on tickets.

Tree (DESIGN.md: Units form a tree): the province office (省政府办公厅) → 60 provincial
departments and 21 cities (市/州) → 38 departments and 180 counties (县/区) in all → about
22 departments per county. Every unit has a website: cities and counties run a portal with
its own 网站标识码; most county and city departments publish a column on their portal (a
URL-prefix rule, so routing exercises longest-prefix matching); the rest and the provincial
departments run their own site. Every unit also has two to five new-media accounts.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field

from werkzeug.security import generate_password_hash

CITIES = (  # (name, host slug, counties): 21 市/州, 180 县/区 in all
    ("成都市", "chengdu", 20), ("自贡市", "zg", 5), ("攀枝花市", "panzhihua", 5), ("泸州市", "luzhou", 7),
    ("德阳市", "deyang", 6), ("绵阳市", "my", 9), ("广元市", "cngy", 7), ("遂宁市", "suining", 5),
    ("内江市", "neijiang", 5), ("乐山市", "leshan", 11), ("南充市", "nanchong", 9), ("眉山市", "ms", 6),
    ("宜宾市", "yibin", 10), ("广安市", "guang-an", 7), ("达州市", "dazhou", 7), ("雅安市", "yaan", 8),
    ("巴中市", "cnbz", 5), ("资阳市", "ziyang", 4), ("阿坝州", "abazhou", 13), ("甘孜州", "gzz", 18),
    ("凉山州", "lsz", 13),
)
DEPARTMENTS = (  # (name stem, URL slug); the first 38 exist in every city, the first 22 in every county
    ("发展和改革", "fgw"), ("教育", "jyj"), ("科学技术", "kjj"), ("经济和信息化", "jxj"), ("公安", "gaj"),
    ("民政", "mzj"), ("司法", "sfj"), ("财政", "czj"), ("人力资源和社会保障", "rsj"), ("自然资源", "zrzyj"),
    ("生态环境", "sthjj"), ("住房和城乡建设", "zjj"), ("交通运输", "jtysj"), ("水利", "slj"),
    ("农业农村", "nyncj"), ("商务", "swj"), ("文化广播电视和旅游", "wglj"), ("卫生健康", "wjw"),
    ("退役军人事务", "tyjrswj"), ("应急管理", "yjglj"), ("市场监督管理", "scjgj"), ("医疗保障", "ybj"),
    ("审计", "sjj"), ("统计", "tjj"), ("林业和草原", "lcj"), ("体育", "tyj"), ("国有资产监督管理", "gzw"),
    ("民族宗教事务", "mzzjj"), ("政务服务和公共资源交易服务", "zwfw"), ("大数据", "dsjj"), ("信访", "xfj"),
    ("机关事务管理", "jgswj"), ("地方金融监督管理", "jrj"), ("乡村振兴", "xczxj"), ("经济合作", "jhj"),
    ("投资促进", "tcj"), ("粮食和物资储备", "lsj"), ("药品监督管理", "ypjgj"), ("口岸与物流", "kawlb"),
    ("城市管理", "cgj"),
)
PROVINCIAL_EXTRA = (
    "档案馆", "地方志工作办公室", "社会科学院", "农业科学院", "气象局", "地震局", "通信管理局", "邮政管理局",
    "税务局", "统计调查总队", "红十字会", "科学技术协会", "文学艺术界联合会", "残疾人联合会", "总工会",
    "共青团委员会", "妇女联合会", "供销合作社", "公共资源交易中心", "大数据中心",
)
COUNTY_SUFFIX = ("县", "区", "县", "县", "市")
COUNTY_SYLLABLES = "安宁平江山阳河泉清华武文德兴宝金石龙凤云川南北东西新高长永盛嘉荣丰禄昭"
MEDIA = ("微信公众号", "微博", "抖音号", "今日头条号", "视频号")
PROVINCE_DEPARTMENTS = 60
CITY_DEPARTMENTS = 38
UNITS = 5000
PROPERTIES = 20_000
PASSWORD = "bench-password"  # every generated account's password; the database is thrown away


@dataclass
class Unit:
    id: int
    parent_id: int | None
    code: str
    name: str
    kind: str
    path: str
    host: str  # the host of its portal (regions) or of its parent's portal (departments)


@dataclass
class Prop:
    id: int
    unit_id: int
    kind: str
    name: str
    site_code: str | None
    url_prefix: str | None  # normalised host/path, as routing stores it
    account: str | None
    weight: float  # how often netizens report on it


@dataclass
class Rule:
    id: int
    kind: str
    pattern: str
    unit_id: int
    property_id: int


@dataclass
class Province:
    units: list[Unit] = field(default_factory=list)
    properties: list[Prop] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)
    users: list[tuple] = field(default_factory=list)  # (id, username, display_name, role, unit_id)
    clerk_of: dict[int, int] = field(default_factory=dict)  # unit id → its clerk's user id
    reviewers: list[int] = field(default_factory=list)  # the office's supervisors
    api_user: int = 0
    password_hash: str = ""

    @property
    def office(self) -> Unit:
        return self.units[0]

    def unit(self, unit_id: int) -> Unit:
        return self.units[unit_id - 1]


def build_province(rng: random.Random) -> Province:
    p = Province()
    _build_units(p, rng)
    _build_properties(p, rng)
    _build_users(p)
    return p


def _add_unit(p: Province, parent: Unit | None, code: str, name: str, kind: str, host: str) -> Unit:
    uid = len(p.units) + 1
    path = f"{parent.path if parent else '/'}{uid}/"
    unit = Unit(uid, parent.id if parent else None, code, name, kind, path, host)
    p.units.append(unit)
    return unit


def _build_units(p: Province, rng: random.Random) -> None:
    office = _add_unit(p, None, "SC", "四川省人民政府办公厅", "office", "sc.gov.cn")
    for k, (stem, slug) in enumerate(DEPARTMENTS):
        _add_unit(p, office, f"SC-{k + 1:02d}", f"四川省{stem}厅", "department", f"{slug}.sc.gov.cn")
    for k, extra in enumerate(PROVINCIAL_EXTRA[:PROVINCE_DEPARTMENTS - len(DEPARTMENTS)]):
        _add_unit(p, office, f"SC-{len(DEPARTMENTS) + k + 1:02d}", f"四川省{extra}", "department",
                  f"p{len(DEPARTMENTS) + k + 1}.sc.gov.cn")
    counties = sum(c for _, _, c in CITIES)
    county_departments = UNITS - len(p.units) - len(CITIES) * (1 + CITY_DEPARTMENTS) - counties
    base, extra = divmod(county_departments, counties)
    county_index = 0
    used_names: set[str] = set()
    for ci, (city_name, slug, n_counties) in enumerate(CITIES, start=1):
        city = _add_unit(p, office, f"SC{ci:02d}", city_name, "region", f"{slug}.gov.cn")
        for k, (stem, dslug) in enumerate(DEPARTMENTS[:CITY_DEPARTMENTS]):
            _add_unit(p, city, f"SC{ci:02d}-{k + 1:02d}", f"{city_name}{stem}局", "department",
                      f"{slug}.gov.cn/{dslug}")
        for xi in range(1, n_counties + 1):
            name = _county_name(rng, used_names)
            county = _add_unit(p, city, f"SC{ci:02d}{xi:02d}", name, "region", f"{slug}-x{xi:02d}.gov.cn")
            n_depts = base + (1 if county_index < extra else 0)
            county_index += 1
            for k, (stem, dslug) in enumerate(DEPARTMENTS[:n_depts]):
                _add_unit(p, county, f"SC{ci:02d}{xi:02d}-{k + 1:02d}", f"{name}{stem}局", "department",
                          f"{county.host}/{dslug}")
    assert len(p.units) == UNITS, len(p.units)


def _county_name(rng: random.Random, used: set[str]) -> str:
    while True:
        name = rng.choice(COUNTY_SYLLABLES) + rng.choice(COUNTY_SYLLABLES) + rng.choice(COUNTY_SYLLABLES)
        if name[0] != name[1] and name not in used:
            used.add(name)
            return name + rng.choice(COUNTY_SUFFIX)


def _build_properties(p: Province, rng: random.Random) -> None:
    for unit in p.units:
        _add_website(p, unit, rng)
    # Two to five accounts per unit; regions, with a bigger audience, tend to run more.
    counts = {u.id: 2 for u in p.units}
    spare = PROPERTIES - len(p.properties) - 2 * len(p.units)
    candidates = [u.id for u in p.units]
    weights = [4.0 if u.kind != "department" else 1.0 for u in p.units]
    while spare > 0:
        uid = rng.choices(candidates, weights)[0]
        if counts[uid] < len(MEDIA):
            counts[uid] += 1
            spare -= 1
    for unit in p.units:
        for platform in rng.sample(MEDIA, counts[unit.id]):
            account = f"{unit.name}{platform}"
            weight = (2.0 if unit.kind != "department" else 1.0) * rng.lognormvariate(0, 0.8) * 0.35
            prop = Prop(len(p.properties) + 1, unit.id, "new_media", account, None, None, account, weight)
            p.properties.append(prop)
            _add_rule(p, "account", account, prop)
    assert len(p.properties) == PROPERTIES, len(p.properties)


def _add_website(p: Province, unit: Unit, rng: random.Random) -> None:
    own_site = unit.kind != "department" or "/" not in unit.host or rng.random() < 0.3
    pid = len(p.properties) + 1
    if own_site:
        portal, _, slug = unit.host.partition("/")
        host = f"{slug}.{portal}" if slug else portal
        # 网站标识码: 10 characters, unique
        site_code, prefix = f"51{pid:08d}", host
        name = unit.name + ("门户网站" if unit.kind != "department" else "网站")
    else:
        site_code, prefix, name = None, unit.host, f"{unit.name}（{p.unit(unit.parent_id).name}门户网站栏目）"
    portal = 12.0 if unit.kind == "office" else 6.0 if unit.kind == "region" else 1.0
    prop = Prop(pid, unit.id, "website", name, site_code, prefix, None, portal * rng.lognormvariate(0, 0.8))
    p.properties.append(prop)
    if site_code:
        _add_rule(p, "site_code", site_code, prop)
    _add_rule(p, "url_prefix", prefix, prop)


def _add_rule(p: Province, kind: str, pattern: str, prop: Prop) -> None:
    p.rules.append(Rule(len(p.rules) + 1, kind, pattern, prop.unit_id, prop.id))


def _build_users(p: Province) -> None:
    """The office's reviewers, the platform's API account and one clerk (经办人) per unit."""
    p.password_hash = generate_password_hash(PASSWORD, method="scrypt")  # once: scrypt is slow on purpose
    office = p.office.id
    p.api_user = 1
    p.users.append((1, "platform-api", "国家平台接口", "supervisor", office))
    for k in range(1, 4):
        p.users.append((len(p.users) + 1, f"reviewer{k}", f"办公厅审核员{k}", "supervisor", office))
        p.reviewers.append(len(p.users))
    for unit in p.units:
        uid = len(p.users) + 1
        p.users.append((uid, f"clerk-{unit.code}", f"{unit.name}经办人", "unit_staff", unit.id))
        p.clerk_of[unit.id] = uid
