"""Figures round half up to two decimals, exactly: the means from integer sums (exact_mean), the
median and P90 from whole microseconds (on PostgreSQL in SQL, hours_rounded_sql; on SQLite as
scaled integers divided in Python)."""
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

HOUR = 3_600_000_000


def test_postgresql_rounds_a_percentile_of_microseconds_exactly(app):
    """percentile_cont gives a double of whole (or half) microseconds; in hours, half up."""
    import sqlalchemy as sa

    from feedback.extensions import db
    from feedback.figures.cohort import execute as _execute, hours_rounded_sql

    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite's percentiles are scaled integers divided in Python")
    # 88.165 h exactly, half a microsecond either side of it, 2.675 h, 1.005 h, 0, 1.5 µs, 20 years
    values = [317_394_000_000.0, 317_394_000_000.5, 317_393_999_999.5, 9_630_000_000.0, 3_618_000_000.0, 0.0, 1.5,
              631_152_000_000_000.0]
    column = sa.func.unnest(sa.cast(sa.literal(values, sa.ARRAY(sa.Float)), sa.ARRAY(sa.Float)))
    x = sa.select(column.label("x")).subquery()
    rows = _execute(sa.select(x.c.x, hours_rounded_sql(x.c.x))).all()
    want = [float((Decimal(str(v)) / HOUR).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)) for v in values]
    assert [got for _value, got in rows] == want
    assert want[:5] == [88.17, 88.17, 88.16, 2.68, 1.01]  # by hand: 88.165 up, a hair over/under it


def test_means_are_exact():
    from feedback.figures.derive import exact_mean, mean_hours

    assert exact_mean(17, 8) == 2.13  # 2.125 exactly: up
    assert exact_mean(401, 200) == 2.01 and exact_mean(400, 200) == 2.0 and exact_mean(5, 0) is None

    hour = 3_600_000_000
    assert mean_hours(0, 0) is None
    assert mean_hours(135_591 * 60_000_000, 10) == 225.99  # 225.985 exactly: up
    assert mean_hours(3 * hour + 1, 2) == 1.5  # 1.50000000014
    assert mean_hours(hour * 449 // 200, 1) == 2.25  # 2.245 exactly: up
    assert mean_hours(hour * 449 // 200 - 1, 1) == 2.24  # a microsecond below the half
    assert mean_hours(-(hour * 449 // 200), 1) == -2.25  # away from zero, as ROUND_HALF_UP
    assert mean_hours(10**22, 3) == 925925925925.93  # 925,925,925,925.9259… hours


@given(values=st.lists(st.integers(min_value=0, max_value=10**15), max_size=40))
def test_sqlite_percentiles_are_the_reference_interpolation_scaled(values):
    """On SQLite the median and P90 are ranked in Python (cohort.tally): the scaled integer is the
    reference's exact percentile times the fraction's denominator, whatever the order and ties."""
    from feedback.figures.cohort import percentile_scaled
    from feedback.figures.derive import MEDIAN, P90
    from feedback.figures.reference import percentile_exact

    for numerator, denominator in (MEDIAN, P90):
        got = percentile_scaled(sorted(values), numerator, denominator)
        want = percentile_exact([Fraction(v) for v in values], Fraction(numerator, denominator))
        assert (got is None and want is None) or Fraction(got, denominator) == want


def test_tally_skips_open_tickets_times_and_totals_the_groups():
    from feedback.figures.cohort import tally
    from feedback.figures.derive import to_figures

    # key, closed, on_time, overdue, micros, workdays, then the platform clock's four
    rows = [(1, 1, 1, 0, 2 * HOUR, 1, 1, 0, 3 * HOUR, 1), (1, 1, 0, 0, 4 * HOUR, 2, 0, 0, 5 * HOUR, 2),
            (1, 0, 0, 1, None, None, 0, 1, None, None), (2, 1, 1, 0, 10 * HOUR, 3, 1, 0, 11 * HOUR, 4)]
    sums = tally(rows, grouped=True, with_total=True)
    one, total = to_figures(sums[1], 0), to_figures(sums[None], 0)
    assert (one.received, one.closed, one.on_time, one.overdue_open) == (3, 2, 1, 1)
    assert (one.median_handling_hours, one.p90_handling_hours, one.avg_handling_workdays) == (3.0, 3.8, 1.5)
    assert (total.received, total.closed, total.median_handling_hours, total.platform.median_handling_hours) == \
        (4, 3, 4.0, 5.0)
    assert tally([], grouped=False, with_total=False)[None][:2] == (0, 0)
