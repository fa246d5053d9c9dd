"""One format per kind (feedback/formats.py), the same on pages and in exports."""
from __future__ import annotations

from datetime import date

from flask_babel import force_locale

from feedback import formats
from feedback.exports import cells


def test_a_rate_has_at_most_one_decimal_and_never_reads_100_percent_when_it_is_not():
    assert [formats.rate(v) for v in (1.0, 171 / 173, 2 / 3, 0.25, 0.0, 0.9996, None)] == \
        ["100%", "98.8%", "66.7%", "25%", "0%", "99.9%", ""]


def test_durations_always_show_one_decimal_half_up():
    assert [formats.one_decimal(v) for v in (40.59, 25.1, 1, 1.67, 0.05, 1234.56)] == \
        ["40.6", "25.1", "1.0", "1.7", "0.1", "1,234.6"]


def test_periods_are_named_one_way(app):
    with force_locale("zh_CN"):
        assert formats.quarter(2026, 4) == "2026年第四季度"
        assert formats.month(2026, 11) == "2026年11月"
        assert formats.period(date(2026, 10, 1), date(2026, 12, 31)) == "2026年第四季度"
        assert formats.period(date(2026, 11, 1), date(2026, 11, 30)) == "2026年11月"
        assert formats.period(date(2026, 2, 1), date(2026, 2, 28)) == "2026年2月"
        assert formats.period(date(2026, 11, 1), date(2026, 11, 24)) == "2026-11-01 至 2026-11-24"
    with force_locale("en"):
        assert formats.quarter(2026, 4) == "Q4 2026"
        assert formats.rate(171 / 173) == "98.8%"


def test_the_exports_use_the_same_formats():
    for value in (1.0, 171 / 173, 0.9996, None):
        assert cells.rate_text(value) == formats.rate(value)
    assert cells.one_decimal(1.67) == formats.one_decimal(1.67) == "1.7"


def test_a_count_groups_thousands_as_babel_does_in_each_locale(app):
    from babel.numbers import format_decimal

    for locale in ("zh_CN", "en", "de_DE"):
        with force_locale(locale):
            for value in (0, 7, 999, 1000, 1234567, -1234, None):
                want = "" if value is None else format_decimal(value, "#,##0", locale=locale)
                assert formats.count(value) == want, (locale, value)
    with force_locale("zh_CN"):
        assert formats.count(1234567) == "1,234,567"


def test_rates_and_durations_are_written_as_babel_writes_them_in_each_locale(app):
    """The written-out paths for a rate and a duration against Babel's patterns."""
    from decimal import ROUND_HALF_UP, Decimal

    from babel.numbers import format_decimal, format_percent

    rates = [0.0, 0.0004, 0.0005, 0.05, 0.1, 0.25, 2 / 3, 0.9949, 0.995, 0.9996, 0.99999, 1.0]
    durations = [0, 0.04, 0.05, 1, 1.67, 9.95, 40.59, 999.96, 1234.56, 1234567.89, -2.25]
    for locale in ("zh_CN", "en", "de_DE", "fr_FR"):
        with force_locale(locale):
            for value in rates:
                tenths = (Decimal(str(value)) * 1000).quantize(Decimal("1"), rounding=ROUND_HALF_UP)
                tenths = min(tenths, Decimal(999)) if value < 1 else tenths
                want = format_percent(tenths / 1000, "#,##0.#%", locale=locale, decimal_quantization=False)
                assert formats.rate(value) == want, (locale, value)
            for value in durations:
                rounded = Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
                assert formats.one_decimal(value) == format_decimal(rounded, "#,##0.0", locale=locale), (locale, value)
    with force_locale("de_DE"):
        assert (formats.rate(171 / 173), formats.one_decimal(1234.56)) == ("98,8%", "1.234,6")
