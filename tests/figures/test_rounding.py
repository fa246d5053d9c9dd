"""Figures round half up on the value's shortest decimal form; the fast float path must agree
with the exact Decimal rule for every value, near halves included."""
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import example, given
from hypothesis import strategies as st

from feedback.figures.closure import round_half_up


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
