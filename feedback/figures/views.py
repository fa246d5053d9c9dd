"""The dashboard (supervisor, viewer): at a glance, the closure table, the monthly chart.

Query args (all optional): month=YYYY-MM | quarter=YYYYQn | from=D&to=D (the period; default the
current month), unit=CODE (a unit with its subtree; the chart follows it), group=unit|region
(default: unit, or region when the scope has more than ROWS_PER_PAGE units), sort=<column>&dir=asc|desc,
page=N, as_of=T (the table and chart; default now). Bad args are shown and replaced by their
defaults. The figures come from figures/closure.py, as the API's do.

A province office has thousands of units: its page opens by region (市/州, then 县/区 below each
by drilling down), a unit table is paged, and the unit picker offers departments one level
down and regions two.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cached_property
from urllib.parse import urlencode

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from markupsafe import Markup, escape

from feedback import formats
from feedback.accounts.scope import Actor
from feedback.calendar.service import current_calendar
from feedback.errors import InputError
from feedback.figures import params, snapshot
from feedback.accounts.scope import resolve_scope
from feedback.figures.chart import FEW_TICKETS, few_tickets, monthly_chart
from feedback.figures.closure import closure
from feedback.figures.results import Figures, Row
from feedback.figures.glance import at_a_glance
from feedback.figures.series import monthly_series
from feedback.tickets.listing import Page
from feedback.timeutil import LOCAL, MAX_PAGE, local_date, now

bp = Blueprint("figures", __name__)

ROLES = ("supervisor", "viewer")
ROWS_PER_PAGE = 100  # a longer unit table is paged; a scope with more units opens by region
PICKER_LEVELS = 2  # the unit picker: regions this deep below the caller's unit, departments one level
COLUMNS = (  # (key, header); the table's columns, sortable by key
    ("received", _l("收到留言")),
    ("closed", _l("办结")),
    ("on_time", _l("按期办结")),
    ("late", _l("超期办结")),
    ("overdue_open", _l("超期未办结")),
    ("pending", _l("办理中")),
    ("on_time_rate", _l("按期办结率")),
    ("avg_handling_hours", _l("平均办理时长（小时）")),
    ("avg_handling_workdays", _l("平均办理时长（工作日）")),
)
SORT_KEYS = {"unit"} | {key for key, _label in COLUMNS}
GLANCE = (  # (Glance field, label)
    ("overdue", _l("已超期")),
    ("due_today", _l("今日到期")),
    ("due_next_workday", _l("下一工作日到期")),
    ("awaiting_triage", _l("待分派")),
    ("awaiting_review", _l("待审核")),
)
ERROR_HINTS = {  # what to do, per bad query arg
    "month": _l("月份请写成 YYYY-MM，例如 2026-10。"),
    "quarter": _l("季度请写成 YYYYQn，例如 2026Q4。"),
    "from": _l("开始日期请写成 YYYY-MM-DD。"),
    "to": _l("结束日期请写成 YYYY-MM-DD，且不早于开始日期。"),
    "as_of": _l("统计时点请写成 2026-10-31T23:59:59，且不晚于现在。"),
    "unit": _l("该单位不在您的管辖范围内。"),
    "group": _l("分组只能按单位或按地区。"),
    "sort": _l("无法按该列排序。"),
    "page": _l("页码请写成正整数。"),
}


@dataclass
class DashboardArgs:
    date_from: date
    date_to: date
    period_kind: str  # month | quarter | range
    period_value: str  # what the form shows
    as_of: datetime
    unit_code: str | None = None
    group_arg: str | None = None  # as asked; None: the default for the scope (see resolve_group)
    sort: str | None = None
    descending: bool = False
    page: int = 1
    errors: dict = field(default_factory=dict)
    group: str = "unit"  # the grouping shown

    def resolve_group(self, unit_count: int) -> None:
        self.group = self.group_arg or ("region" if unit_count > ROWS_PER_PAGE else "unit")

    @classmethod
    def parse(cls, args, current: datetime) -> "DashboardArgs":
        errors: dict = {}
        as_of = params.attempt(errors, lambda: params.parse_as_of(args.get("as_of"), default=current), current)
        if as_of > current:
            errors["as_of"] = "must not be in the future"
            as_of = current
        default_period = _default_period(local_date(as_of))
        period = params.attempt(errors, lambda: _period(args), None) or default_period
        kind, value, date_from, date_to = period
        group = params.attempt(errors, lambda: params.parse_group(args["group"]) if args.get("group") else None)
        page = params.attempt(errors, lambda: _page(args.get("page")), 1)
        sort = args.get("sort") or None
        if sort is not None and sort not in SORT_KEYS:
            errors["sort"] = f"one of {', '.join(sorted(SORT_KEYS))}"
            sort = None
        return cls(date_from, date_to, kind, value, as_of, (args.get("unit") or "").strip() or None, group, sort,
                   args.get("dir") == "desc", page, errors)

    def link(self, **changes) -> str:
        """This dashboard with some args changed (None drops one)."""
        current = {"unit": self.unit_code, "group": self.group_arg,
                   "sort": self.sort, "dir": "desc" if self.descending else None, **self.period_args()}
        current.update(changes)
        # url_for's query encoding (werkzeug.urls._urlencode's), without building the route for
        # each of a page's few dozen links
        query = urlencode([(k, v) for k, v in current.items() if v is not None], safe="!$'()*,/:;?@")
        return f"{self.path}?{query}" if query else self.path

    @cached_property
    def path(self) -> str:
        return url_for("figures.dashboard")

    def period_args(self) -> dict:
        if self.period_kind == "range":
            return {"from": self.date_from.isoformat(), "to": self.date_to.isoformat()}
        return {self.period_kind: self.period_value}

    def sort_link(self, key: str) -> str:
        descending = not self.descending if self.sort == key else key != "unit"
        return self.link(sort=key, dir="desc" if descending else None)


def _up_code(scope, units) -> str | None:
    """The parent of the unit shown, while it is inside the caller's scope (a link back up)."""
    root = scope.root
    if root is None or not root.parent_code or not units:
        return None
    return root.parent_code if root.depth > min(u.depth for u in units) else None


