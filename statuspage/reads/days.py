"""Runs of calendar days and months, the walks the daily bars, uptime and charts share."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from statuspage.rules.uptime import day_bounds


def days_between(first: date, last: date) -> list[date]:
    """Return every day from `first` to `last`, both included, oldest first."""
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def months_back(today: date, count: int) -> list[date]:
    """Return the first days of this month and the `count - 1` before it, newest first."""
    months, month = [], today.replace(day=1)
    for _ in range(count):
        months.append(month)
        month = (month - timedelta(days=1)).replace(day=1)
    return months


def day_minutes(day: date, zone: ZoneInfo, now: datetime) -> float:
    """Return the minutes of a local day that have passed by `now` (23 h or 25 h on DST days)."""
    start, end = day_bounds(day, zone)
    return max((min(end, now) - start).total_seconds() / 60, 0.0)
