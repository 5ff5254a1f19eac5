"""Server-drawn charts: bars in proportion to the numbers, whole-number axes, BE labels."""

from datetime import date

from django.utils import translation

from onespace import charts

DAYS = [date(2026, 11, 18), date(2026, 11, 19), date(2026, 11, 20)]


def test_bars_are_in_proportion_and_zero_days_have_none():
    chart = charts.daily_chart("c", "t", DAYS, [charts.Series("a", [0, 2, 4])])
    assert len(chart.bars) == 2
    low, high = chart.bars
    assert high.height == 2 * low.height
    assert low.y + low.height == high.y + high.height  # one baseline
    axis = [t.text for t in chart.texts if t.anchor == "end" and t.x < 40]
    assert axis == ["0", "2", "5"]  # top rounded up to 1, 2 or 5 × 10ⁿ, no fractions


def test_series_sit_side_by_side_within_a_day():
    chart = charts.daily_chart(
        "c", "t", DAYS, [charts.Series("a", [0, 0, 1]), charts.Series("b", [0, 0, 1])]
    )
    first, second = chart.bars
    assert second.x >= first.x + first.width
    assert first.colour != second.colour
    assert chart.rows[0] == (chart.row_labels[2], [1, 1])  # newest day first
    assert chart.summary == "a: 1; b: 1"


def test_labels_are_buddhist_era_in_thai_and_common_era_in_english():
    with translation.override("th"):
        chart = charts.daily_chart("c", "t", DAYS, [charts.Series("a", [1, 1, 1])])
    assert chart.row_labels[0] == "18 พ.ย. 2569"
    with translation.override("en"):
        chart = charts.daily_chart("c", "t", DAYS, [charts.Series("a", [1, 1, 1])])
    assert chart.row_labels[0] == "18 Nov 2026"


def test_category_bars_scale_to_the_largest():
    chart = charts.category_chart(
        "c", "t", [("x", 10), ("y", 5), ("z", 0)], series_label="n"
    )
    assert [b.title for b in chart.bars] == ["x: 10", "y: 5"]
    assert chart.bars[0].width == 2 * chart.bars[1].width
    assert chart.totals == [15]
