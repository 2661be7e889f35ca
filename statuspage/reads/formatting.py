"""Words for times, durations and figures, the same on every page (the templates' filters).

Each is written in the language of the request (Flask-Babel's locale; English outside one),
with Babel's rules for that language's numbers and relative times.
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_skeleton, format_timedelta
from babel.numbers import format_decimal, parse_pattern
from flask_babel import get_locale, gettext, ngettext

# Whole units, largest first: a relative time says how many of the largest unit fit.
_UNITS = (365 * 86400, 30 * 86400, 7 * 86400, 86400, 3600, 60)


def reader_locale() -> Locale:
    """Return the locale figures are written in: the request's, or English outside one."""
    return get_locale() or Locale("en")


# The date part of a time, as a CLDR skeleton (which fields, not their order): each locale
# writes it its own way, "Mar 20" or "20 mars"; the clock is always 24-hour ("Hm").
SHORT_TIME = "MMMd"
LONG_TIME = "yMMMd"


def local_clock(moment: datetime, zone: ZoneInfo) -> str:
    """Return the time of day in `zone` on a 24-hour clock, naming the zone: "14:05 CET"."""
    local = moment.astimezone(zone)
    return f"{format_skeleton('Hm', local, locale=reader_locale())} {local.tzname()}"


def local_moment(moment: datetime, zone: ZoneInfo, skeleton: str = SHORT_TIME) -> str:
    """Return an aware datetime in `zone`, written the reader's way and naming the zone."""
    local = moment.astimezone(zone)
    locale = reader_locale()
    day = format_skeleton(skeleton, local, locale=locale)
    clock = format_skeleton("Hm", local, locale=locale)
    # The locale's own way of joining a date and a time ("{1}, {0}", "{1} {0}", "{1}{0}").
    joined = locale.datetime_formats["medium"].replace("'", "")
    return f"{joined.replace('{1}', day).replace('{0}', clock)} {local.tzname()}"


def relative_time(moment: datetime | None, now: datetime) -> str:
    """Return how long ago (or how far ahead) a moment is, in words: "2 hours ago"."""
    if moment is None:
        return ""
    seconds = (moment - now).total_seconds()
    if abs(seconds) < 60:
        return gettext("in less than a minute") if seconds > 0 else gettext("just now")
    size = next(size for size in _UNITS if abs(seconds) >= size)
    # Whole units, cut rather than rounded (59 min 59 s is 59 minutes), then Babel's words.
    whole = math.copysign(abs(seconds) // size * size, seconds)
    return format_timedelta(
        timedelta(seconds=whole), threshold=1, add_direction=True, locale=reader_locale()
    )


def format_duration(delta: timedelta) -> str:
    """Return a duration in words a reader takes in at a glance: "2 h 14 min", "3 days 4 h"."""
    minutes = int(delta.total_seconds() // 60)
    if minutes < 1:
        return gettext("less than a minute")
    days, rest = divmod(minutes, 1440)
    hours, minutes = divmod(rest, 60)
    if days:
        day_words = ngettext("%(num)d day", "%(num)d days", days)
        return gettext("%(days)s %(hours)d h", days=day_words, hours=hours) if hours else day_words
    if hours:
        if minutes:
            return gettext("%(hours)d h %(minutes)d min", hours=hours, minutes=minutes)
        return gettext("%(hours)d h", hours=hours)
    return gettext("%(minutes)d min", minutes=minutes)


def format_percent(value: float | None) -> str:
    """Return an uptime with two decimals, cut rather than rounded, or "No data".

    Cutting means 99.8996 reads 99.89 (not a target-meeting 99.90) and any downtime at all
    reads below 100. The locale's own percent pattern places the sign ("99,89 %" in French).
    """
    if value is None:
        return gettext("No data")
    # The tiny nudge keeps float noise (97.86999999 for 97.87) from cutting a whole hundredth.
    cut = Decimal(math.floor(value * 100 + 1e-9)) / 10000
    locale = reader_locale()
    pattern = parse_pattern(locale.percent_formats[None].pattern)
    pattern.frac_prec = (2, 2)
    return pattern.apply(cut, locale)


def format_minutes(value: float | None, locale: Locale | str | None = None) -> str:
    """Return minutes with at most one decimal and no grouping: "0", "12.5", "1440"."""
    if value is None:
        return ""
    return format_decimal(round(value, 1), format="0.#", locale=locale or reader_locale())


def format_number(value: float) -> str:
    """Return a whole number grouped the reader's way: "1,234", "1 234", "1.234"."""
    return format_decimal(round(value), locale=reader_locale())


def format_milliseconds(value: float) -> str:
    """Return a latency in whole milliseconds: "1,234 ms"."""
    return gettext("%(ms)s ms", ms=format_number(value))


# English pages keep the day they wrote before they were translated: "Mar 02, 2026".
_ENGLISH_DAYS = {"yMMMd": "MMM dd, y"}


def format_day(day: date, skeleton: str = "yMMMd") -> str:
    """Return a calendar day the reader's way: "Mar 02, 2026", "2 mars 2026"."""
    locale = reader_locale()
    if locale.language == "en" and skeleton in _ENGLISH_DAYS:
        return format_date(day, _ENGLISH_DAYS[skeleton], locale=locale)
    return format_skeleton(skeleton, day, locale=locale)


# The filters every public page uses, registered under their own names.
FILTERS = (
    relative_time,
    format_duration,
    format_percent,
    format_minutes,
    format_milliseconds,
)
