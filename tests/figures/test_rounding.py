"""Figures round half up to two decimals, exactly: the means from integer sums (exact_mean), the
median and P90 as scaled integers of whole microseconds (percentile_scaled), on PostgreSQL
ranked and rounded in SQL (percentile_scaled_sql, hours_rounded_sql), on SQLite in Python."""
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

HOUR = 3_600_000_000


def test_postgresql_rounds_a_percentile_as_exact_mean_does(app):
    """A percentile comes from PostgreSQL as hours, half up, in integers: the figure exact_mean
    gives of the same scaled integer (SQLite's way), negative ones away from zero."""
    import sqlalchemy as sa

    from feedback.extensions import db
    from feedback.figures.cohort import execute as _execute, hours_rounded_sql
    from feedback.figures.derive import exact_mean

    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite's percentiles are scaled integers divided in Python")
    # 88.165 h exactly as a median (×2) and as a P90 (×10), a scaled unit either side of it,
    # 2.675 h, 1.005 h, 0, 1.5 µs, 20 years, and a negative time (a reply dated before its assignment)
    cases = [(634_788_000_000, 2), (634_788_000_001, 2), (634_787_999_999, 2), (3_173_940_000_000, 10),
             (3_173_939_999_999, 10), (19_260_000_000, 2), (36_180_000_000, 10), (0, 2), (3, 2),
             (6_311_520_000_000_000, 10), (-634_788_000_000, 2), (-634_787_999_999, 2)]
    got = [_execute(sa.select(hours_rounded_sql(sa.literal(s, sa.BigInteger), d))).scalar_one() for s, d in cases]
    want = [exact_mean(s, d, HOUR) for s, d in cases]
    assert got == want
    assert want[:5] == [88.17, 88.17, 88.16, 88.17, 88.16]  # by hand: 88.165 up, a hair over/under it
    assert want[-2:] == [-88.17, -88.16]


def test_postgresql_percentiles_are_the_reference_interpolation(app):
    """Ranked in SQL from each group's values in order (percentile_scaled_sql): the reference's
    exact percentile whatever the group's size, NULLs skipped; none over no value."""
    import random

    import sqlalchemy as sa

    from feedback.extensions import db
    from feedback.figures.cohort import execute as _execute, percentile_scaled_sql
    from feedback.figures.derive import MEDIAN, P90
    from feedback.figures.reference import percentile_exact

    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite ranks in Python (test_sqlite_percentiles_…)")
    rng = random.Random(7)
    groups = {1: [], 2: [None], 3: [5], 4: [7, None, 3], 5: [10**12, 0, 1, 10**12 - 1],
              6: [rng.randrange(10**12) for _ in range(1001)], 7: [rng.randrange(3) for _ in range(57)]}
    data = [(key, v) for key, values in groups.items() for v in values]
    key, micros = sa.column("key", sa.Integer), sa.column("micros", sa.BigInteger)
    rows = sa.values(key, micros, name="times").data(data)
    for fraction in (MEDIAN, P90):
        got = dict(_execute(sa.select(rows.c.key, percentile_scaled_sql(rows.c.micros, fraction))
                            .group_by(rows.c.key)).all())
        assert set(got) == {k for k, values in groups.items() if values}
        for k, values in groups.items():
            present = [Fraction(v) for v in values if v is not None]
            want = percentile_exact(present, Fraction(*fraction)) if present else None
            if values:
                assert (got[k] is None and want is None) or Fraction(got[k], fraction[1]) == want, (k, fraction)


def test_the_totals_platform_percentiles_alone_are_the_reference_interpolation(app):
    """platform=PLATFORM_TOTAL (the API's way: rows without the platform clock, the top office's
    own figure from the total): the total's platform median and P90 from its times in order, the
    reference's, whatever order the tickets come in; the groups' left NULL; every other column
    as when each group ranks its own."""
    import random

    import sqlalchemy as sa

    from feedback.extensions import db
    from feedback.figures.cohort import AGGREGATED, PLATFORM_TOTAL, aggregate_native, execute as _execute
    from feedback.figures.derive import MEDIAN, P90, exact_mean
    from feedback.figures.reference import percentile_exact

    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite ranks in Python (tally)")
    rng = random.Random(11)
    data = []
    for _ in range(60):  # newest first, as a history's tickets need not come in any order
        closed = rng.random() < 0.8
        p_micros = rng.choice([rng.randrange(0, 400 * HOUR), 7 * HOUR]) if closed else None
        data.append((rng.randrange(1, 6), int(closed), int(closed), 0, p_micros and p_micros // 2,
                     int(closed), int(closed), 0, p_micros, int(closed)))
    types = {"key": sa.Integer, "micros": sa.BigInteger, "p_micros": sa.BigInteger}
    per_ticket = sa.values(*(sa.column(name, types.get(name, sa.Integer)) for name in AGGREGATED),
                           name="flags").data(data).alias("flags")

    def rows(platform):
        query = aggregate_native(per_ticket, True, True, rollup=True, platform=platform)
        return {None if row.total_row else row.key: row._mapping for row in _execute(query)}

    each, alone = rows(True), rows(PLATFORM_TOTAL)
    times = sorted(Fraction(row[8]) for row in data if row[8] is not None)
    for name, fraction in (("p_median_hours", MEDIAN), ("p90_hours", P90)):
        name = name if name.startswith("p_") else "p_" + name
        want = exact_mean(percentile_exact(times, Fraction(*fraction)) * fraction[1], fraction[1], HOUR)
        assert alone[None][name] == each[None][name] == want, name
    assert set(alone) == set(each) and len(each) == 6
    for key in each:
        for column, value in each[key].items():
            if key is not None and column in ("p_median_hours", "p_p90_hours"):
                assert alone[key][column] is None and value is not None
            else:
                assert alone[key][column] == value, (key, column)


def test_a_p90_on_a_half_cent_rounds_up_on_postgresql(app):
    """Seven replies at the assignment and one a minute later: the P90 is 0.3 of that minute,
    18 s, 0.005 h exactly, so 0.01 h. percentile_cont's double lands a hair below (0.9 × 7 is
    6.2999… in binary) and numeric rounding of it gave 0.00."""
    import sqlalchemy as sa

    from feedback.extensions import db
    from feedback.figures.cohort import execute as _execute, hours_rounded_sql, percentile_scaled_sql
    from feedback.figures.derive import P90

    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    micros = sa.column("micros", sa.BigInteger)
    times = sa.values(micros, name="times").data([(0,)] * 7 + [(60_000_000,)])
    assert _execute(sa.select(hours_rounded_sql(percentile_scaled_sql(times.c.micros, P90), P90[1]))).scalar_one() \
        == 0.01


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
