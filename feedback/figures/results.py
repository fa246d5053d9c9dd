"""What the figures return: FIGURES of CONTRACT.md, a table's rows and the report around them,
a chart's month, a 超期明细 line. Plain data; figures/derive.py makes Figures from sums."""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property

import orjson

from feedback.accounts.scope import UnitRef
from feedback.timeutil import iso


@dataclass
class Figures:
    """FIGURES of CONTRACT.md (exactly these keys), plus the office's platform-clock figures."""

    received: int = 0  # 收到留言数
    closed: int = 0  # 办结数
    on_time: int = 0  # 按期办结数
    late: int = 0  # 超期办结数
    overdue_open: int = 0  # 超期未办结数
    pending: int = 0  # 办理中
    on_time_rate: float | None = None  # 按期办结率, None when closed + overdue_open == 0
    avg_handling_hours: float | None = None  # 平均办理时长(小时)
    median_handling_hours: float | None = None
    p90_handling_hours: float | None = None
    avg_handling_workdays: float | None = None  # 平均办理时长(工作日)
    platform: "Figures | None" = None

    KEYS = ("received", "closed", "on_time", "late", "overdue_open", "pending", "on_time_rate",
            "avg_handling_hours", "median_handling_hours", "p90_handling_hours", "avg_handling_workdays")

    @classmethod
    def zero(cls) -> "Figures":
        return cls(platform=cls())

    @property
    def below_target(self) -> bool:
        """Below 100% on time (an undefined rate is not below anything)."""
        return self.on_time_rate is not None and self.on_time_rate < 1

    def to_json(self) -> dict:
        out = dict(self.__dict__)  # the fields, in KEYS order; a copy, not asdict(): called per row
        platform = out.pop("platform")
        if platform is not None:
            out["platform"] = platform.to_json()
        return out


@dataclass
class Row:
    unit: UnitRef
    region: UnitRef  # the group head the unit belongs to (itself for group="region" rows)
    figures: Figures

    def to_json(self) -> dict:  # ClosureReport._rows_encoded writes the same, many rows at once
        out = self.figures.to_json()
        out["unit"] = self.unit.to_json()
        out["region"] = {"code": self.region.code, "name": self.region.name}
        return out


def root_is_top(root: UnitRef | None) -> bool:
    return root is None or root.depth == 0


@dataclass
class ClosureReport:
    date_from: date
    date_to: date
    as_of: datetime
    group: str
    root: UnitRef | None
    members: list[UnitRef]  # the rows' units (group="region": their group heads), in report order
    region_of: dict[int, UnitRef] | None  # each member's group head; None: each is its own
    figures_of: dict[int, Figures]  # a member's figures by its id; a member without any has `zero`
    zero: Figures  # the figures of a member without a ticket: one object, shared
    total: Figures
    unassigned: int = 0  # 未分派: valid tickets of the period waiting in the root's triage
    office: Figures | None = None  # the root's own figure on its own clock, 未分派 included
    # each row's figures_json() by member id, written while the rows arrived (closure's
    # json_rows); None: _rows_encoded writes them
    encoded: dict[int, bytes] | None = None

    @property
    def top(self) -> bool:
        """The root is a top office (or the system's forest of them): its clock is the platform's."""
        return root_is_top(self.root)

    @cached_property
    def rows(self) -> list[Row]:
        """A Row per member, made when first read: the API writes its rows from the parts
        (_rows_encoded), and a province's 5,000 Row objects are then never made."""
        return [Row(unit, region, figures) for unit, region, figures in self._parts()]

    def _parts(self):
        """(unit, region, figures) of each row, in order."""
        figures_of, zero, region_of = self.figures_of.get, self.zero, self.region_of
        if region_of is None:
            return ((unit, unit, figures_of(unit.id) or zero) for unit in self.members)
        return ((unit, region_of[unit.id], figures_of(unit.id) or zero) for unit in self.members)

    def to_json(self, *, encoded_rows: bool = False) -> dict:
        """The body of GET /api/v1/metrics/closure (CONTRACT.md), plus group and unit.
        encoded_rows: the rows already written as JSON (_rows_encoded), for orjson to copy."""
        return {
            "from": self.date_from.isoformat(),
            "to": self.date_to.isoformat(),
            "as_of": iso(self.as_of),
            "group": self.group,
            "unit": self.root.to_json() if self.root else None,
            "rows": self._rows_encoded() if encoded_rows else [row.to_json() for row in self.rows],
            "total": self.total.to_json(),
            "office": self.office.to_json() if self.office is not None else None,
            "unassigned": self.unassigned,
        }

    def _rows_encoded(self) -> orjson.Fragment:
        """Row.to_json of every row, the whole array as the JSON orjson writes of it with sorted
        keys: a row is its figures' object (figures_json) with "region" and "unit" appended,
        which sort after every figures key (row_tails). A province's 5,000 rows are otherwise
        built as dicts and walked again key by key (tests/figures/test_metrics_api.py compares
        the two ways)."""
        members = self.members
        if not members:
            return orjson.Fragment(b"[]")
        encoded = self.encoded
        if encoded is None:
            encoded = {key: figures_json(figures) for key, figures in self.figures_of.items()}
        get, zero = encoded.get, figures_json(self.zero)  # the rows without a ticket share one
        parts = [b"["]
        append = parts.append
        for unit, tail in zip(members, row_tails(members, self.region_of)):
            append(get(unit.id, zero))
            append(tail)
        parts[-1] = parts[-1][:-1]  # the last row's separator
        parts.append(b"]")
        return orjson.Fragment(b"".join(parts))