def _page(raw: str | None) -> int:
    if raw is None or raw == "":
        return 1
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE:
        raise InputError({"page": f"a whole number from 1 to {MAX_PAGE}"})
    return int(raw)


def page_of(rows: list, page: int) -> Page:
    """One page of the table's rows (past the end: the last page), for macros.html's pagination()."""
    page = min(page, max(1, -(-len(rows) // ROWS_PER_PAGE)))
    start = (page - 1) * ROWS_PER_PAGE
    return Page(rows[start:start + ROWS_PER_PAGE], page, ROWS_PER_PAGE, len(rows))


def _default_period(today: date):
    """The last complete month: the current one is mostly still open ("—" everywhere)."""
    last = (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    return ("month", last, *params.month_range(last))


def _period(args):
    """The one form says which kind it means (period=month|quarter|range) and sends every
    field; links name one field: from/to beat quarter beat month. None: the default month."""
    kind = args.get("period")
    if kind in ("month", "quarter", "range"):
        wanted = {"month": ("month",), "quarter": ("quarter",), "range": ("from", "to")}[kind]
        args = {k: args.get(k) for k in wanted}
        if not any(args.values()):
            raise InputError({wanted[0]: "required"})
    if args.get("from") or args.get("to"):
        date_from, date_to = params.parse_range(args.get("from"), args.get("to"))
        return "range", "", date_from, date_to
    if args.get("quarter"):
        return "quarter", args["quarter"].strip().upper(), *params.quarter_range(args["quarter"])
    if args.get("month"):
        return "month", args["month"].strip(), *params.month_range(args["month"])
    return None


def sorted_rows(rows: list[Row], key: str | None, descending: bool) -> list[Row]:
    """Rows by one column; undefined values (a rate of "—") always last, ties by unit code."""
    if key is None:
        return rows
    if key == "unit":
        return sorted(rows, key=lambda r: r.unit.code, reverse=descending)
    defined = [r for r in rows if getattr(r.figures, key) is not None]
    undefined = [r for r in rows if getattr(r.figures, key) is None]
    defined.sort(key=lambda r: r.unit.code)
    defined.sort(key=lambda r: getattr(r.figures, key), reverse=descending)
    return defined + sorted(undefined, key=lambda r: r.unit.code)


def list_url(*candidates) -> str | None:
    """The first of (endpoint, args) that exists: the ticket lists live in another capability."""
    for endpoint, args in candidates:
        if endpoint in current_app.view_functions:
            return url_for(endpoint, **args)
    return None


def glance_links() -> dict:
    return {
        "overdue": list_url(("tickets.inbox", {"overdue": "true"})),
        "due_today": list_url(("tickets.inbox", {"due": "today"})),
        "due_next_workday": list_url(("tickets.inbox", {"due": "next_workday"})),
        "awaiting_triage": list_url(("tickets.triage", {}), ("tickets.inbox", {"state": "new"})),
        "awaiting_review": list_url(("tickets.review", {}), ("tickets.inbox", {"state": "replied"})),
    }


def quarter_choices(at: datetime, count: int = 8) -> list[str]:
    """This quarter and the ones before it, newest first."""
    d = local_date(at)
    index = d.year * 4 + (d.month - 1) // 3
    return [f"{i // 4}Q{i % 4 + 1}" for i in range(index, index - count, -1)]


def quarter_label(q: str) -> str:
    return formats.quarter(int(q[:4]), int(q[-1]))


def period_label(args: DashboardArgs) -> str:
    if args.period_kind == "month":
        return formats.month(args.date_from.year, args.date_from.month)
    if args.period_kind == "quarter":
        return quarter_label(args.period_value)
    return formats.date_range(args.date_from, args.date_to)


def unit_options(units: list, selected: str | None) -> Markup:
    """The unit picker's <option>s, indented by depth below the first, written here in one pass:
    a province's picker has a few hundred, a template loop over them cost a few milliseconds of
    every view. Every name and code is escaped."""
    if not units:
        return Markup("")
    top = units[0].depth
    # escape() per value and one join (Markup.format parses its pattern for every option)
    return Markup("".join(
        f'<option value="{escape(u.code)}"{" selected" if u.code == selected else ""}>'
        f'{"　" * (u.depth - top)}{escape(u.name)}</option>' for u in units))


def figure_cells(figures: Figures, *, mark_below: bool = False) -> Markup:
    """A table row's <td>s, one per column (COLUMNS), written here in one pass as unit_options
    are: a province's table has a few hundred cells, and a template loop over them cost a few
    milliseconds of every view. data-value is the figure as JSON (a number or null: nothing to
    escape), the text show()'s. mark_below: a rate below 100 % is marked, as a unit's or a
    region's row marks it."""
    below = mark_below and figures.below_target
    # the catalog's msgid is the template's, where gettext's result is %-formatted
    mark = f'<span class="visually-hidden">{escape(gettext("（低于100%%）") % {})}</span>' if below else ""
    dumps, locale = current_app.json.dumps, formats.current_locale()
    out = []
    for key, _label in COLUMNS:
        rate = below and key == "on_time_rate"
        out.append(f'<td class="num col-{key}{" rate-below" if rate else ""}" data-key="{key}" '
                   f'data-value="{escape(dumps(getattr(figures, key)))}">{escape(show(figures, key, locale))}'
                   f'{mark if rate else ""}</td>')
    return Markup("".join(out))


def show(figures: Figures, key: str, locale: str | None = None) -> str:
    """A figure as the table shows it (feedback/formats.py; an undefined value is "—")."""
    value = getattr(figures, key)
    if value is None:
        return "—"
    if key == "on_time_rate":
        return formats.rate(value, locale)
    if isinstance(value, float):
        return formats.one_decimal(value, locale)
    return formats.count(value, locale)


@bp.get("/dashboard")
@login_required
def dashboard():
    if current_user.role not in ROLES:
        if "tickets.inbox" in current_app.view_functions:
            return redirect(url_for("tickets.inbox"))
        abort(403)
    actor = Actor.of(current_user)
    at = now()
    snapshot.begin()  # the table, the office, the chart and the counts at a glance from one snapshot
    args = DashboardArgs.parse(request.args, at)
    calendar = current_calendar()
    try:
        scope = resolve_scope(actor, args.unit_code)
    except InputError as exc:  # a unit outside the scope: show the whole scope instead
        args.errors.update(exc.errors)
        args.unit_code = None
        scope = resolve_scope(actor)
    args.resolve_group(len(scope.units))
    report = closure(actor, args.date_from, args.date_to, args.as_of, group=args.group, calendar=calendar, scope=scope,
                     percentiles=False, platform=False)  # the table shows neither (COLUMNS)
    series = monthly_series(actor, args.as_of, unit_code=args.unit_code, calendar=calendar, scope=scope)
    units = resolve_scope(actor, picker_levels=PICKER_LEVELS).units
    if args.unit_code and args.unit_code not in {u.code for u in units}:
        units = units + [scope.root]  # the unit shown, when deeper than the picker reaches
    glance = at_a_glance(actor, at, calendar)
    g.queue_counts = glance.queues  # the menu's counts, from the same scan
    pager = page_of(sorted_rows(report.rows, args.sort, args.descending), args.page)
    return render_template(
        "figures/dashboard.html", args=args, report=report, rows=pager.items, pager=pager,
        grouped_view=args.sort is None and args.group == "unit" and len({r.region.id for r in report.rows}) > 1,
        series=series, chart=monthly_chart(series), links=glance_links(),
        glance={key: getattr(glance, key) for key, _label in GLANCE}, glance_items=GLANCE,
        unit_options=unit_options(units, args.unit_code), up_code=_up_code(scope, units), columns=COLUMNS, show=show,
        quarters=quarter_choices(args.as_of), quarter_label=quarter_label, period_label=period_label(args),
        few_tickets=FEW_TICKETS, is_few=few_tickets,
        error_hint=lambda name: ERROR_HINTS.get(name, name), format_rate=formats.rate, tz=LOCAL,
        sort_mark=lambda key: ("▼" if args.descending else "▲") if args.sort == key else "", cells=figure_cells,
    )
