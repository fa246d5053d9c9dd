"""A finding's fields as given by a person, a file row or an API body: checked and normalised
in one place, each problem named by its field (CONTRACT.md: Findings file and API)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from feedback.directory.loaders import SITE_CODE
from feedback.directory.models import Unit
from feedback.errors import nul_errors
from feedback.extensions import db
from feedback.tickets.reports import CATEGORY_LABELS

MAX_TEXT = 20_000
FIELDS = ("unit_code", "site_code", "account", "category", "description", "url", "fix_by", "source")

# 中文 → field: the columns of a notice's 附件 table (CONTRACT.md)
COLUMNS = {
    "unit_code": ("unit_code", "单位编码"),
    "site_code": ("site_code", "网站标识码"),
    "account": ("account", "账号"),
    "category": ("category", "问题类型"),
    "description": ("description", "问题描述"),
    "url": ("url", "问题网址"),
    "fix_by": ("fix_by", "整改期限"),
    "source": ("source", "来源"),
}
REQUIRED = ("unit_code", "description", "fix_by")

# The seeds' problem kinds beside the tickets' labels (错字漏字 is 内容错误, …).
EXTRA_LABELS = {"错字漏字": "content_error", "错别字漏字": "content_error", "内容安全": "security",
                "栏目更新不及时": "outdated", "链接失效": "broken_link"}
LABEL_TO_CODE = {label: code for code, labels in CATEGORY_LABELS.items() for label in labels}
LABEL_TO_CODE.update(EXTRA_LABELS)
LABEL_TO_CODE.update({code: code for code in CATEGORY_LABELS})

_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]00:00(?::00)?)?$")


@dataclass
class FindingFields:
    unit: Unit
    site_code: str | None
    account: str | None
    category: str
    category_label: str | None
    description: str
    url: str | None
    fix_by: date
    source: str | None


def parse_date(raw) -> date | None:
    """2026-03-25, 2026/3/25, 2026年3月25日, or Excel's date cell (2026-03-25 00:00:00)."""
    if isinstance(raw, date):
        return raw
    match = _DATE.match(str(raw).strip())
    if not match:
        return None
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


def _text(value) -> str:
    if value is None:
        return ""
    return value.strip() if isinstance(value, str) else str(value).strip()


def parse(raw: dict, units: dict[str, Unit] | None = None) -> tuple[FindingFields | None, dict[str, str]]:
    """(fields, {}) or (None, {field: what is wrong and what to do}). `units` by code, when the
    caller has looked them up already (a file of many rows); scope is the caller's to check."""
    errors: dict[str, str] = {}
    for name in raw:
        if name in FIELDS and raw[name] is not None and not isinstance(raw[name], (str, int, float, date)):
            errors[name] = "must be a string"
    values = {name: _text(raw.get(name)) for name in FIELDS if name not in errors}
    nul = nul_errors(values)  # named, and no unit looked up by such a code

    unit = None
    code = values.get("unit_code", "")
    if "unit_code" not in errors and "unit_code" not in nul:
        if not code:
            errors["unit_code"] = "required: the code of the unit that must fix it (单位编码)"
        else:
            unit = (units or {}).get(code) if units is not None else db.session.execute(
                sa.select(Unit).where(Unit.code == code)).scalar_one_or_none()
            if unit is None:
                errors["unit_code"] = f"no unit with code {code!r}; correct the code or load the unit first"
    site_code = values.get("site_code", "").upper() or None
    if site_code and not SITE_CODE.fullmatch(site_code):
        errors["site_code"] = (f"{values['site_code']!r} is not a 网站标识码 (ten letters or digits, "
                               "e.g. 1101000001)")
    account = values.get("account") or None
    if account and len(account) > 200:
        errors["account"] = f"at most 200 characters ({len(account)} given)"
    label = values.get("category") or None
    category = LABEL_TO_CODE.get(label or "", "other")
    if label and len(label) > 100:
        errors["category"] = f"at most 100 characters ({len(label)} given)"
    description = values.get("description", "")
    if "description" not in errors and not description:
        errors["description"] = "required: what is wrong (问题描述)"
    elif len(description) > MAX_TEXT:
        errors["description"] = f"at most {MAX_TEXT} characters ({len(description)} given)"
    url = values.get("url") or None
    if url and len(url) > 2000:
        errors["url"] = f"at most 2000 characters ({len(url)} given)"
    fix_by = None
    if "fix_by" not in errors:
        raw_date = raw.get("fix_by")
        if not values.get("fix_by"):
            errors["fix_by"] = "required: the fix-by date (整改期限), e.g. 2026-03-25"
        else:
            fix_by = parse_date(raw_date)
            if fix_by is None:
                errors["fix_by"] = f"{values['fix_by']!r} is not a date; write it like 2026-03-25"
    source = values.get("source") or None
    if source and len(source) > 200:
        errors["source"] = "at most 200 characters"
    errors.update(nul)
    if errors:
        return None, errors
    return FindingFields(unit, site_code, account, category, label if label != category else None,
                         description, url, fix_by, source), {}
