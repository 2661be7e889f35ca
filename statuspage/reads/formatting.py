"""Words for times, durations and figures, the same on every page (the templates' filters)."""

from __future__ import annotations

import math
from datetime import datetime, timedelta


def relative_time(moment: datetime | None, now: datetime) -> str:
    """Return how long ago (or how far ahead) a moment is, in words: "2 hours ago"."""
    if moment is None:
        return ""
    seconds = (now - moment).total_seconds()
    future = seconds < 0
    seconds = abs(seconds)
    if seconds < 60:
        return "just now" if not future else "in less than a minute"
    unit, size = next(
        (unit, size)
        for unit, size in (
            ("year", 365 * 86400),
            ("month", 30 * 86400),
            ("day", 86400),
            ("hour", 3600),
            ("minute", 60),
        )
        if seconds >= size
    )
    count = int(seconds // size)
    words = f"{count} {unit}{'' if count == 1 else 's'}"
    return f"in {words}" if future else f"{words} ago"


def format_duration(delta: timedelta) -> str:
    """Return a duration in words a reader takes in at a glance: "2 h 14 min", "3 days 4 h"."""
    minutes = int(delta.total_seconds() // 60)
    if minutes < 1:
        return "less than a minute"
    days, rest = divmod(minutes, 1440)
    hours, minutes = divmod(rest, 60)
    if days:
        day_words = f"{days} day{'' if days == 1 else 's'}"
        return f"{day_words} {hours} h" if hours else day_words
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min"


def format_percent(value: float | None) -> str:
    """Return an uptime with two decimals, cut rather than rounded, or "No data".

    Cutting means 99.8996 reads 99.89 (not a target-meeting 99.90) and any downtime at all
    reads below 100.
    """
    if value is None:
        return "No data"
    # The tiny nudge keeps float noise (97.86999999 for 97.87) from cutting a whole hundredth.
    return f"{math.floor(value * 100 + 1e-9) / 100:.2f}%"


def format_minutes(value: float | None) -> str:
    """Return minutes with at most one decimal: "0", "12.5", "1440"."""
    if value is None:
        return ""
    return f"{round(value, 1):g}"


def format_seconds(seconds: int) -> str:
    """Return an interval as words that follow "every": "minute", "2 minutes", "30 seconds"."""
    if seconds % 60:
        return f"{seconds} seconds"
    minutes = seconds // 60
    return "minute" if minutes == 1 else f"{minutes} minutes"


# The filters every public page uses, registered under their own names.
FILTERS = (relative_time, format_duration, format_percent, format_minutes, format_seconds)
