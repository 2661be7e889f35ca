"""Draw small charts as inline SVG on the server, so pages need no JavaScript to show them."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

# The drawing's own coordinate system; the SVG scales to its container's width.
WIDTH = 560
HEIGHT = 190
LEFT, RIGHT, TOP, BOTTOM = 50, 14, 12, 26
MAX_X_LABELS = 6


@dataclass(frozen=True)
class Series:
    """One line of a chart: a name for the legend, a CSS class for its colour, its values."""

    name: str
    css_class: str
    values: Sequence[float | None]


def nice_ceiling(value: float) -> float:
    """Return the smallest of 1, 2, 2.5, 5 x 10^n that is at least `value` (and at least 1)."""
    if value <= 1:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power  # unreachable: the loop ends at 10 x power


def _number(value: float) -> str:
    """Format a coordinate compactly (one decimal is plenty at this size)."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _segments(points: Sequence[tuple[float, float | None]]) -> list[list[tuple[float, float]]]:
    """Split points into runs without gaps: a missing value breaks the line."""
    runs: list[list[tuple[float, float]]] = []
    current: list[tuple[float, float]] = []
    for x, y in points:
        if y is None:
            if current:
                runs.append(current)
            current = []
        else:
            current.append((x, y))
    if current:
        runs.append(current)
    return runs


def line_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    x_labels: Sequence[str],
    series: Sequence[Series],
) -> Markup:
    """Return an accessible SVG line chart; every text is escaped, gaps stay gaps.

    `x_labels` names each point (one per value); only a few are printed under the axis. The
    vertical axis prints bare numbers: say the unit in the title.
    """
    count = len(x_labels)
    known = [v for s in series for v in s.values if v is not None]
    top = nice_ceiling(max(known)) if known else 1.0
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x_at(index: int) -> float:
        return LEFT + (plot_w * index / (count - 1) if count > 1 else plot_w / 2)

    def y_at(value: float) -> float:
        return TOP + plot_h * (1 - value / top)

    title_id, desc_id = f"{chart_id}-title", f"{chart_id}-desc"
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{escape(title_id)} {escape(desc_id)}" id="{escape(chart_id)}">',
        f'<title id="{escape(title_id)}">{escape(title)}</title>',
        f'<desc id="{escape(desc_id)}">{escape(description)}</desc>',
    ]
    # Horizontal grid lines with their values: 0, a quarter, half, three quarters, the top.
    for step in range(5):
        value = top * step / 4
        y = _number(y_at(value))
        parts.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y}" y2="{y}"/>')
        label = f"{value:g}"
        parts.append(
            f'<text class="axis" x="{LEFT - 6}" y="{y}" text-anchor="end" '
            f'dominant-baseline="middle">{escape(label)}</text>'
        )
    # A few labels along the time axis, always ending with the most recent point; every other
    # one (counting from that end) is marked "alt" so a narrow screen can hide it.
    every = max(1, math.ceil(count / MAX_X_LABELS))
    shown = list(range(0, count, every))
    if shown and shown[-1] != count - 1:
        if len(shown) > 1:
            shown.pop()  # it would crowd the last label
        shown.append(count - 1)
    for position, index in enumerate(shown):
        anchor = "middle"
        if count > 1 and index == 0:
            anchor = "start"
        elif count > 1 and index == count - 1:
            anchor = "end"
        alt = " alt" if (len(shown) - 1 - position) % 2 else ""
        parts.append(
            f'<text class="axis{alt}" x="{_number(x_at(index))}" y="{HEIGHT - 8}" '
            f'text-anchor="{anchor}">{escape(x_labels[index])}</text>'
        )
    for line in series:
        points = [(x_at(i), v) for i, v in enumerate(line.values)]
        for run in _segments(points):
            if len(run) == 1:
                x, y = run[0]
                parts.append(
                    f'<circle class="{escape(line.css_class)}" cx="{_number(x)}" '
                    f'cy="{_number(y_at(y))}" r="2.5"/>'
                )
            else:
                coords = " ".join(f"{_number(x)},{_number(y_at(y))}" for x, y in run)
                parts.append(f'<polyline class="{escape(line.css_class)}" points="{coords}"/>')
    if not known:
        parts.append(
            f'<text class="empty" x="{LEFT + plot_w / 2:g}" y="{TOP + plot_h / 2:g}" '
            'text-anchor="middle">No results in this period</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every variable part above is escaped
