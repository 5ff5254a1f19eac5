"""Server-drawn charts: bars in proportion to the numbers, whole-number axes, BE labels."""

from datetime import date

import pytest
from django.template import Context, Template
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


# The loops _chart.html drew the picture and the table with before issue 15 moved them
# into Chart.shapes_markup and Chart.rows_markup for speed: the customer's markup must
# stay the same, byte for byte, escaping included.
LOOPS = Template(
    """{% for y in chart.gridlines %}<line x1="40" x2="{{ chart.width }}" y1="{{ y|stringformat:'s' }}" y2="{{ y|stringformat:'s' }}" stroke="#d0d0d0" stroke-width="1"/>{% endfor %}
      {% for bar in chart.bars %}<rect x="{{ bar.x|stringformat:'s' }}" y="{{ bar.y|stringformat:'s' }}" width="{{ bar.width|stringformat:'s' }}" height="{{ bar.height|stringformat:'s' }}" fill="{{ bar.colour }}"><title>{{ bar.title }}</title></rect>{% endfor %}
      {% for text in chart.texts %}<text x="{{ text.x|stringformat:'s' }}" y="{{ text.y|stringformat:'s' }}" text-anchor="{{ text.anchor }}" font-size="11" fill="#333">{{ text.text }}</text>{% endfor %}|{% for label, values in chart.rows %}
            <tr><th scope="row">{{ label }}</th>{% for value in values %}<td>{{ value }}</td>{% endfor %}</tr>
          {% endfor %}"""  # noqa: E501
)


@pytest.mark.parametrize("language", ["th", "en"])
def test_markup_is_what_the_template_loops_drew(language):
    hostile = "A <b>\"&'</b>"
    with translation.override(language):
        days = charts.window(90, today=date(2026, 11, 20))
        daily = charts.daily_chart(
            "c",
            "t",
            days,
            [
                charts.Series(hostile, [i * 37 % 1500 for i in range(90)]),
                charts.Series("b", [i % 3 for i in range(90)]),
            ],
            width=400,
            height=130,
        )
        category = charts.category_chart(
            "k", "t", [(hostile, 1234), ("y", 5), ("z", 0)], series_label="n"
        )
        for chart in (daily, category):
            expected = LOOPS.render(Context({"chart": chart}))
            assert f"{chart.shapes_markup}|{chart.rows_markup}" == expected
            assert "<b>" not in chart.shapes_markup + chart.rows_markup
