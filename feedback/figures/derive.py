"""Figures from the integer sums a query gives: the one place the derived figures (late,
pending, the rate, the means and their rounding) are computed, whichever path summed them
(the cohort query, the rollups, the series). The rules themselves are figures/rules.py."""
from __future__ import annotations


from feedback.figures import rules
from feedback.figures import sql as fsql
from feedback.figures.results import Figures

# aggregate columns per clock: on_time, overdue, the handling microseconds' sum and count, the
# median and P90 (hours, or scaled microseconds: see _clock), the handling working days' sum and count
PER_CLOCK = 8
MEDIAN, P90 = (1, 2), (9, 10)  # the percentiles' fractions, as numerator and denominator


def to_figures(row, start: int, *, rounded: bool = False, platform: bool = True) -> Figures:
    """Figures of one aggregate row whose sums start at position `start`: received, closed, then
    for each clock (CLOCKS) the PER_CLOCK columns, as cohort.aggregate and cohort.aggregate_native select
    them. rounded: median and P90 come as hours rounded in SQL (cohort.hours_rounded_sql); else
    as cohort.percentile gives them, microseconds times the fraction's denominator.
    platform=False: the platform clock's columns are not read (Figures.platform None)."""
    received, closed = int(row[start] or 0), int(row[start + 1] or 0)
    unit_clock = start + 2
    figures = _clock(received, closed, rounded, row[unit_clock:unit_clock + PER_CLOCK])
    if platform:
        figures.platform = _clock(received, closed, rounded,
                                  row[unit_clock + PER_CLOCK:unit_clock + 2 * PER_CLOCK])
    return figures


def _clock(received: int, closed: int, rounded: bool, sums) -> Figures:
    """One clock's figures from its sums: one constructor call, as a province's table makes two
    per unit."""
    on_time, overdue, micros, timed, median, p90, days, days_n = sums
    on_time, overdue = int(on_time or 0), int(overdue or 0)
    if not rounded:  # exact: the scaled integers divided once, half up (exact_mean)
        median = None if median is None else exact_mean(median, MEDIAN[1], fsql.MICROS_PER_HOUR)
        p90 = None if p90 is None else exact_mean(p90, P90[1], fsql.MICROS_PER_HOUR)
    return clock_figures(received, closed, on_time, overdue, micros, timed, days, days_n, median, p90)


def clock_figures(received: int, closed: int, on_time: int, overdue: int, micros, timed, days, days_n,
                  median: float | None = None, p90: float | None = None) -> Figures:
    """A clock's Figures from its counts and the integer sums of its handling times (micros over
    `timed` tickets, working days over `days_n`): the one place the derived figures are defined
    (late, pending, the rate, the means), whichever query gave the sums."""
    if not closed:  # handling times are defined over closed tickets only
        hours = days_mean = median = p90 = None
    else:
        hours, days_mean = mean_hours(micros, timed), exact_mean(days, days_n)
    return Figures(received, closed, on_time, rules.late(closed, on_time), overdue,
                   rules.pending(received, closed, overdue), rules.on_time_rate(on_time, closed, overdue),
                   hours, median, p90, days_mean)


def exact_mean(total, count, unit: int = 1) -> float | None:
    """total / (count · unit) rounded half up to two decimals, exactly (integer arithmetic: the same
    figure whatever order the values were added in). None when count is 0 or missing."""
    if not count:
        return None
    total, denominator = int(total), int(count) * unit
    cents = (200 * abs(total) + denominator) // (2 * denominator)  # floor(100·|mean| + 1/2)
    return (cents if total >= 0 else -cents) / 100 + 0.0


def mean_hours(micros, count) -> float | None:
    """The mean of `count` handling times summing to `micros` microseconds, in hours (exact_mean)."""
    return exact_mean(micros, count, fsql.MICROS_PER_HOUR)


__all__ = ["MEDIAN", "P90", "PER_CLOCK", "clock_figures", "exact_mean", "mean_hours", "to_figures"]
