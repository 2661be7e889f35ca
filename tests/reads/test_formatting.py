"""Words for times, durations and figures, as every page prints them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from statuspage.reads.formatting import (
    format_duration,
    format_minutes,
    format_percent,
    format_seconds,
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
    ("seconds", "words"),
    [(60, "minute"), (120, "2 minutes"), (30, "30 seconds"), (90, "90 seconds")],
)
def test_format_seconds_reads_after_every(seconds, words) -> None:
    assert format_seconds(seconds) == words
