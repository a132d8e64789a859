"""Server-rendered SVG bar charts (see docs/dashboard-charts.md for why).

The geometry is computed here; ``templates/reports/_chart.html`` writes the SVG. Colours are
presentation attributes, not inline styles, so the pages keep their strict CSP, and the
charts draw with no script and no outside network. Every chart also carries its figures as a
table for screen readers and for copying.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

# Colour-blind-safe palette (Okabe-Ito), dark enough for text contrast on white.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")

WIDTH, HEIGHT = 640, 280
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 16, 56


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: int
    category: str
    series: str
    colour: str


@dataclass
class Chart:
    id: str
    title: str
    categories: list[str]
    series: list[tuple[str, list[int]]]
    width: int = WIDTH
    height: int = HEIGHT
    bars: list[Bar] = field(default_factory=list)
    ticks: list[tuple[float, int]] = field(default_factory=list)
    labels: list[tuple[float, str]] = field(default_factory=list)
    legend: list[tuple[str, str]] = field(default_factory=list)
    baseline: float = 0.0
    plot_left: float = LEFT
    plot_right: float = WIDTH - RIGHT

    @property
    def total(self) -> int:
        return sum(sum(values) for _, values in self.series)

    @property
    def rows(self) -> list[tuple[str, list[int]]]:
        """The figures as table rows: one per category, a column per series."""
        return [
            (category, [values[i] for _, values in self.series])
            for i, category in enumerate(self.categories)
        ]


MAX_TICK_INTERVALS = 4
MAX_CATEGORY_LABELS = 8


def nice_step(value: float) -> int:
    """The smallest whole 1, 2 or 5 x 10^n at least ``value``: counts have whole ticks."""
    if value <= 1:
        return 1
    exponent = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * exponent:
            return step * exponent
    return 10 * exponent  # pragma: no cover


def axis(largest: int) -> tuple[int, int]:
    """(top of the axis, tick step): whole numbers, at most four intervals, top >= largest."""
    step = nice_step(max(largest, 1) / MAX_TICK_INTERVALS)
    return step * max(1, math.ceil(max(largest, 1) / step)), step


def bar_chart(
    chart_id: str, title: str, categories: list[str], series: list[tuple[str, list[int]]]
) -> Chart:
    """A grouped bar chart: one group per category, one bar per series."""
    chart = Chart(chart_id, title, categories, series)
    plot_height = HEIGHT - TOP - BOTTOM
    chart.baseline = TOP + plot_height
    top, step = axis(max((v for _, values in series for v in values), default=0))
    for value in range(0, top + 1, step):
        chart.ticks.append((round(chart.baseline - plot_height * value / top, 2), value))
    plot_width = chart.plot_right - chart.plot_left
    group = plot_width / max(1, len(categories))
    inner = group * 0.8
    bar_width = inner / max(1, len(series))
    for s, (name, _values) in enumerate(series):
        chart.legend.append((name, PALETTE[s % len(PALETTE)]))
    # Long series (13 months) label every other group, so labels never overlap.
    label_every = math.ceil(len(categories) / MAX_CATEGORY_LABELS) or 1
    for c, category in enumerate(categories):
        x0 = chart.plot_left + c * group + (group - inner) / 2
        if c % label_every == 0:
            chart.labels.append((chart.plot_left + c * group + group / 2, category))
        for s, (name, values) in enumerate(series):
            value = values[c]
            height = plot_height * value / top
            chart.bars.append(
                Bar(
                    x=round(x0 + s * bar_width, 2),
                    y=round(chart.baseline - height, 2),
                    width=round(max(1.0, bar_width - 2), 2),
                    height=round(height, 2),
                    value=value,
                    category=category,
                    series=name,
                    colour=PALETTE[s % len(PALETTE)],
                )
            )
    return chart
