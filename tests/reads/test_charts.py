"""The inline SVG charts: scales, gaps in the lines, escaped text, and an empty chart."""

from __future__ import annotations

import pytest

from statuspage.reads.charts import Series, line_chart, nice_ceiling


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
