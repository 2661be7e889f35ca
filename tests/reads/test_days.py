"""Runs of days and months, and how long a local day is on the days clocks change."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from statuspage.reads.days import day_minutes, days_between, months_back

PARIS = ZoneInfo("Europe/Paris")


def test_days_between_includes_both_ends() -> None:
    assert days_between(date(2026, 2, 27), date(2026, 3, 2)) == [
        date(2026, 2, 27),
        date(2026, 2, 28),
        date(2026, 3, 1),
        date(2026, 3, 2),
    ]
    assert days_between(date(2026, 3, 2), date(2026, 3, 2)) == [date(2026, 3, 2)]


def test_months_back_cross_the_year_newest_first() -> None:
    assert months_back(date(2026, 2, 15), 3) == [
        date(2026, 2, 1),
        date(2026, 1, 1),
        date(2025, 12, 1),
    ]


def test_day_minutes_follow_the_clock_changes_and_now() -> None:
    later = datetime(2026, 12, 1, tzinfo=UTC)
    assert day_minutes(date(2026, 3, 29), PARIS, later) == 23 * 60  # clocks go forward
    assert day_minutes(date(2026, 10, 25), PARIS, later) == 25 * 60  # and back
    # Today counts only up to now (12:00 UTC is 13:00 in Paris in March), tomorrow not at all.
    now = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
    assert day_minutes(date(2026, 3, 20), PARIS, now) == 13 * 60
    assert day_minutes(date(2026, 3, 21), PARIS, now) == 0.0
