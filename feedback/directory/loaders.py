"""Loading units, websites and new-media accounts from the office's spreadsheets
(CONTRACT.md: `feedback units load`, `feedback properties load`).

The whole file is checked before anything is written: every bad row is reported with the
row number Excel shows, and if any row is bad nothing is stored. A good file is upserted in
the caller's transaction (the caller commits), routing rules included.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from feedback.directory import admin
from feedback.directory.models import Property, Unit
from feedback.directory.routing import normalize_pattern
from feedback.errors import InputError
from feedback.extensions import db
from feedback.tabular import Table, column_indexes, read_table

UNIT_COLUMNS = {
    "code": ("code", "单位编码", "编码"),
    "name": ("name", "单位名称", "名称"),
    "parent_code": ("parent_code", "上级单位编码", "上级编码"),
    "kind": ("kind", "类型", "单位类型"),
}
UNIT_KIND_WORDS = {"office": "office", "region": "region", "department": "department",
                   "主管单位": "office", "地区": "region", "部门": "department"}

PROPERTY_COLUMNS = {
    "unit_code": ("unit_code", "单位编码", "主办单位编码"),
    "kind": ("kind", "类型"),
    "name": ("name", "名称", "网站名称"),
    "site_code": ("site_code", "网站标识码"),
    "url_prefixes": ("url_prefixes", "网址", "网址前缀"),
    "account": ("account", "账号", "账号名称"),
}
PROPERTY_KIND_WORDS = {"website": "website", "new_media": "new_media",
                       "网站": "website", "政务新媒体": "new_media", "新媒体": "new_media"}

SITE_CODE = re.compile(r"[0-9A-Z]{10}")  # 网站标识码: ten letters or digits, e.g. 1101000001
PREFIX_SEPARATORS = re.compile(r"[;；\n]")


@dataclass(frozen=True)
class RowError:
    row: int | None  # None: the file as a whole (its header)
    field: str | None
    message: str

    def __str__(self) -> str:
        where = f"row {self.row}" if self.row is not None else "header"
        return f"{where}, {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class LoadErrors(InputError):
    """Bad rows: nothing was written."""

    def __init__(self, problems: list[RowError]):
        self.problems = sorted(problems, key=lambda p: p.row or 0)  # in the order a person reads the file
        super().__init__({"file": "; ".join(str(p) for p in self.problems)},
                         message=f"{len(problems)} problem(s); nothing was loaded")


@dataclass
class LoadResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def __str__(self) -> str:
        return f"created {self.created}, updated {self.updated}, unchanged {self.unchanged}"


@dataclass
class _Rows:
    """A table's data rows as {field: text}, and the problems found so far."""

    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    problems: list[RowError] = field(default_factory=list)

    def bad(self, row: int | None, field_name: str | None, message: str) -> None:
        self.problems.append(RowError(row, field_name, message))


def _rows(table: Table, columns: dict[str, tuple[str, ...]], required: tuple[str, ...]) -> _Rows:
    indexes, header_problems = column_indexes(table.header, columns, required)
    out = _Rows()
    for problem in header_problems:
        out.bad(None, None, problem)
    if header_problems:
        return out
    for number, cells in table.rows:
        out.rows.append((number, {f: cells[i] if i < len(cells) else "" for f, i in indexes.items()}))
    if not out.rows:
        out.bad(None, None, "the file has a header but no data rows")
    return out


def _text(parsed: _Rows, number: int, values: dict, name: str, limit: int, what: str) -> str | None:
    value = values.get(name, "")
    if not value:
        parsed.bad(number, name, f"empty; give the {what}")
        return None
    if len(value) > limit:
        parsed.bad(number, name, f"longer than {limit} characters; shorten it")
        return None
    return value


