"""Charts drawn on the server as SVG, each with a table of the same numbers.

The portal's CSP allows no script or inline style from anywhere but our own files, so a
chart is plain SVG with presentation attributes (``fill``, ``x``, ``height``), drawn by
``templates/charts/_chart.html`` from the geometry computed here; no JavaScript, no
charting library. Every chart carries a table of its numbers beside it: the exact
figures for staff, and the whole chart for a screen reader.

Days are Bangkok days (the law and the customers count in Thai time), whatever time
zone a request activated: the database groups rows with ``TruncDate`` in
Asia/Bangkok, which on PostgreSQL is ``(occurred_at AT TIME ZONE 'Asia/Bangkok')::date``
over an index range on ``occurred_at``.
"""

import datetime
import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count, QuerySet
from django.db.models.functions import TruncDate
from django.utils import dateformat, timezone
from django.utils.functional import cached_property
from django.utils.safestring import SafeString, mark_safe

from onespace import thaidates

BANGKOK = ZoneInfo("Asia/Bangkok")

# Colour-blind-safe (Okabe-Ito) and at least 3:1 against white, as WCAG 1.4.11 asks of
# graphical objects.
PALETTE = ("#0067a5", "#c0392b", "#6a3d9a", "#8a5a00", "#00734d", "#b3006b")

WIDTH = 640
HEIGHT = 180
MARGIN_LEFT = 40
MARGIN_BOTTOM = 22
MARGIN_TOP = 8
BAR_HEIGHT = 18
BAR_GAP = 6
LABEL_WIDTH = 200


def window(days: int, *, today: datetime.date | None = None) -> list[datetime.date]:
    """The last ``days`` Bangkok days, today included, oldest first."""
    today = today or timezone.localdate(timezone=BANGKOK)
    return [today - datetime.timedelta(days=days - 1 - i) for i in range(days)]


def start_of(day: datetime.date) -> datetime.datetime:
    """Midnight of ``day`` in Bangkok, the lower bound of an index range."""
    return datetime.datetime.combine(day, datetime.time(), tzinfo=BANGKOK)


def count_per_day(
    queryset: QuerySet[Any],
    *,
    since: datetime.datetime,
    by: str | None = None,
    field_name: str = "occurred_at",
    distinct: str | None = None,
) -> dict[Any, int]:
    """Rows of ``queryset`` from ``since`` counted per Bangkok day (and per ``by``).

    Keys are dates, or ``(date, value of by)`` pairs. ``distinct`` counts distinct
    values of that field instead of rows. One query, grouped in the database.
    """
    groups = ["day", by] if by else ["day"]
    rows = (
        queryset.filter(**{f"{field_name}__gte": since})
        .annotate(day=TruncDate(field_name, tzinfo=BANGKOK))
        .order_by()
        .values(*groups)
        .annotate(n=Count(distinct or "pk", distinct=bool(distinct)))
    )
    if by:
        return {(row["day"], row[by]): row["n"] for row in rows}
    return {row["day"]: row["n"] for row in rows}


def day_label(day: datetime.date) -> str:
    """A short axis label: ``25 พ.ย.`` in Thai, ``25 Nov`` otherwise."""
    if thaidates.is_thai():
        return f"{day.day} {thaidates.MONTHS_SHORT[day.month - 1]}"
    return dateformat.format(day, "j M")


@dataclass(frozen=True)
class Series:
    """One line of numbers: a label and a value per point."""

    label: str
    values: Sequence[int]
    colour: str = ""

    @property
    def total(self) -> int:
        return sum(self.values)


@dataclass(frozen=True)
class Shape:
    """A bar (``rect``) in SVG user units."""

    colour: str
    x: float = 0
    y: float = 0
    width: float = 0
    height: float = 0
    title: str = ""


@dataclass(frozen=True)
class Text:
    x: float
    y: float
    text: str
    anchor: str = "middle"


@dataclass
class Chart:
    """A chart ready for ``charts/_chart.html``: shapes, axis texts and the table."""

    id: str
    title: str
    width: int
    height: int
    series: list[Series]
    row_labels: list[str]
    row_heading: str = ""
    # A reader of the table looks for the latest days first; the picture reads left
    # to right, oldest first.
    newest_first: bool = False
    bars: list[Shape] = field(default_factory=list)
    texts: list[Text] = field(default_factory=list)
    gridlines: list[float] = field(default_factory=list)

    @property
    def rows(self) -> list[tuple[str, list[int]]]:
        """The table: one row per day or category, one column per series."""
        rows = [
            (label, [s.values[i] for s in self.series])
            for i, label in enumerate(self.row_labels)
        ]
        return rows[::-1] if self.newest_first else rows

    @property
    def totals(self) -> list[int]:
        return [s.total for s in self.series]

    @property
    def is_empty(self) -> bool:
        return not any(self.totals)

    @property
    def summary(self) -> str:
        """What the picture says, for ``aria-label``: each series and its total."""
        return "; ".join(f"{s.label}: {s.total}" for s in self.series)

    # The picture's and the table's repeated parts are written here rather than by
    # template loops: a 90-day chart is some 180 bars and 90 rows, each several
    # variables, which the template engine resolved one by one at about 7 times the
    # CPU of a trivial page (issue 15). The markup is the loops' own, byte for byte
    # (tests/onespace/test_charts.py renders both); every text is escaped.

    @cached_property
    def shapes_markup(self) -> SafeString:
        """The gridlines, bars and axis texts inside the ``<svg>``."""
        # html.escape is what Django's escape filter applies, without its lazy-string
        # wrapper: the same text, a third of the cost over 180 bars.
        escape = html.escape
        width = self.width
        gridlines = "".join(
            f'<line x1="40" x2="{width}" y1="{y}" y2="{y}" stroke="#d0d0d0"'
            ' stroke-width="1"/>'
            for y in self.gridlines
        )
        bars = "".join(
            f'<rect x="{bar.x}" y="{bar.y}" width="{bar.width}" height="{bar.height}"'
            f' fill="{escape(bar.colour)}"><title>{escape(bar.title)}</title></rect>'
            for bar in self.bars
        )
        texts = "".join(
            f'<text x="{text.x}" y="{text.y}" text-anchor="{escape(text.anchor)}"'
            f' font-size="11" fill="#333">{escape(str(text.text))}</text>'
            for text in self.texts
        )
        # One line each, indented as in the template.
        return mark_safe(f"{gridlines}\n      {bars}\n      {texts}")  # noqa: S308

    @cached_property
    def rows_markup(self) -> SafeString:
        """The table's body rows, one a line (empty when there are none)."""
        escape = html.escape
        return mark_safe(  # noqa: S308 (every text escaped)
            "".join(
                f'\n            <tr><th scope="row">{escape(str(label))}</th>'
                + "".join(f"<td>{value}</td>" for value in values)
                + "</tr>\n          "
                for label, values in self.rows
            )
        )


