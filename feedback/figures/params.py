"""Reading the figures' parameters from text (API query args, dashboard forms, CLI flags).

Each parser raises InputError naming the parameter and saying what to give instead.
Dates are inclusive local dates; a time without an offset is Asia/Shanghai (CONTRACT.md).
"""
from __future__ import annotations

import calendar as _monthcal
import re
from datetime import date, datetime

from feedback.errors import InputError
from feedback.timeutil import FIRST_YEAR, LAST_YEAR, assume_local, in_supported_years

YEARS = f"between {FIRST_YEAR} and {LAST_YEAR}"

GROUPS = ("unit", "region")
MAX_RANGE_DAYS = 3 * 366


def parse_date(name: str, raw: str | None, *, required: bool = True) -> date | None:
    if raw is None or not raw.strip():
        if required:
            raise InputError({name: "required: a date YYYY-MM-DD"})
        return None
    try:
        value = date.fromisoformat(raw.strip())
    except ValueError:
        raise InputError({name: f"{raw!r} is not a date YYYY-MM-DD"}) from None
    if not in_supported_years(value):
        raise InputError({name: f"{raw!r}: a date {YEARS}"})
    return value


def attempt(errors: dict, parse, fallback=None):
    """parse(); on an InputError, its fields go into `errors` and `fallback` comes back, so one
    answer can name every bad parameter."""
    try:
        return parse()
    except InputError as exc:
        errors.update(exc.errors)
        return fallback


def parse_range(raw_from: str | None, raw_to: str | None, *, names=("from", "to")) -> tuple[date, date]:
    errors: dict = {}
    date_from = attempt(errors, lambda: parse_date(names[0], raw_from))
    date_to = attempt(errors, lambda: parse_date(names[1], raw_to))
    if errors:
        raise InputError(errors)
    if date_to < date_from:
        raise InputError({names[1]: f"must be on or after {names[0]} ({date_from.isoformat()})"})
    if (date_to - date_from).days > MAX_RANGE_DAYS:
        raise InputError({names[1]: f"a range of at most {MAX_RANGE_DAYS} days; split it"})
    return date_from, date_to


def parse_as_of(raw: str | None, *, name: str = "as_of", default: datetime | None = None) -> datetime:
    """An ISO 8601 time; without an offset it is Asia/Shanghai (CONTRACT.md). A bare date
    reads as that day's local midnight, as ISO 8601 has it."""
    if raw is None or not raw.strip():
        if default is None:
            raise InputError({name: "required: a time such as 2026-10-31T23:59:59+08:00"})
        return default
    text = raw.strip()
    try:
        value = assume_local(datetime.fromisoformat(text))
    except ValueError:
        raise InputError({name: f"{text!r} is not an ISO 8601 time such as 2026-10-31T23:59:59+08:00"}) from None
    if not in_supported_years(value):
        raise InputError({name: f"{text!r}: a time {YEARS}"})
    return value


def parse_group(raw: str | None, *, name: str = "group") -> str:
    if raw is None or raw == "":
        return "unit"
    if raw not in GROUPS:
        raise InputError({name: "unit or region"})
    return raw


def month_range(raw: str, *, name: str = "month") -> tuple[date, date]:
    """'YYYY-MM' → its first and last day."""
    match = re.fullmatch(r"(\d{4})-(\d{1,2})", (raw or "").strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise InputError({name: f"{raw!r} is not a month YYYY-MM"})
    year, month = int(match.group(1)), int(match.group(2))
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InputError({name: f"{raw!r}: a month {YEARS}"})
    return date(year, month, 1), date(year, month, _monthcal.monthrange(year, month)[1])


def quarter_range(raw: str, *, name: str = "quarter") -> tuple[date, date]:
    """'YYYYQn' (also 'YYYY-Qn', lower case q) → its first and last day."""
    match = re.fullmatch(r"(\d{4})-?[Qq]([1-4])", (raw or "").strip())
    if not match:
        raise InputError({name: f"{raw!r} is not a quarter YYYYQn, e.g. 2026Q4"})
    year, q = int(match.group(1)), int(match.group(2))
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InputError({name: f"{raw!r}: a quarter {YEARS}"})
    last_month = 3 * q
    return date(year, last_month - 2, 1), date(year, last_month, _monthcal.monthrange(year, last_month)[1])


def quarter_of(d: date) -> str:
    return f"{d.year}Q{(d.month - 1) // 3 + 1}"
