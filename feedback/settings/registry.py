"""Every setting the top office can change, in one place: its key, type, bounds, label and first
default (DESIGN.md: settings offices differ on live in the database; environment variables and
the app's config only give the first defaults).

A value has one canonical text (what `feedback settings show` prints and the audit stores);
`Setting.parse` reads what a person typed and raises SettingError naming what to type instead.
Empty text ("" or "-") means "not set" for the keys that allow it (a category without its own
deadline uses deadline.unit_days; no scope word means the one derived from the office's name).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Callable

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l

EMPTY = "-"  # how an unset value is shown and typed on the command line

CATEGORIES = ("content_error", "outdated", "broken_link", "no_response", "service", "security", "other")

# DESIGN.md: Exports — the paragraph's elements, in the order they are written.
# scope: 全市共收到… (the scope word); valid: 有效留言; closed: 办结N条; on_time_rate: 按期办结率为X%;
# all_on_time: 均已按期办理，办结率100% when so; avg_handling: 平均办理时长; units_full: the units at 100 %.
NOTICE_ELEMENTS = ("scope", "valid", "closed", "on_time_rate", "all_on_time", "avg_handling", "units_full")
DATE_STYLES = ("full", "no_year", "since", "quarter")
ATTACHMENT_GROUPINGS = ("region", "unit")

# The assessment's deduction rules before they became settings (app.config EXPORT_ASSESSMENT_RULES
# still gives their first defaults).
DEDUCTION_DEFAULTS = {
    "points_per_overdue_open": 1.0,  # 每条超期未办结留言扣分
    "points_per_late": 0.5,  # 每条超期办结留言扣分
    "rate_flag_below": 1.0,  # 按期办结率低于它时标记 (1.0 = below 100%)
    "max_returns": 2,  # 期间内退回（错转）留言超过这个条数时标记
}


class SettingError(ValueError):
    def __init__(self, key: str, message: str):
        super().__init__(f"{key}: {message}")
        self.key = key
        self.message = message


def _config(name: str, default=None):
    if has_app_context():
        return current_app.config.get(name, default)
    return default


@dataclass(frozen=True)
class Setting:
    key: str
    kind: str  # bool | int | number | text | choice | choices
    label: Any  # lazy Chinese label for the page
    default: Callable[[], Any]
    minimum: float | None = None
    maximum: float | None = None
    optional: bool = False  # "-" / "" is a value: not set
    choices: tuple = field(default=())
    max_length: int = 200
    percent: bool = False  # a 0..1 number that may be typed as 95%

    def parse(self, raw) -> Any:
        """The typed value of what was typed (str), or of a value already typed (bool, int …)."""
        if not isinstance(raw, str):
            raw = self.text(raw)
        text = raw.strip()
        if text in ("", EMPTY):
            if self.optional or self.kind in ("text", "choices"):
                return None if self.kind not in ("text", "choices") else ("" if self.kind == "text" else ())
            raise SettingError(self.key, f"a value is required: {self.expected()}")
        return getattr(self, f"_parse_{self.kind}")(text)

    def text(self, value) -> str:
        """The canonical text of a typed value ("" for not set)."""
        if value is None:
            return ""
        if self.kind == "bool":
            return "true" if value else "false"
        if self.kind == "number":
            return _number_text(value)
        if self.kind == "choices":
            return ",".join(value)
        return str(value)

    def shown(self, value) -> str:
        return self.text(value) or EMPTY

    def expected(self) -> str:
        if self.kind == "bool":
            return "true or false"
        if self.kind in ("int", "number"):
            what = "a whole number" if self.kind == "int" else "a number"
            bounds = f" from {_number_text(self.minimum)} to {_number_text(self.maximum)}"
            extra = " (or a percentage like 95%)" if self.percent else ""
            return what + bounds + extra + (f", or {EMPTY} for none" if self.optional else "")
        if self.kind == "choice":
            return "one of " + ", ".join(self.choices)
        if self.kind == "choices":
            return "a comma-separated list of " + ", ".join(self.choices) + f" (or {EMPTY} for none)"
        return f"text of at most {self.max_length} characters (or {EMPTY} for none)"

    def _bad(self, text: str):
        return SettingError(self.key, f"expected {self.expected()}, got {text!r}")

    def _parse_bool(self, text: str) -> bool:
        lowered = text.lower()
        if lowered in ("true", "1", "yes", "on"):
            return True
        if lowered in ("false", "0", "no", "off"):
            return False
        raise self._bad(text)

    def _bounded(self, value, text: str):
        if (self.minimum is not None and value < self.minimum) or (self.maximum is not None and value > self.maximum):
            raise self._bad(text)
        return value

    def _parse_int(self, text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise self._bad(text) from None
        return self._bounded(value, text)

    def _parse_number(self, text: str) -> float:
        percent = self.percent and text.endswith("%")
        try:
            value = Decimal(text[:-1] if percent else text)
        except InvalidOperation:
            raise self._bad(text) from None
        if not value.is_finite():
            raise self._bad(text)
        if percent:
            value = value / 100
        return self._bounded(float(value), text)

    def _parse_text(self, text: str) -> str:
        if len(text) > self.max_length or any(c in text for c in "\r\n\t"):
            raise self._bad(text)
        return text

    def _parse_choice(self, text: str) -> str:
        if text not in self.choices:
            raise self._bad(text)
        return text

    def _parse_choices(self, text: str) -> tuple:
        items = [item.strip() for item in text.replace("，", ",").split(",") if item.strip()]
        unknown = [item for item in items if item not in self.choices]
        if unknown:
            raise SettingError(self.key, f"unknown {', '.join(unknown)}: expected {self.expected()}")
        return tuple(c for c in self.choices if c in items)  # the registry's order, once each


def _number_text(value) -> str:
    text = format(Decimal(str(value)).normalize(), "f")
    return text


def _deduction(name: str):
    def default():
        return (_config("EXPORT_ASSESSMENT_RULES") or {}).get(name, DEDUCTION_DEFAULTS[name])
    return default


def _section_default() -> str:
    raw = _config("EXPORT_NOTICE_SECTION") or "三"
    return raw if raw.startswith("（") else f"（{raw}）"


def _category_days(category: str):
    def default():
        return (_config("UNIT_DEADLINE_DAYS_BY_CATEGORY") or {}).get(category)
    return default


def _build() -> dict[str, Setting]:
    settings = [
        Setting("publication.enabled", "bool", _l("公开留言及办理情况"),
                lambda: bool(_config("PUBLICATION_ENABLED", False))),
        Setting("deadline.unit_days", "int", _l("承办单位办理期限（工作日）"),
                lambda: int(_config("UNIT_DEADLINE_DAYS", 3)), minimum=1, maximum=60),
        Setting("deadline.platform_days", "int", _l("向平台反馈期限（工作日）"),
                lambda: int(_config("PLATFORM_DEADLINE_DAYS", 5)), minimum=1, maximum=60),
    ]
    for category in CATEGORIES:
        settings.append(Setting(f"deadline.unit_days.{category}", "int",
                                _l("该类问题的办理期限（工作日；空：同上）"),
                                _category_days(category), minimum=1, maximum=60, optional=True))
    settings += [
        Setting("deduction.points_per_overdue_open", "number", _l("每条超期未办结留言扣分"),
                _deduction("points_per_overdue_open"), minimum=0, maximum=100),
        Setting("deduction.points_per_late", "number", _l("每条超期办结留言扣分"),
                _deduction("points_per_late"), minimum=0, maximum=100),
        Setting("deduction.rate_flag_below", "number", _l("按期办结率低于此值时标记"),
                _deduction("rate_flag_below"), minimum=0, maximum=1, percent=True),
        Setting("deduction.max_returns", "int", _l("退回错转留言超过此条数时标记"),
                _deduction("max_returns"), minimum=0, maximum=100000),
        # 整改 in the assessment (findings/assessment.py): points per finding still open past its
        # fix-by date, and per finding not yet accepted (open or awaiting 复核) within the window
        Setting("findings.points_per_overdue", "number", _l("每项超期未整改的整改事项扣分"),
                lambda: float(_config("FINDINGS_POINTS_PER_OVERDUE", 1.0)), minimum=0, maximum=100),
        Setting("findings.points_per_unfinished", "number", _l("每项未完成整改（含待复核）的整改事项扣分"),
                lambda: float(_config("FINDINGS_POINTS_PER_UNFINISHED", 0.0)), minimum=0, maximum=100),
        Setting("notice.section", "text", _l("通报中的序号"), _section_default, max_length=20),
        Setting("notice.scope_word", "text", _l("范围用语（空：按单位名称，如“全市”）"),
                lambda: "", max_length=20),
        Setting("notice.date_style", "choice", _l("日期写法"), lambda: "full", choices=DATE_STYLES),
        Setting("notice.source", "text", _l("留言来源的写法"),
                lambda: "网民反馈的“我为政府网站找错”留言", max_length=100),
        Setting("notice.rate_word", "text", _l("办结率的写法"), lambda: "按期办结率为", max_length=20),
        Setting("notice.elements", "choices", _l("段落要素"), lambda: ("scope", "on_time_rate"),
                choices=NOTICE_ELEMENTS),
        Setting("notice.attachment", "choice", _l("附件分组"), lambda: "region", choices=ATTACHMENT_GROUPINGS),
    ]
    return {s.key: s for s in settings}


SETTINGS: dict[str, Setting] = _build()


def setting(key: str) -> Setting:
    try:
        return SETTINGS[key]
    except KeyError:
        raise SettingError(key, "no such setting; `feedback settings show` lists them") from None


def default(key: str):
    s = setting(key)
    value = s.default()
    return s.parse(value) if value is not None else s.parse("")
