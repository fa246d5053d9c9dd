"""Parsing one incoming report (CONTRACT.md: Import file / POST /api/v1/reports).

The same fields arrive from JSON (times must carry an offset) and from files (a time
without an offset is Asia/Shanghai). Every problem is reported against its field.
"""
from __future__ import annotations

import re
from functools import cache
from dataclasses import dataclass, field
from datetime import date, datetime

from feedback.errors import NUL
from feedback.timeutil import FIRST_YEAR, LAST_YEAR, LOCAL, in_supported_years

MAX_ID = 64  # tickets.platform_id's length
MAX_TEXT = 20_000

CATEGORY_LABELS = {
    "content_error": ("内容错误", "错别字", "表述错误"),
    "outdated": ("信息不更新", "栏目不更新"),
    "broken_link": ("链接错误", "无法访问", "错链断链"),
    "no_response": ("互动回应差", "留言不回复"),
    "service": ("办事服务不实用",),
    "security": ("安全问题", "个人信息泄露"),
    "other": ("其他",),
}
_LABEL_TO_CODE = {label: code for code, labels in CATEGORY_LABELS.items() for label in labels}
_LABEL_TO_CODE.update({code: code for code in CATEGORY_LABELS})

HISTORY_STATES = {"办结": "closed", "closed": "closed", "无效": "invalid", "invalid": "invalid"}

# Chinese header → English field (CONTRACT.md: Import file).
HEADER_ALIASES = {
    "留言编号": "platform_id", "转办时间": "received_at", "留言时间": "submitted_at",
    "网站名称": "site_name", "网站标识码": "site_code", "问题网址": "url", "问题类型": "category",
    "问题描述": "description", "留言人": "reporter_name", "联系电话": "reporter_phone",
    "电子邮箱": "reporter_email", "承办单位编码": "unit_code", "转办单位时间": "assigned_at",
    "答复时间": "replied_at", "办结时间": "closed_at", "答复内容": "reply", "状态": "state",
}
FIELDS = (
    "platform_id", "received_at", "submitted_at", "site_name", "site_code", "url", "category",
    "description", "reporter_name", "reporter_phone", "reporter_email", "unit_code", "assigned_at",
    "replied_at", "closed_at", "reply", "state",
)
REQUIRED = ("platform_id", "received_at", "description")


@dataclass
class Report:
    platform_id: str
    received_at: datetime
    description: str
    submitted_at: datetime | None = None
    site_name: str | None = None
    site_code: str | None = None
    url: str | None = None
    category: str = "other"
    category_label: str | None = None
    reporter_name: str | None = None
    reporter_phone: str | None = None
    reporter_email: str | None = None
    unit_code: str | None = None
    assigned_at: datetime | None = None
    replied_at: datetime | None = None
    closed_at: datetime | None = None
    reply: str | None = None
    state: str | None = None  # history: closed | invalid; None = open
    errors: dict = field(default_factory=dict)

    @property
    def is_history(self) -> bool:
        return bool(self.unit_code or self.state)


class FieldErrors(Exception):
    def __init__(self, errors: dict):
        super().__init__(errors)
        self.errors = errors


_FILE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M",
                 "%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日 %H:%M:%S", "%Y年%m月%d日 %H:%M", "%Y年%m月%d日")


def parse_time(value, field_name: str, *, naive_is_local: bool) -> datetime:
    if isinstance(value, datetime):
        t = value
    elif isinstance(value, date):
        t = datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        text = value.strip()
        t = None
        try:
            t = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
        except ValueError:
            if naive_is_local:
                for fmt in _FILE_FORMATS:
                    try:
                        t = datetime.strptime(text, fmt)
                        break
                    except ValueError:
                        continue
        if t is None:
            raise FieldErrors({field_name: f"{value!r} is not a time; use ISO 8601, e.g. 2026-09-30T15:00:00+08:00"})
    else:
        raise FieldErrors({field_name: "must be a time string, e.g. 2026-09-30T15:00:00+08:00"})
    if t.tzinfo is None:
        if not naive_is_local:
            raise FieldErrors({field_name: f"{value!r} has no UTC offset; add one, e.g. +08:00"})
        t = t.replace(tzinfo=LOCAL)
    if not in_supported_years(t):
        raise FieldErrors({field_name: f"{value!r} is outside the years {FIRST_YEAR}–{LAST_YEAR}"})
    return t


# A report field → the column that stores it, where the names differ.
STORED_IN = {"category": "category_label", "reply": "reply_text", "state": None}


