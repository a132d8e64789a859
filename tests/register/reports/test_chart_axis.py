"""Chart axes count in whole numbers and never cut a bar off."""

from __future__ import annotations

import pytest

from register.reports.charts import axis, bar_chart


@pytest.mark.parametrize(
    ("largest", "top", "step"),
    [(0, 1, 1), (1, 1, 1), (4, 4, 1), (5, 6, 2), (13, 15, 5), (120, 150, 50), (1999, 2000, 500)],
)
def test_the_axis_has_whole_ticks_and_reaches_the_largest_value(largest, top, step):
    assert axis(largest) == (top, step)


def test_ticks_are_whole_numbers_and_long_series_label_every_other_month():
    months = [f"2026-{m:02d}" for m in range(1, 13)] + ["2027-01"]
    chart = bar_chart("c", "t", months, [("registrations", [5] * 13)])
    assert [value for _, value in chart.ticks] == [0, 2, 4, 6]
    assert [label for _, label in chart.labels] == months[::2]