def _kind(parsed: _Rows, number: int, values: dict, words: dict[str, str]) -> str | None:
    raw = values.get("kind", "")
    kind = words.get(raw.lower()) or words.get(raw)
    if kind is None:
        parsed.bad(number, "kind", f"{raw!r} is not a kind; write one of {', '.join(words)}")
    return kind


# --- units -----------------------------------------------------------------------------------

@dataclass
class UnitRow:
    row: int
    code: str
    name: str
    kind: str
    parent_code: str | None


def load_units(path: str | Path) -> LoadResult:
    """Upsert units by code; parents may come after their children; re-parenting moves the
    whole subtree (paths recomputed); a cycle is refused."""
    parsed = _rows(read_table(path), UNIT_COLUMNS, tuple(UNIT_COLUMNS))
    units = {u.code: u for u in db.session.execute(
        sa.select(Unit).options(selectinload(Unit.children))).scalars()}
    rows = _unit_rows(parsed, units)
    if parsed.problems:
        raise LoadErrors(parsed.problems)
    return _apply_units(rows, units)


def _unit_rows(parsed: _Rows, units: dict[str, Unit]) -> list[UnitRow]:
    rows: list[UnitRow] = []
    seen: dict[str, int] = {}
    for number, values in parsed.rows:
        code = _text(parsed, number, values, "code", 64, "unit's code")
        name = _text(parsed, number, values, "name", 200, "unit's name")
        kind = _kind(parsed, number, values, UNIT_KIND_WORDS)
        parent_code = values.get("parent_code") or None
        if code and code in seen:
            parsed.bad(number, "code", f"{code!r} is already on row {seen[code]}; keep one row per unit")
            continue
        if code:
            seen[code] = number
        if code and parent_code == code:
            parsed.bad(number, "parent_code", f"a unit cannot be its own parent; "
                                              f"give the code of the unit above {code!r} or leave it empty")
            continue
        if code and name and kind:
            rows.append(UnitRow(number, code, name, kind, parent_code))
    in_file = {r.code for r in rows} | set(seen)
    for r in rows:
        if r.parent_code and r.parent_code not in in_file and r.parent_code not in units:
            parsed.bad(r.row, "parent_code", f"no unit with code {r.parent_code!r} in this file or already "
                                             f"loaded; add a row for it or correct the code")
    _refuse_cycles(parsed, rows, units)
    return rows


def _refuse_cycles(parsed: _Rows, rows: list[UnitRow], units: dict[str, Unit]) -> None:
    """Check the tree as it would be after the load: stored parents overlaid with the file's."""
    code_of = {u.id: u.code for u in units.values()}
    parent = {u.code: code_of.get(u.parent_id) for u in units.values()}
    parent.update({r.code: r.parent_code for r in rows})
    for r in rows:
        chain, current = [r.code], r.parent_code
        while current is not None and current != r.code and len(chain) <= len(parent):
            chain.append(current)
            current = parent.get(current)
        if current == r.code:
            loop = " → ".join(chain + [r.code])
            parsed.bad(r.row, "parent_code", f"would put {r.code!r} under itself ({loop}); "
                                             f"correct the parent_code of one unit in that loop")


def _apply_units(rows: list[UnitRow], units: dict[str, Unit]) -> LoadResult:
    result = LoadResult()
    code_of = {u.id: u.code for u in units.values()}
    for r in rows:
        unit = units.get(r.code)
        if unit is None:
            # children=[] marks the collection as loaded, so set_path needs no query for it
            unit = units[r.code] = Unit(code=r.code, name=r.name, kind=r.kind, path="/", children=[])
            db.session.add(unit)
            result.created += 1
            continue
        if (unit.name, unit.kind, code_of.get(unit.parent_id)) == (r.name, r.kind, r.parent_code):
            result.unchanged += 1
        else:
            result.updated += 1
        unit.name, unit.kind = r.name, r.kind
    db.session.flush()  # ids for the new units: paths are made of ids
    for r in rows:
        units[r.code].parent = units[r.parent_code] if r.parent_code else None
    in_file = {r.code for r in rows}
    for r in rows:
        if r.parent_code not in in_file:  # the top of a changed branch: set_path walks the rest
            admin.set_path(units[r.code])
    db.session.flush()
    return result