_TAILS_KEPT = 64
_tails: OrderedDict = OrderedDict()
_tails_lock = threading.Lock()


def row_tails(members: list[UnitRef], region_of: dict[int, UnitRef] | None) -> list[bytes]:
    """What follows each row's figures in its JSON: ',"region":{…},"unit":{…}},'. A unit table's
    (region_of given) are kept with the lists they were written from: accounts/scope.py keeps a
    resolved tree's lists while units_version's token stands, and a changed tree is new lists,
    so a province's 5,000 unit objects are written once per tree, not on every request."""
    key = id(members)
    if region_of is not None:
        with _tails_lock:
            kept = _tails.get(key)
            if kept is not None and kept[0] is members and kept[1] is region_of:
                _tails.move_to_end(key)
                return kept[2]
    middles: dict[int, bytes] = {}  # a region's ',"region":{…},"unit":'
    tails = []
    for unit in members:
        region = unit if region_of is None else region_of[unit.id]
        middle = middles.get(region.id)
        if middle is None:
            middle = middles[region.id] = b"".join((b',"region":', orjson.dumps(
                {"code": region.code, "name": region.name}, option=orjson.OPT_SORT_KEYS), b',"unit":'))
        tails.append(b"".join((middle, unit.json_bytes, b"},")))
    if region_of is not None:
        with _tails_lock:  # the lists are kept with their tails: their ids are no other's meanwhile
            _tails[key] = (members, region_of, tails)
            while len(_tails) > _TAILS_KEPT:
                _tails.popitem(last=False)
    return tails


def figures_json(figures: Figures) -> bytes:
    """Figures.to_json() as JSON with sorted keys (as the app's JSON provider writes it),
    without the closing brace: a row appends its region and unit."""
    return orjson.dumps(figures.to_json(), option=orjson.OPT_SORT_KEYS)[:-1]


@dataclass
class MonthPoint:
    month: date  # first day of the month
    date_from: date
    date_to: date
    figures: Figures


@dataclass
class OverdueItem:
    """One line of the 超期明细 sheet: a late-closed or overdue-open ticket as of T."""

    ticket_id: int
    platform_id: str
    unit_code: str
    unit_name: str
    received_at: datetime
    unit_due_at: datetime  # the deadline in force at T
    replied_at: datetime | None  # the reply submitted by T (the accepted one when closed)
    closed_at: datetime | None  # when closed by T
    state: str  # the ticket's current state
    status: str  # late (超期办结) | overdue_open (超期未办结)
    overdue_workdays: int  # working days past the deadline: to the reply (late) or to T (open)


__all__ = ["ClosureReport", "Figures", "MonthPoint", "OverdueItem", "Row", "UnitRef", "figures_json"]
