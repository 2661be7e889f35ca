"""The small pure helpers behind the pages: times and figures in words, and SVG charts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from statuspage.reads.charts import Series, line_chart, nice_ceiling
from statuspage.reads.presenters import (
    format_duration,
    format_minutes,
    format_percent,
    relative_time,
)

NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("delta", "words"),
    [
        (timedelta(seconds=5), "just now"),
        (timedelta(minutes=1), "1 minute ago"),
        (timedelta(minutes=59, seconds=59), "59 minutes ago"),
        (timedelta(hours=2, minutes=10), "2 hours ago"),
        (timedelta(days=1), "1 day ago"),
        (timedelta(days=45), "1 month ago"),
        (timedelta(days=800), "2 years ago"),
        (-timedelta(hours=3), "in 3 hours"),
        (-timedelta(seconds=10), "in less than a minute"),
    ],
)
def test_relative_time(delta, words) -> None:
    assert relative_time(NOW - delta, NOW) == words


def test_relative_time_of_nothing_is_empty() -> None:
    assert relative_time(None, NOW) == ""


@pytest.mark.parametrize(
    ("delta", "words"),
    [
        (timedelta(seconds=59), "less than a minute"),
        (timedelta(minutes=42), "42 min"),
        (timedelta(hours=2), "2 h"),
        (timedelta(hours=2, minutes=14), "2 h 14 min"),
        (timedelta(days=1), "1 day"),
        (timedelta(days=3, hours=4, minutes=5), "3 days 4 h"),
    ],
)
def test_format_duration(delta, words) -> None:
    assert format_duration(delta) == words


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "No data"),
        (100.0, "100.00%"),
        (99.8996, "99.89%"),
        (99.99999, "99.99%"),
        (0.0, "0.00%"),
    ],
)
def test_format_percent_cuts_rather_than_rounds(value, text) -> None:
    assert format_percent(value) == text


def test_format_minutes() -> None:
    assert [format_minutes(v) for v in (0, 12.0, 12.345, 1440, None)] == [
        "0",
        "12",
        "12.3",
        "1440",
        "",
    ]


@pytest.mark.parametrize(
    ("value", "ceiling"), [(0, 1), (3, 5), (180, 200), (240, 250), (1001, 2000)]
)
def test_nice_ceiling(value, ceiling) -> None:
    assert nice_ceiling(value) == ceiling


def test_line_chart_breaks_lines_at_gaps_and_escapes_text() -> None:
    svg = line_chart(
        chart_id="c1",
        title='Latency <from> "here"',
        description="Summary & more",
        x_labels=["a", "b", "c", "d", "e"],
        series=[Series("Median", "p50", [100, 120, None, 90, None])],
    )
    assert svg.startswith('<svg class="chart"') and svg.endswith("</svg>")
    assert 'aria-labelledby="c1-title c1-desc"' in svg
    assert '<title id="c1-title">Latency &lt;from&gt; &#34;here&#34;</title>' in svg
    assert '<desc id="c1-desc">Summary &amp; more</desc>' in svg
    assert svg.count("<polyline") == 1  # a and b joined
    assert svg.count("<circle") == 1  # d alone
    assert "No results in this period" not in svg


def test_line_chart_without_data_says_so() -> None:
    svg = line_chart(
        chart_id="c2",
        title="t",
        description="d",
        x_labels=[str(n) for n in range(24)],
        series=[Series("Median", "p50", [None] * 24)],
    )
    assert "No results in this period" in svg
    assert "<polyline" not in svg
    assert svg.count('class="axis') == 5 + 6  # five values, six times (the last one included)
    assert ">23</text>" in svg
