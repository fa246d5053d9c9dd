"""What the figures return: FIGURES of CONTRACT.md, a table's rows and the report around them,
a chart's month, a 超期明细 line. Plain data; figures/derive.py makes Figures from sums."""
from __future__ import annotations

from dataclasses import dataclass, field
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
    # id(a row's Figures) → figures_json() of it, written while the rows arrived (closure's
    # json_rows); _rows_encoded writes the others
    encoded: dict[int, bytes] = field(default_factory=dict)

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
        keys, each shared part encoded once (the zero rows share one Figures, a region's rows one
        region): a province's 5,000 rows are otherwise built as dicts and walked again key by
        key. A row is its figures' object with "region" and "unit" appended, which sort after
        every figures key (tests/figures/test_metrics_api.py compares the two ways)."""
        heads = dict(self.encoded)  # id(Figures) → its JSON without the closing brace
        middles: dict[int, bytes] = {}  # id(region) → ',"region":{…},"unit":'
        parts = [b"["]
        append = parts.append
        for unit, region, figures in self._parts():
            head = heads.get(id(figures))
            if head is None:
                head = heads[id(figures)] = figures_json(figures)
            middle = middles.get(id(region))
            if middle is None:
                middle = middles[id(region)] = b"".join((b',"region":', orjson.dumps(
                    {"code": region.code, "name": region.name}, option=orjson.OPT_SORT_KEYS), b',"unit":'))
            append(head)
            append(middle)
            append(unit.json_bytes)
            append(b"},")
        parts[-1] = b"}]" if self.members else b"[]"  # the last row's separator closes the array
        return orjson.Fragment(b"".join(parts))


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
