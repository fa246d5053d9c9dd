"""How numbers, rates, durations and periods are written, one format per kind, through Babel:
the pages, the exports and the notices all call these (tests/test_formats.py holds them).

- a count: 1,234
- 按期办结率: at most one decimal, as the notices print it — 100%, 98.8%, 66.7% — and never
  rounded up to 100% (a single overdue ticket must not read as a perfect record); "" undefined
- a duration in hours or working days: one decimal, always — 40.6 hours, 1.0 working days
- a month: 2026年11月; a quarter: 2026年第四季度; a range: 2026-11-01 至 2026-11-30

Machine values (the 2026Q4 of a URL, a CLI flag or a file name) are not display text and stay
as they are. Outside a request (the command line, a worker) the locale is Chinese.
"""
from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from babel.numbers import format_decimal as _babel_decimal
from babel.numbers import get_decimal_symbol, get_group_symbol
from babel.numbers import format_percent as _babel_percent
from flask import has_app_context
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

DEFAULT_LOCALE = "zh_CN"
QUARTER_NUMERALS = (_l("一"), _l("二"), _l("三"), _l("四"))  # 第四季度; Q4 in English


def current_locale() -> str:
    """The locale numbers are written in now; a caller writing many at once asks once and passes
    it on (asking Flask-Babel costs more than writing a count)."""
    if has_app_context():
        from flask_babel import get_locale

        locale = get_locale()
        if locale is not None:
            return str(locale)
    return DEFAULT_LOCALE


def count(value: int | None, locale: str | None = None) -> str:
    if value is None:
        return ""
    locale = locale or current_locale()
    if type(value) is int and value >= 0:
        # "#,##0" groups by three in every locale; only the symbol differs. A page shows a few
        # hundred counts, and Babel parses the pattern for each
        return f"{value:,}".replace(",", _symbols(locale)[0])
    return _babel_decimal(value, "#,##0", locale=locale)


def rate(value: float | None, locale: str | None = None) -> str:
    """按期办结率 (0..1) as a percent with at most one decimal, never rounded up to 100%."""
    if value is None:
        return ""
    tenths = (Decimal(str(value)) * 1000).quantize(Decimal("1"), rounding=ROUND_HALF_UP)
    if tenths >= 1000 and value < 1:
        tenths = Decimal(999)
    locale = locale or current_locale()
    if 0 <= tenths <= 1000:  # a rate (no group of thousands): Babel's pattern parser skipped
        whole, tenth = divmod(int(tenths), 10)
        decimal, percent = _symbols(locale)[1:]
        return (f"{whole}{decimal}{tenth}" if tenth else str(whole)) + percent
    return _babel_percent(tenths / 1000, "#,##0.#%", locale=locale, decimal_quantization=False)


def one_decimal(value: float | None, locale: str | None = None) -> str:
    """A duration (hours, working days): one decimal, half up, always shown (1.0, 40.6)."""
    if value is None:
        return ""
    rounded = Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    locale = locale or current_locale()
    if rounded >= 0:  # "#,##0.0" written out, as count() does (a page shows a few hundred)
        whole, tenth = divmod(int(rounded * 10), 10)
        group, decimal = _symbols(locale)[:2]
        return f"{whole:,}".replace(",", group) + f"{decimal}{tenth}"
    return _babel_decimal(rounded, "#,##0.0", locale=locale)


@lru_cache(maxsize=None)
def _symbols(locale: str) -> tuple[str, str, str]:
    """The locale's group, decimal and percent symbols."""
    # the percent sign as the pattern "…%" writes it (Babel has no getter for it)
    return get_group_symbol(locale), get_decimal_symbol(locale), _babel_percent(0, "0%", locale=locale)[1:]


hours = workdays = one_decimal


def month(year: int, number: int) -> str:
    return _("%(year)s年%(month)s月", year=year, month=number)


def quarter(year: int, number: int) -> str:
    """2026年第四季度, as the notices name a quarter."""
    return _("%(year)s年第%(n)s季度", year=year, n=str(QUARTER_NUMERALS[number - 1]))


def date_range(first: date, last: date) -> str:
    return _("%(start)s 至 %(end)s", start=first.isoformat(), end=last.isoformat())


def period(first: date, last: date) -> str:
    """A month or a calendar quarter by its name, any other range by its dates."""
    whole_month = first.day == 1 and (last.month, last.year) == (first.month, first.year) and \
        (date(last.year + last.month // 12, last.month % 12 + 1, 1) - last).days == 1
    if whole_month:
        return month(first.year, first.month)
    if first.day == 1 and first.month % 3 == 1 and last.year == first.year and last.month == first.month + 2 and \
            (date(last.year + last.month // 12, last.month % 12 + 1, 1) - last).days == 1:
        return quarter(first.year, (first.month - 1) // 3 + 1)
    return date_range(first, last)
