"""Bar charts drawn on the server as SVG geometry (the template turns it into <rect>s): no script, no inline style.

Colours come from CSS classes on each bar; every chart carries the table it was drawn from.
"""

import math
from dataclasses import dataclass, field

WIDTH, HEIGHT = 720, 240
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 48, 12, 12, 36


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    css_class: str
    title: str


@dataclass
class Tick:
    position: float
    text: str


@dataclass
class Chart:
    title: str
    slug: str
    bars: list
    x_labels: list
    y_ticks: list
    legend: list  # (css_class, label)
    table_head: list
    table_rows: list
    width: int = WIDTH
    height: int = HEIGHT
    plot_left: int = MARGIN_LEFT
    plot_right: int = WIDTH - MARGIN_RIGHT
    plot_top: int = MARGIN_TOP
    plot_bottom: int = HEIGHT - MARGIN_BOTTOM
    empty: bool = field(default=False)


def nice_ceiling(value):
    """The smallest 1, 2 or 5 × 10^n at or above value (at least 1)."""
    if value <= 1:
        return 1
    exponent = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * exponent >= value:
            return step * exponent
    return 10 * exponent


def stacked_bars(title, slug, categories, series, *, format_value=str, category_label="Week", axis_format=None):
    """A stacked bar chart.

    categories: [label], one bar per category; series: [(css_class, label, [value per category])].
    """
    axis_format = axis_format or (lambda value: f"{value:g}")
    totals = [sum(values[i] or 0 for _, _, values in series) for i in range(len(categories))]
    top = nice_ceiling(max(totals, default=0))
    plot_width = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    plot_height = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    slot = plot_width / max(len(categories), 1)
    bar_width = max(slot * 0.7, 1)
    bars, x_labels = [], []
    label_every = max(1, math.ceil(len(categories) / 12))
    for i, category in enumerate(categories):
        x = MARGIN_LEFT + i * slot + (slot - bar_width) / 2
        base = HEIGHT - MARGIN_BOTTOM
        for css_class, label, values in series:
            value = values[i] or 0
            if value <= 0:
                continue
            height = value / top * plot_height
            base -= height
            bars.append(
                Bar(
                    round(x, 1),
                    round(base, 1),
                    round(bar_width, 1),
                    round(height, 1),
                    css_class,
                    f"{category}: {format_value(value)} {label.lower()}".strip(),
                )
            )
        if i % label_every == 0:
            x_labels.append(Tick(round(x + bar_width / 2, 1), category))
    fractions = (0, 0.5, 1) if (top / 2).is_integer() else (0, 1)  # no "2.5 releases" on the axis
    y_ticks = [
        Tick(round(HEIGHT - MARGIN_BOTTOM - fraction * plot_height, 1), axis_format(top * fraction))
        for fraction in fractions
    ]
    head = [category_label, *(label for _, label, _ in series)]
    if len(series) > 1:
        head.append("Total")
    rows = []
    for i, category in enumerate(categories):
        row = [category, *(format_value(values[i]) if values[i] is not None else "—" for _, _, values in series)]
        if len(series) > 1:
            row.append(format_value(totals[i]))
        rows.append(row)
    return Chart(
        title=title,
        slug=slug,
        bars=bars,
        x_labels=x_labels,
        y_ticks=y_ticks,
        legend=[(css_class, label) for css_class, label, _ in series],
        table_head=head,
        table_rows=rows,
        empty=not any(totals),
    )
