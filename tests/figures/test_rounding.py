"""Figures round half up on the value's shortest decimal form; the fast float path must agree
with the exact Decimal rule for every value, near halves included."""
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from feedback.figures.derive import round_half_up


def exact(value) -> float:
    return float(Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)) + 0.0


@given(st.floats(min_value=0, max_value=1e9, allow_nan=False))
@example(3.125)  # exactly representable half: up, where round() would go to even
@example(2.675)  # stored just below 2.675; its shortest form is 2.675: up
@example(1.005)
@example(0.0)
@example(99999.995)
def test_fast_path_agrees_with_the_decimal_rule(value):
    assert round_half_up(value) == exact(value)


@given(st.integers(min_value=0, max_value=10**7), st.sampled_from([0.005, 0.0049999, 0.0050001, 0.0]))
def test_values_around_each_half_cent(cents, offset):
    value = cents / 100 + offset
    assert round_half_up(value) == exact(value)


def test_the_office_rule_in_examples():
    assert round_half_up(3.125) == 3.13
    assert round_half_up(79.3) == 79.3
    assert round_half_up(71.444) == 71.44
    assert round_half_up(Decimal("2.345")) == 2.35
    assert round_half_up(-1.005) == -1.01  # away from zero, as ROUND_HALF_UP does


def test_postgresql_rounds_as_python_does(app):
    """On PostgreSQL the figures round in SQL (closure.rounded_sql); same rule, same numbers."""
    import sqlalchemy as sa

    from feedback.extensions import db
    from feedback.figures.cohort import execute as _execute, rounded_sql

    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite's figures round in Python (round_half_up, tested above)")
    values = [3.125, 2.675, 1.005, 0.005, 0.0, 99999.995, 79.3, 71.444, 0.1 + 0.2, 1 / 3, 2.0000000000000004,
              141.33333333333334, 12.344999999999999, 12.345000000000001, 1e-05, 123456.785]
    column = sa.func.unnest(sa.cast(sa.literal(values, sa.ARRAY(sa.Float)), sa.ARRAY(sa.Float)))
    x = sa.select(column.label("x")).subquery()
    rows = _execute(sa.select(x.c.x, rounded_sql(x.c.x))).all()
    assert [(value, got) for value, got in rows] == [(value, round_half_up(value)) for value in values]


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
    assert mean_hours(10**22, 3) == round_half_up(Decimal(10**22) / 3 / hour)
