"""Shared pieces of the pages: who is asking, role checks, labels, dates, navigation."""
from __future__ import annotations

from datetime import datetime
from functools import wraps
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import abort, current_app, g, request, url_for
from flask_babel import format_datetime, get_locale
from flask_babel import refresh as babel_refresh
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from feedback.accounts.scope import Actor
from feedback.directory.routing import normalize_url
from feedback.timeutil import MAX_PAGE

STATE_LABELS = {
    "new": _l("待分派"),
    "assigned": _l("待签收"),
    "in_progress": _l("办理中"),
    "replied": _l("待审核"),
    "closed": _l("已办结"),
    "invalid": _l("无效"),
}

CATEGORY_LABELS = {
    "content_error": _l("内容错误"),
    "outdated": _l("信息不更新"),
    "broken_link": _l("链接错误"),
    "no_response": _l("互动回应差"),
    "service": _l("办事服务不实用"),
    "security": _l("安全问题"),
    "other": _l("其他"),
}

ACTION_LABELS = {
    "receive": _l("收到留言"),
    "assign": _l("转办"),
    "reassign": _l("改派"),
    "accept": _l("签收"),
    "reply": _l("答复"),
    "approve": _l("审核通过，办结"),
    "reject": _l("退回重办"),
    "return": _l("退回（非本单位）"),
    "request-extension": _l("申请延期"),
    "decide-extension": _l("延期审批"),
    "invalidate": _l("标记无效"),
    "note": _l("备注"),
}

# What the personal-data guard found (privacy.KINDS), as the warning names it.
PRIVACY_LABELS = {
    "id_number": _l("身份证号码"),
    "mobile": _l("手机号码"),
    "reporter_name": _l("留言人姓名"),
    "reporter_phone": _l("留言人电话"),
    "reporter_email": _l("留言人电子邮箱"),
}

# The actors that are not people, as the history names them (TicketEvent.actor keeps the code,
# which the API returns as it is).
ACTOR_LABELS = {
    "routing": _l("自动转办"),
    "platform": _l("找错平台"),
    "system": _l("系统"),
    "import": _l("导入"),
    "export": _l("导出"),
}

ROLE_LABELS = {
    "supervisor": _l("主管单位管理员"),
    "unit_staff": _l("经办人"),
    "viewer": _l("只读用户"),
}

UNIT_KIND_LABELS = {"office": _l("主管单位"), "region": _l("地区"), "department": _l("部门")}
PROPERTY_KIND_LABELS = {"website": _l("网站"), "new_media": _l("政务新媒体")}
RULE_KIND_LABELS = {"site_code": _l("网站标识码"), "url_prefix": _l("网址前缀"), "account": _l("新媒体账号"),
                    "parent_domain": _l("上级域名"), "site_name": _l("网站名称")}

# The main menu, in order: (endpoint, label, roles, other endpoints under the same item).
# Every endpoint here must be registered: tests/web/test_nav.py signs in as each role and
# opens every item, so a misspelt endpoint fails the suite instead of vanishing from the menu.
NAV = [
    ("figures.dashboard", _l("统计"), ("supervisor", "viewer"), ()),
    ("tickets.inbox", _l("工单"), ("supervisor", "unit_staff", "viewer"), ("tickets.detail", "tickets.act")),
    ("tickets.triage", _l("待分派"), ("supervisor",), ()),
    ("tickets.review", _l("待审核"), ("supervisor",), ()),
    ("tickets.extensions", _l("延期申请"), ("supervisor",), ()),
    ("findings.index", _l("整改"), ("supervisor", "unit_staff", "viewer"), ()),
    ("knowledge.templates", _l("知识库"), ("supervisor",), ()),
    ("exports.index", _l("导出"), ("supervisor", "viewer"), ("exports.job",)),
    ("imports.index", _l("导入"), ("supervisor",), ("imports.detail", "imports.upload")),
    ("directory.units", _l("管理"), ("supervisor",),  # and every tab of ADMIN_TABS
     ("directory.unit_edit", "directory.property_edit", "accounts.user_edit", "calendar.upload")),
    ("notices.index", _l("通知"), ("supervisor", "unit_staff", "viewer"), ()),
]

INBOX_LABEL = _l("收件箱")

# The tabs of the admin area (管理), in order.
ADMIN_TABS = [
    ("directory.units", _l("单位")),
    ("directory.properties", _l("网站与账号")),
    ("directory.rules", _l("转办规则")),
    ("accounts.users", _l("用户")),
    ("calendar.index", _l("节假日")),
    ("settings.index", _l("设置")),
]


def actor() -> Actor:
    """The signed-in user as an Actor (scope and lifecycle take this)."""
    if "web_actor" not in g:
        g.web_actor = Actor.of(current_user)
    return g.web_actor


def _forget_request_user() -> None:
    # g lives as long as the app context. In production that is one request; under tests one
    # context spans many requests (and several signed-in clients), so start each clean.
    g.pop("web_actor", None)
    g.pop("_login_user", None)
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)
    babel_refresh()  # the locale is cached per context too