# --- websites and new-media accounts ---------------------------------------------------------

@dataclass
class PropertyRow:
    row: int
    unit: Unit
    kind: str
    name: str
    site_code: str | None
    prefixes: list[str]  # as written; normalised by set_property_rules
    account: str | None

    @property
    def key(self) -> tuple:
        """CONTRACT.md upsert keys: website by site_code when given (else unit + name);
        new-media account by unit + name + account."""
        if self.kind == "website":
            return ("site_code", self.site_code) if self.site_code else ("website", self.unit.id, self.name)
        return ("new_media", self.unit.id, self.name, self.account)


def load_properties(path: str | Path) -> LoadResult:
    parsed = _rows(read_table(path), PROPERTY_COLUMNS, ("unit_code", "kind", "name"))
    codes = {values.get("unit_code") for _, values in parsed.rows} - {"", None}
    units = {u.code: u for u in db.session.execute(sa.select(Unit).where(Unit.code.in_(codes))).scalars()}
    rows = _property_rows(parsed, units)
    stored = _stored_properties(rows)
    for r in rows:
        if r.kind == "website" and not r.site_code and not r.prefixes and _find(stored, r) is None:
            parsed.bad(r.row, "url_prefixes", "a new website needs its site_code (网站标识码) or url_prefixes "
                                              "so that reports can be routed to it; fill in one of them")
    if parsed.problems:
        raise LoadErrors(parsed.problems)
    return _apply_properties(rows, stored)


def _property_rows(parsed: _Rows, units: dict[str, Unit]) -> list[PropertyRow]:
    rows: list[PropertyRow] = []
    for number, values in parsed.rows:
        before = len(parsed.problems)
        unit_code = _text(parsed, number, values, "unit_code", 64, "code of the unit that runs it")
        unit = units.get(unit_code) if unit_code else None
        if unit_code and unit is None:
            parsed.bad(number, "unit_code", f"no unit with code {unit_code!r}; load units first "
                                            f"(feedback units load FILE) or correct the code")
        kind = _kind(parsed, number, values, PROPERTY_KIND_WORDS)
        name = _text(parsed, number, values, "name", 200, "website's or account's name")
        site_code = _site_code(parsed, number, values, kind)
        prefixes = _prefixes(parsed, number, values)
        account = _account(parsed, number, values, kind)
        if len(parsed.problems) == before:
            rows.append(PropertyRow(number, unit, kind, name, site_code, prefixes, account))
    _refuse_repeats(parsed, rows)
    return rows


def _site_code(parsed: _Rows, number: int, values: dict, kind: str | None) -> str | None:
    raw = values.get("site_code", "")
    if not raw:
        return None
    code = raw.upper()
    if kind == "new_media":
        parsed.bad(number, "site_code", "only websites have a 网站标识码; leave it empty for new_media")
    elif not SITE_CODE.fullmatch(code):
        parsed.bad(number, "site_code", f"{raw!r} is not a 网站标识码 (ten letters or digits, e.g. "
                                        f"1101000001); in Excel format the column as text to keep leading zeros")
    return code


def _prefixes(parsed: _Rows, number: int, values: dict) -> list[str]:
    out: list[str] = []
    for raw in (p.strip() for p in PREFIX_SEPARATORS.split(values.get("url_prefixes", ""))):
        if not raw:
            continue
        normalized = normalize_pattern("url_prefix", raw)
        if normalized is None or len(normalized) > 500:
            parsed.bad(number, "url_prefixes", f"{raw!r} is not a URL prefix; write a host and optional "
                                               f"path such as www.example.gov.cn/jyj, several separated by ;")
        elif normalized not in out:
            out.append(normalized)
    return out


