"""Charts as server-rendered SVG: geometry here, markup in templates/analysis/includes/*.svg.html.

No script and no style attributes (the CSP allows neither): positions are SVG attributes, colours come
from classes in static/css/analysis.css. Every chart is drawn beside a table with the same numbers,
which is what screen readers read; the SVG itself has a title and a one-line description.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

WIDTH = 720
PLOT_LEFT = 48  # room for the y axis labels
PLOT_TOP = 10
PLOT_BOTTOM = 34  # room for the x labels
MAX_X_LABELS = 12
MAX_SLOT = 80  # a column is at most this wide, so a single period is not drawn as a slab


@dataclass
class Column:
    x: float
    y: float
    width: float
    height: float
    label: str
    value_text: str


@dataclass
class Tick:
    y: float
    text: str


@dataclass
class XLabel:
    x: float
    text: str


@dataclass
class ColumnChart:
    title: str
    description: str
    width: int
    height: int
    columns: list[Column] = field(default_factory=list)
    ticks: list[Tick] = field(default_factory=list)
    x_labels: list[XLabel] = field(default_factory=list)
    baseline: float = 0.0
    plot_left: int = PLOT_LEFT
    plot_right: int = WIDTH

    @property
    def tick_x(self) -> int:
        return self.plot_left - 6

    @property
    def label_y(self) -> float:
        return self.baseline + 16


def nice_ticks(value: float, percent: bool = False) -> list[float]:
    """Axis ticks from 0 to a round maximum at or above value, at most five steps of 1, 2 or 5 × 10^k
    (whole numbers for counts: an axis of articles has no 2.5)."""
    if value <= 0:
        return [0.0, 1.0]
    raw = value / 4
    exponent = math.floor(math.log10(raw))
    step = next(m * 10**exponent for m in (1, 2, 5, 10) if m * 10**exponent >= raw)
    if not percent:
        step = max(1, round(step)) if step >= 1 else 1
    n = math.ceil(value / step - 1e-9)
    return [k * step for k in range(n + 1)]


def _format(value: float, percent: bool) -> str:
    if percent:
        return f"{value * 100:.0f}%" if value * 100 >= 10 or value == 0 else f"{value * 100:.1f}%"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def column_chart(
    points: list[tuple[str, float | None]],
    *,
    title: str,
    description: str,
    y_max: float | None = None,
    percent: bool = False,
    height: int = 180,
) -> ColumnChart:
    """Vertical columns, one per (label, value) in order; None is drawn as no column (not as zero)."""
    plot_height = height - PLOT_TOP - PLOT_BOTTOM
    ticks = nice_ticks(y_max if y_max is not None else max((v or 0 for _, v in points), default=0), percent)
    top = ticks[-1]
    chart = ColumnChart(title, description, WIDTH, height, baseline=PLOT_TOP + plot_height)
    n = max(1, len(points))
    slot = min((WIDTH - PLOT_LEFT) / n, MAX_SLOT)
    gap = min(2.0, slot * 0.2)
    for i, (label, value) in enumerate(points):
        x = PLOT_LEFT + i * slot
        if value is None:
            continue
        h = plot_height * (value / top) if top else 0
        y, width = round(chart.baseline - h, 2), round(max(slot - gap, 0.5), 2)
        chart.columns.append(Column(round(x + gap / 2, 2), y, width, round(h, 2), label, _format(value, percent)))
    for value in ticks:
        chart.ticks.append(Tick(round(chart.baseline - plot_height * value / top, 2), _format(value, percent)))
    # As many x labels as fit without overlapping (about 7 px a character at 11 px).
    widest = max((len(label) for label, _ in points), default=1) * 7 + 8
    every = max(1, math.ceil(widest / slot), math.ceil(n / MAX_X_LABELS))
    for i, (label, _) in enumerate(points):
        if i % every == 0:
            chart.x_labels.append(XLabel(round(PLOT_LEFT + (i + 0.5) * slot, 2), label))
    return chart


@dataclass
class Bar:
    y: float
    x: float
    width: float
    label: str
    value_text: str
    side: str  # "a" or "b"
    text_x: float = 0.0  # where the word is written: just past the bar's end
    anchor: str = "start"


@dataclass
class DivergingChart:
    title: str
    description: str
    width: int
    height: int
    middle: float
    bars: list[Bar] = field(default_factory=list)
    row_height: int = 18


def diverging_chart(rows: list[tuple[str, float]], *, title: str, description: str) -> DivergingChart:
    """Horizontal bars from a middle line: positive values to the right (A), negative to the left (B)."""
    row_height = 18
    height = max(row_height * len(rows) + 10, 40)
    half = (WIDTH - 2 * 110) / 2  # 110 px each side for the words
    middle = WIDTH / 2
    top = max((abs(v) for _, v in rows), default=0) or 1.0
    chart = DivergingChart(title, description, WIDTH, height, middle, row_height=row_height)
    for i, (label, value) in enumerate(rows):
        w = half * abs(value) / top if top else 0
        x = middle if value >= 0 else middle - w
        side = "a" if value >= 0 else "b"
        text_x = x + w + 4 if side == "a" else x - 4
        anchor = "start" if side == "a" else "end"
        chart.bars.append(
            Bar(5 + i * row_height, round(x, 2), round(w, 2), label, f"{value:.2f}", side, round(text_x, 2), anchor)
        )
    return chart