def roles_required(*roles: str):
    """Signed in, and one of these roles; otherwise 403 (a page, not a ticket: nothing leaks)."""
    def decorate(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorate


def has_endpoint(name: str) -> bool:
    return name in current_app.view_functions


def nav_items():
    """(endpoint, label, waiting count or None) for the signed-in user's menu."""
    if not current_user.is_authenticated:
        return []
    counts = {}
    if current_user.role == "supervisor":
        from feedback.tickets.triage import queue_counts

        # a page that counted them already (the dashboard's glance, same scan) left them in g
        counts = g.get("queue_counts")
        if counts is None:
            counts = queue_counts(actor())
    if current_user.role in ("supervisor", "unit_staff") and has_endpoint("findings.index"):
        from feedback.findings.listing import menu_count
        from feedback.timeutil import now

        counts = dict(counts, **{"findings.index": menu_count(actor(), now())})
    items = []
    for endpoint, label, roles, _also in NAV:
        if current_user.role in roles:
            if endpoint == "tickets.inbox" and current_user.role == "unit_staff":
                label = INBOX_LABEL  # a clerk's list is their unit's inbox
            items.append((endpoint, label, counts.get(endpoint)))
    return items


def nav_active(endpoint: str) -> bool:
    """Whether the menu item is the one the current page belongs to (sub-pages included)."""
    here = request.endpoint or ""
    if endpoint == "directory.units" and here in {e for e, _ in ADMIN_TABS}:
        return True
    if endpoint == "findings.index" and here.startswith("findings."):
        return True
    return any(here == e or here in also for e, _label, _roles, also in NAV if e == endpoint)


def landing_endpoint(user) -> str:
    """Where `/` sends a signed-in person (CONTRACT.md: Web)."""
    if user.role == "unit_staff":
        return "tickets.inbox"
    if has_endpoint("figures.dashboard"):
        return "figures.dashboard"
    return "tickets.triage" if user.role == "supervisor" else "tickets.inbox"


def safe_next(target: str | None) -> str | None:
    """Only a path on this site: never an open redirect to another host.

    Browsers drop tabs and newlines inside a URL and read a backslash as a slash, so
    "/\t/evil.example" or "/\\evil.example" would leave as "//evil.example": any control
    character, whitespace or backslash refuses the target outright."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    if any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def fmt_dt(value, fmt: str = "yyyy-MM-dd HH:mm") -> str:
    """A time as the office reads it: Asia/Shanghai (Babel's configured time zone)."""
    return "" if value is None else format_datetime(value, fmt)


def fmt_date(value) -> str:
    return fmt_dt(value, "yyyy-MM-dd")


def paginate(query, order, per_page: int = 50):
    """One page of a SELECT (page number from ?page=), as tickets.listing.Page."""
    from feedback.extensions import db
    from feedback.tickets.listing import Page

    page_no = page_arg()
    total = db.session.execute(sa.select(sa.func.count()).select_from(query.subquery())).scalar_one()
    items = db.session.execute(
        query.order_by(*order).limit(per_page).offset((page_no - 1) * per_page)
    ).scalars().all()
    return Page(items, page_no, per_page, total)


def page_arg() -> int:
    """?page= as a page number: 1 when missing or not a number; at most MAX_PAGE (a page
    past the end is simply empty, never an OFFSET the database cannot hold)."""
    try:
        return min(max(1, int(request.args.get("page", 1))), MAX_PAGE)
    except ValueError:
        return 1


def page_url(page: int) -> str:
    """The current URL with another page number, every filter kept."""
    args = request.args.to_dict()
    args["page"] = page
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def external_href(url: str | None) -> str | None:
    """A reported URL as a safe link target: http(s) only (never javascript: or data:);
    a bare host and path, as netizens often write it, gets http://."""
    if not url:
        return None
    raw = url.strip()
    scheme, sep, rest = raw.partition("://")
    if sep:
        return raw if scheme.lower() in ("http", "https") and rest else None
    if ":" in raw.split("/", 1)[0] and not raw.split("/", 1)[0].rsplit(":", 1)[-1].isdigit():
        return None  # "javascript:alert(1)" and other schemes without //
    if normalize_url(raw) is None or any(c.isspace() for c in raw):
        return None
    return "http://" + raw.lstrip("/")


WEEKDAYS = (_l("星期一"), _l("星期二"), _l("星期三"), _l("星期四"), _l("星期五"), _l("星期六"), _l("星期日"))


def weekday(d) -> str:
    return str(WEEKDAYS[d.weekday()])


def isotime(value: str | None):
    """An ISO 8601 string from an event's data, as a datetime for the dt filter."""
    try:
        return datetime.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


def filesize(n: int | None) -> str:
    if n is None:
        return ""
    if n < 1024:
        return f"{n} B"
    if n < 1024 * 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n / 1024 / 1024:.1f} MB"


def html_lang() -> str:
    locale = get_locale()
    return "en" if locale and locale.language == "en" else "zh-CN"


def init_pages(app) -> None:
    app.before_request(_forget_request_user)
    app.jinja_env.filters.update(
        dt=fmt_dt, date=fmt_date,
        state_label=lambda s: STATE_LABELS.get(s, s),
        category_label=lambda c: CATEGORY_LABELS.get(c, c),
        action_label=lambda a: ACTION_LABELS.get(a, a),
        privacy_labels=lambda kinds: "、".join(str(PRIVACY_LABELS.get(k, k)) for k in kinds or ()),
        filesize=filesize,
        role_label=lambda r: ROLE_LABELS.get(r, r),
        actor_label=lambda a: ACTOR_LABELS.get(a, a),
        unit_kind_label=lambda k: UNIT_KIND_LABELS.get(k, k),
        property_kind_label=lambda k: PROPERTY_KIND_LABELS.get(k, k),
        rule_kind_label=lambda k: RULE_KIND_LABELS.get(k, k),
        external_href=external_href, isotime=isotime, weekday=weekday,
    )
    app.jinja_env.globals.update(
        nav_items=nav_items, nav_active=nav_active, has_endpoint=has_endpoint, page_url=page_url,
        html_lang=html_lang, ADMIN_TABS=ADMIN_TABS, STATE_LABELS=STATE_LABELS,
        CATEGORY_LABELS=CATEGORY_LABELS, ROLE_LABELS=ROLE_LABELS,
    )