@cache
def field_limit(name: str) -> int:
    """The most characters a report field may hold: the length of the column that stores it
    (tickets.*, or units.code for unit_code), so the model declares each limit once and
    SQLite, which would store anything, refuses exactly what PostgreSQL would. Text columns
    without a length get MAX_TEXT."""
    from feedback.directory.models import Unit
    from feedback.tickets.models import Ticket

    if name == "unit_code":
        column = Unit.__table__.c.code
    else:
        column = Ticket.__table__.c.get(STORED_IN.get(name, name))
    length = getattr(column.type, "length", None) if column is not None else None
    return length or MAX_TEXT


def _text(raw: dict, name: str, errors: dict, *, limit: int = MAX_TEXT) -> str | None:
    value = raw.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or isinstance(value, (dict, list)):
        errors[name] = "must be a text value"
        return None
    if isinstance(value, (int, float)):
        value = str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
    value = value.strip()
    if "\x00" in value:
        errors[name] = NUL
        return None
    if len(value) > limit:
        errors[name] = f"at most {limit} characters ({len(value)} given)"
        return None
    return value or None


_PLATFORM_ID = re.compile(r"^[\w\-.:/]+$")


def parse_report(raw, *, naive_is_local: bool) -> Report:
    """Validate one report; raises FieldErrors naming every bad field."""
    if not isinstance(raw, dict):
        raise FieldErrors({"report": "must be an object with the report's fields"})
    raw = dict(raw)
    reporter = raw.pop("reporter", None)
    errors: dict = {}
    if isinstance(reporter, dict):
        for key in ("name", "phone", "email"):
            raw.setdefault(f"reporter_{key}", reporter.get(key))
    elif isinstance(reporter, str):
        raw.setdefault("reporter_name", reporter)
    elif reporter is not None:
        errors["reporter"] = "must be an object {name, phone, email}"

    values = {name: _text(raw, name, errors, limit=field_limit(name)) for name in FIELDS if not name.endswith("_at")}
    for name in REQUIRED:
        if name.endswith("_at"):
            if raw.get(name) in (None, ""):
                errors[name] = "required"
        elif not values.get(name) and name not in errors:
            errors[name] = "required"
    pid = values.get("platform_id")
    if pid and (len(pid) > MAX_ID or not _PLATFORM_ID.match(pid)):
        errors["platform_id"] = f"at most {MAX_ID} letters, digits or - _ . : /"
    times = {}
    for name in ("received_at", "submitted_at", "assigned_at", "replied_at", "closed_at"):
        value = raw.get(name)
        if value in (None, ""):
            times[name] = None
            continue
        try:
            times[name] = parse_time(value, name, naive_is_local=naive_is_local)
        except FieldErrors as exc:
            errors.update(exc.errors)
    label = values.pop("category")
    category = _LABEL_TO_CODE.get(label or "", "other")
    state_raw = values.pop("state")
    state = None
    if state_raw:
        state = HISTORY_STATES.get(state_raw)
        if state is None:
            errors["state"] = f"{state_raw!r}: use 办结 (closed), 无效 (invalid) or leave empty"
    if not errors:
        _check_history(values, times, state, errors)
    if errors:
        raise FieldErrors(errors)
    return Report(
        category=category, category_label=label, state=state, **{k: v for k, v in values.items()}, **times
    )


def _check_history(values: dict, times: dict, state: str | None, errors: dict) -> None:
    received = times["received_at"]
    if state == "closed":
        for name in ("unit_code", "replied_at", "closed_at"):
            if not (values.get(name) or times.get(name)):
                errors[name] = "required for a closed (办结) row"
    elif state == "invalid":  # 办结时间 is when it was judged invalid; 承办单位编码 may be empty
        if times["replied_at"] and not values.get("unit_code"):
            errors["unit_code"] = "required when a reply time is given"
    elif (times["replied_at"] or times["closed_at"]) and not values.get("unit_code"):
        errors["unit_code"] = "required when a reply or close time is given"
    if times["closed_at"] and state not in ("closed", "invalid"):
        errors["state"] = "a row with 办结时间 must have 状态 办结 or 无效"
    order = [("received_at", received), ("assigned_at", times["assigned_at"]),
             ("replied_at", times["replied_at"]), ("closed_at", times["closed_at"])]
    last_name, last = None, None
    for name, t in order:
        if t is None:
            continue
        if last is not None and t < last:
            errors[name] = f"is earlier than {last_name}"
        last_name, last = name, t
