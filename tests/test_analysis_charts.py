"""Chart geometry (articles/analysis/charts.py): honest axes and labels that do not overlap."""

from __future__ import annotations

import pytest

from articles.analysis.charts import column_chart, diverging_chart, nice_ticks


@pytest.mark.parametrize(
    "value, ticks",
    [(9, [0, 5, 10]), (4, [0, 1, 2, 3, 4]), (57, [0, 20, 40, 60]), (1, [0, 1]), (0, [0, 1])],
)
def test_count_axes_have_whole_ticks(value, ticks):
    assert nice_ticks(value) == ticks


def test_share_axes_may_have_fractions():
    assert nice_ticks(0.25, percent=True) == pytest.approx([0, 0.1, 0.2, 0.3])


def test_columns_are_proportional_and_none_is_not_zero():
    chart = column_chart([("a", 10), ("b", 5), ("c", None), ("d", 0)], title="t", description="d")
    heights = {c.label: c.height for c in chart.columns}
    assert heights["a"] == pytest.approx(2 * heights["b"])
    assert "c" not in heights and heights["d"] == 0
    assert chart.ticks[-1].text == "10" and chart.ticks[0].y == chart.baseline


def test_x_labels_do_not_overlap():
    points = [(f"2022-01-{d:02d}", d) for d in range(1, 32)]
    chart = column_chart(points, title="t", description="d")
    xs = [label.x for label in chart.x_labels]
    assert len(xs) >= 2
    assert min(b - a for a, b in zip(xs, xs[1:], strict=False)) >= len("2022-01-01") * 7


def test_diverging_bars_point_to_their_side():
    chart = diverging_chart([("forces", 2.4), ("soviet", -2.2)], title="t", description="d")
    a, b = chart.bars
    assert a.side == "a" and a.x == chart.middle and a.anchor == "start"
    assert b.side == "b" and b.x + b.width == pytest.approx(chart.middle) and b.anchor == "end"
    assert a.width > b.width
