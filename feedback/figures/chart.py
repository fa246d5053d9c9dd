"""Geometry of the monthly chart (volume bars, on-time-rate line), drawn as server-side SVG.

Plain numbers in, coordinates out: the template only places them. No script, no CDN.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from feedback.figures.results import MonthPoint

WIDTH, HEIGHT = 720, 260
# A month whose rate rests on fewer tickets than this (closed + overdue open) is drawn as a
# hollow dot and marked in the table: one closed ticket makes a 100 % that means little.
FEW_TICKETS = 5
LEFT, RIGHT, TOP, BOTTOM = 48, 52, 16, 44
PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str  # the month, "10月"
    year: str | None  # "2026年" under the first month and every January
    center: float
    received: int
    rate: float | None


@dataclass
class Chart:
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    top: int = TOP
    plot_w: int = PLOT_W
    plot_h: int = PLOT_H
    bars: list[Bar] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)  # polyline "x,y x,y" runs; a month without a rate breaks the line
    dots: list[tuple[float, float, float, str, bool]] = field(default_factory=list)  # x, y, rate, month, few
    volume_ticks: list[tuple[float, int]] = field(default_factory=list)  # y, value
    rate_ticks: list[tuple[float, int]] = field(default_factory=list)  # y, percent

    @property
    def bottom(self) -> int:
        return self.top + self.plot_h

    @property
    def right(self) -> int:
        return self.left + self.plot_w


def nice_ceiling(n: int) -> int:
    """The axis top: n rounded up to 1, 2 or 5 times a power of ten (at least 1)."""
    if n <= 1:
        return 1
    power = 10 ** int(math.floor(math.log10(n)))
    for step in (1, 2, 5, 10):
        if n <= step * power:
            return step * power
    return 10 * power


def few_tickets(figures) -> bool:
    """Whether a rate stands on too few tickets to mean much (FEW_TICKETS)."""
    return figures.on_time_rate is not None and figures.closed + figures.overdue_open < FEW_TICKETS


def monthly_chart(points: list[MonthPoint]) -> Chart:
    chart = Chart()
    if not points:
        return chart
    top_volume = nice_ceiling(max(p.figures.received for p in points))
    slot = PLOT_W / len(points)
    run: list[str] = []
    for i, p in enumerate(points):
        received, rate = p.figures.received, p.figures.on_time_rate
        height = PLOT_H * received / top_volume
        center = LEFT + slot * (i + 0.5)
        year = f"{p.month.year}年" if i == 0 or p.month.month == 1 else None
        chart.bars.append(Bar(round(center - slot * 0.3, 1), round(TOP + PLOT_H - height, 1), round(slot * 0.6, 1),
                              round(height, 1), f"{p.month.month}月", year, round(center, 1), received, rate))
        if rate is None:
            if run:
                chart.lines.append(" ".join(run))
            run = []
            continue
        y = round(TOP + PLOT_H * (1 - rate), 1)
        run.append(f"{round(center, 1)},{y}")
        chart.dots.append((round(center, 1), y, rate, p.month.strftime("%Y-%m"), few_tickets(p.figures)))
    if run:
        chart.lines.append(" ".join(run))
    chart.volume_ticks = [(round(TOP + PLOT_H * (1 - f), 1), int(top_volume * f)) for f in (0, 0.5, 1)
                          if f != 0.5 or top_volume % 2 == 0]
    chart.rate_ticks = [(round(TOP + PLOT_H * (1 - f), 1), int(f * 100)) for f in (0, 0.5, 1)]
    return chart