def _account(parsed: _Rows, number: int, values: dict, kind: str | None) -> str | None:
    account = values.get("account") or None
    if kind == "new_media" and not account:
        parsed.bad(number, "account", "empty; a new-media account needs its account name (账号)")
    elif kind == "website" and account:
        parsed.bad(number, "account", "only new_media rows have an account; leave it empty for a website")
    elif account and len(account) > 200:
        parsed.bad(number, "account", "longer than 200 characters; shorten it")
    return account


def _refuse_repeats(parsed: _Rows, rows: list[PropertyRow]) -> None:
    """One row per property, and no URL prefix or account claimed for two different units."""
    keys: dict[tuple, int] = {}
    claims: dict[tuple[str, str], PropertyRow] = {}
    for r in rows:
        if r.key in keys:
            parsed.bad(r.row, "site_code" if r.key[0] == "site_code" else "name",
                       f"the same {r.kind} is already on row {keys[r.key]}; keep one row for it")
        keys.setdefault(r.key, r.row)
        patterns = [("url_prefixes", p) for p in r.prefixes]
        if r.account:
            patterns.append(("account", normalize_pattern("account", r.account)))
        for name, pattern in patterns:
            other = claims.setdefault((name, pattern), r)
            if other.unit.id != r.unit.id:
                parsed.bad(r.row, name, f"{pattern!r} is also given on row {other.row} for unit "
                                        f"{other.unit.code!r}; reports can go to one unit only")


def _stored_properties(rows: list[PropertyRow]) -> dict[tuple, Property]:
    """The stored properties the rows may update, indexed by every upsert key."""
    unit_ids = {r.unit.id for r in rows}
    codes = {r.site_code for r in rows if r.site_code}
    found = db.session.execute(sa.select(Property).where(sa.or_(
        Property.unit_id.in_(unit_ids), sa.func.upper(Property.site_code).in_(codes),
    )).order_by(Property.id)).scalars()
    index: dict[tuple, Property] = {}
    for prop in found:
        if prop.site_code:
            index.setdefault(("site_code", prop.site_code.upper()), prop)
        if prop.kind == "website":
            index.setdefault(("website", prop.unit_id, prop.name), prop)
            if not prop.site_code:
                index.setdefault(("unnamed-site", prop.unit_id, prop.name), prop)
        else:
            index.setdefault(("new_media", prop.unit_id, prop.name, prop.account), prop)
    return index


def _find(stored: dict[tuple, Property], r: PropertyRow) -> Property | None:
    found = stored.get(r.key)
    if found is None and r.site_code:
        # a website stored without its 网站标识码 takes the code rather than being doubled
        found = stored.get(("unnamed-site", r.unit.id, r.name))
    return found


def _apply_properties(rows: list[PropertyRow], stored: dict[tuple, Property]) -> LoadResult:
    result = LoadResult()
    for r in rows:
        prop = _find(stored, r)
        if prop is None:
            prop = admin.add_property(r.unit, r.kind, r.name, site_code=r.site_code,
                                      url_prefixes=r.prefixes, account=r.account)
            stored[r.key] = prop
            result.created += 1
            continue
        stored.pop(("unnamed-site", prop.unit_id, prop.name), None)
        before = _snapshot(prop)
        # an empty optional cell keeps what is stored: a sheet without prefixes erases none
        prop.unit, prop.kind, prop.name = r.unit, r.kind, r.name
        prop.site_code = r.site_code or prop.site_code
        prop.account = r.account or prop.account
        db.session.flush()  # the rules follow prop.unit_id
        admin.set_property_rules(prop, r.prefixes or prop.prefixes)
        if _snapshot(prop) == before:
            result.unchanged += 1
        else:
            result.updated += 1
    return result


def _snapshot(prop: Property) -> tuple:
    return prop.unit_id, prop.kind, prop.name, prop.site_code, prop.url_prefixes, prop.account