def _nice_max(value: int) -> int:
    """The top of the axis: the smallest of 1, 2, 5 × 10ⁿ at or above ``value``."""
    top = 1
    while True:
        for step in (1, 2, 5):
            if top * step >= value:
                return top * step
        top *= 10


def daily_chart(
    chart_id: str,
    title: str,
    days: Sequence[datetime.date],
    series: Iterable[Series],
    *,
    width: int = WIDTH,
    height: int = HEIGHT,
) -> Chart:
    """Counts per day as bars, several series side by side."""
    series = [
        Series(s.label, list(s.values), s.colour or PALETTE[i % len(PALETTE)])
        for i, s in enumerate(series)
    ]
    chart = Chart(
        id=chart_id,
        title=title,
        width=width,
        height=height,
        series=series,
        row_labels=[thaidates.format_date(day) for day in days],
        newest_first=True,
    )
    top = _nice_max(max((max(s.values, default=0) for s in series), default=0))
    plot_w = width - MARGIN_LEFT - 4
    plot_h = height - MARGIN_TOP - MARGIN_BOTTOM
    step = plot_w / max(len(days), 1)
    base = MARGIN_TOP + plot_h

    def y_of(value: int) -> float:
        return round(base - plot_h * value / top, 1)

    # Counts are whole numbers: no "0.5" on the axis of a chart whose top is 1.
    for value in sorted({0, top // 2, top}):
        y = y_of(value)
        chart.gridlines.append(y)
        chart.texts.append(Text(MARGIN_LEFT - 4, round(y + 4, 1), str(value), "end"))
    for index in sorted({0, len(days) // 2, len(days) - 1}):
        x = MARGIN_LEFT + step * index + step / 2
        anchor = (
            "start" if index == 0 else "end" if index == len(days) - 1 else "middle"
        )
        if index == 0:
            x = MARGIN_LEFT
        elif index == len(days) - 1:
            x = width - 4
        chart.texts.append(
            Text(round(x, 1), height - 6, day_label(days[index]), anchor)
        )
    # Side-by-side bars, one per series within each day's slot: counts are sparse
    # (a day with events among days without), which lines would draw as spikes.
    bar_w = step * 0.8 / max(len(series), 1)
    for position, one in enumerate(series):
        for index, value in enumerate(one.values):
            if not value:
                continue
            chart.bars.append(
                Shape(
                    colour=one.colour,
                    x=round(
                        MARGIN_LEFT + step * index + step * 0.1 + bar_w * position, 2
                    ),
                    y=y_of(value),
                    width=round(max(bar_w, 1), 2),
                    height=round(base - y_of(value), 1),
                    title=f"{chart.row_labels[index]}, {one.label}: {value}",
                )
            )
    return chart


def category_chart(
    chart_id: str,
    title: str,
    items: Sequence[tuple[str, int]],
    *,
    series_label: str,
    row_heading: str = "",
    width: int = WIDTH,
    colour: str = PALETTE[0],
) -> Chart:
    """One number per category as horizontal bars, the label left, the count right."""
    height = max(len(items), 1) * (BAR_HEIGHT + BAR_GAP) + BAR_GAP
    chart = Chart(
        id=chart_id,
        title=title,
        width=width,
        height=height,
        series=[Series(series_label, [n for _label, n in items], colour)],
        row_labels=[label for label, _n in items],
        row_heading=row_heading,
    )
    top = _nice_max(max((n for _label, n in items), default=0))
    plot_w = width - LABEL_WIDTH - 60
    for index, (label, value) in enumerate(items):
        y = BAR_GAP + index * (BAR_HEIGHT + BAR_GAP)
        bar_w = round(plot_w * value / top, 1)
        chart.texts.append(Text(LABEL_WIDTH - 6, y + 13, label, anchor="end"))
        if value:
            chart.bars.append(
                Shape(
                    colour=colour,
                    x=LABEL_WIDTH,
                    y=y,
                    width=bar_w,
                    height=BAR_HEIGHT,
                    title=f"{label}: {value}",
                )
            )
        chart.texts.append(Text(LABEL_WIDTH + bar_w + 6, y + 13, str(value), "start"))
    return chart
