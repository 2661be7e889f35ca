"""Uptime rules: minutes per status, the uptime percentage, daily figures and day colours."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from statuspage.vocabulary import ComponentStatus

# A partial outage costs this fraction of a minute of downtime per minute.
PARTIAL_WEIGHT = 0.3

# A change point: from `since` on, the component had this status (None: no data).
ChangePoint = tuple[datetime, ComponentStatus | None]
Minutes = Mapping[ComponentStatus | None, float]


def _utc(moment: datetime) -> datetime:
    """Return an aware datetime in UTC, refusing naive ones."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment!r}: pass an aware UTC datetime")
    # Arithmetic between datetimes sharing a zoneinfo ignores DST; in UTC it cannot go wrong.
    return moment.astimezone(UTC)


def minutes_by_status(
    history: Sequence[ChangePoint], start: datetime, end: datetime
) -> dict[ComponentStatus | None, float]:
    """Return the minutes of [start, end) spent in each status (only statuses with time).

    Time before the first change point counts as None (no data). Change points before `start`
    set the status at `start`; change points at or after `end` are ignored.
    """
    start, end = _utc(start), _utc(end)
    totals: dict[ComponentStatus | None, float] = {}
    if end <= start:
        return totals
    points = sorted(
        (
            (_utc(since), None if status is None else ComponentStatus(status))
            for since, status in history
        ),
        key=lambda point: point[0],
    )
    # Each status lasts from its change point until the next one; the last lasts forever.
    boundaries: list[ChangePoint] = [(start, None)]
    for since, status in points:
        if since <= start:
            boundaries[0] = (start, status)
        elif since < end:
            boundaries.append((since, status))
    boundaries.append((end, None))
    for (since, status), (until, _) in zip(boundaries, boundaries[1:], strict=False):
        minutes = (until - since).total_seconds() / 60
        if minutes > 0:
            totals[status] = totals.get(status, 0.0) + minutes
    return totals


def weighted_downtime(minutes: Minutes) -> float:
    """Return the weighted downtime minutes: major outage + 0.3 x partial outage."""
    return minutes.get(ComponentStatus.MAJOR_OUTAGE, 0.0) + PARTIAL_WEIGHT * minutes.get(
        ComponentStatus.PARTIAL_OUTAGE, 0.0
    )


def uptime_percent(minutes: Minutes) -> float | None:
    """Return the uptime percentage over the minutes with data, or None without data.

    Degraded performance and maintenance count no downtime but do count as time with data;
    minutes without data (None) count neither way, so a gap never reads as uptime.
    """
    with_data = sum(value for status, value in minutes.items() if status is not None)
    if with_data <= 0:
        return None
    return 100 * (1 - weighted_downtime(minutes) / with_data)


@dataclass(frozen=True)
class Figures:
    """Minutes per status over some period, with the uptime and downtime they give."""

    minutes: Mapping[ComponentStatus | None, float]
    uptime: float | None
    weighted_downtime: float


@dataclass(frozen=True)
class DayFigures:
    """The figures of one local calendar day, as a daily rollup stores them."""

    day: date
    minutes: Mapping[ComponentStatus | None, float]
    uptime: float | None
    weighted_downtime: float


def figures_from(minutes: dict[ComponentStatus | None, float]) -> Figures:
    """Return the figures for these minutes."""
    return Figures(minutes, uptime_percent(minutes), weighted_downtime(minutes))


def day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """Return the UTC instants at which a local calendar day starts and ends."""
    start = datetime.combine(day, time(0), tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    return _utc(start), _utc(end)


def daily_figures(
    history: Sequence[ChangePoint],
    first_day: date,
    last_day: date,
    tz: ZoneInfo,
    until: datetime | None = None,
) -> list[DayFigures]:
    """Return the figures of each local calendar day from first_day to last_day inclusive.

    Days run from local midnight to local midnight in `tz`, so a DST day lasts 23 or 25 hours.
    Time at or after `until` (pass now) is left out entirely, so today's figures cover only
    the elapsed part of the day and a future day has no minutes at all.
    """
    days: list[DayFigures] = []
    day = first_day
    while day <= last_day:
        start, end = day_bounds(day, tz)
        if until is not None:
            end = max(start, min(end, _utc(until)))
        figures = figures_from(minutes_by_status(history, start, end))
        days.append(DayFigures(day, figures.minutes, figures.uptime, figures.weighted_downtime))
        day += timedelta(days=1)
    return days


def combine_days(days: Iterable[DayFigures | Figures]) -> Figures:
    """Return the figures of a range of days: minutes summed, uptime recomputed from them."""
    totals: dict[ComponentStatus | None, float] = {}
    for figures in days:
        for status, minutes in figures.minutes.items():
            totals[status] = totals.get(status, 0.0) + minutes
    return figures_from(totals)


def mean_uptime(values: Iterable[float | None]) -> float | None:
    """Return the mean of the known uptimes (a group's uptime), or None when none is known."""
    known = [value for value in values if value is not None]
    if not known:
        return None
    return sum(known) / len(known)


# Day colours: the reference's green, yellow, orange and red, and a grey for "no data".
NO_DATA_COLOUR = "#b3bac5"
GREEN = "#2fcc66"
YELLOW = "#f1c40f"
ORANGE = "#e67e22"
RED = "#e74c3c"

# (weighted minutes, colour) stops; between two stops the colour is interpolated.
COLOUR_STOPS: tuple[tuple[float, str], ...] = ((0, GREEN), (20, YELLOW), (40, ORANGE), (60, RED))


def _mix(low: str, high: str, fraction: float) -> str:
    """Return the hex colour `fraction` of the way from `low` to `high`."""
    channels = []
    for offset in (1, 3, 5):
        a, b = int(low[offset : offset + 2], 16), int(high[offset : offset + 2], 16)
        # Round half up (not to even), so the colours are easy to compute by hand.
        channels.append(int(a + (b - a) * fraction + 0.5))
    return "#" + "".join(f"{channel:02x}" for channel in channels)


def _check_minutes(weighted_minutes: float) -> None:
    """Refuse negative downtime, which only a bug can produce."""
    if weighted_minutes < 0:
        raise ValueError(f"negative weighted downtime {weighted_minutes!r}")


def day_colour(weighted_minutes: float | None) -> str:
    """Return a day bar's CSS colour from its weighted downtime minutes (None: no data).

    0 is green; above that the colour shades to yellow at 20, orange at 40 and red at 60;
    beyond 60 it stays fully red.
    """
    if weighted_minutes is None:
        return NO_DATA_COLOUR
    _check_minutes(weighted_minutes)
    for (low, low_colour), (high, high_colour) in zip(COLOUR_STOPS, COLOUR_STOPS[1:], strict=False):
        if weighted_minutes <= high:
            return _mix(low_colour, high_colour, (weighted_minutes - low) / (high - low))
    return RED


def day_level(weighted_minutes: float | None) -> str:
    """Return a day bar's level name for CSS: nodata, ok, minor, partial or major.

    None -> nodata; 0 -> ok; up to 20 -> minor; up to 40 -> partial; above 40 -> major.
    """
    if weighted_minutes is None:
        return "nodata"
    _check_minutes(weighted_minutes)
    if weighted_minutes == 0:
        return "ok"
    if weighted_minutes <= 20:
        return "minor"
    if weighted_minutes <= 40:
        return "partial"
    return "major"


Interval = tuple[datetime, datetime]


def coverage(times: Iterable[datetime], gap: timedelta) -> list[Interval]:
    """Return the merged intervals with data: each result vouches for `gap` after it."""
    intervals: list[Interval] = []
    for moment in sorted(_utc(t) for t in times):
        if intervals and moment <= intervals[-1][1]:
            intervals[-1] = (intervals[-1][0], max(intervals[-1][1], moment + gap))
        else:
            intervals.append((moment, moment + gap))
    return intervals


def _inside(moment: datetime, intervals: Sequence[Interval]) -> bool:
    return any(begin <= moment < end for begin, end in intervals)


def compose_timeline(
    history: Sequence[ChangePoint],
    covered: Sequence[Interval] | None,
    maintenance: Sequence[Interval],
    start: datetime,
    end: datetime,
) -> list[ChangePoint]:
    """Return the change points of [start, end) once gaps and maintenance are laid over.

    Outside the `covered` intervals there is no data (None), whatever the history says;
    `covered=None` means everything after the first history entry has data (a component
    that only staff set). Inside a maintenance window the status is under_maintenance, so
    planned work is never downtime, even if no process recorded the change.
    """
    start, end = _utc(start), _utc(end)
    points = sorted(((_utc(t), s) for t, s in history), key=lambda p: p[0])
    windows = [(_utc(a), _utc(b)) for a, b in maintenance]
    spans = None if covered is None else [(_utc(a), _utc(b)) for a, b in covered]
    moments = {start}
    moments.update(t for t, _ in points if start < t < end)
    for begin, finish in [*windows, *(spans or [])]:
        moments.update(m for m in (begin, finish) if start < m < end)

    def status_at(moment: datetime) -> ComponentStatus | None:
        recorded = None
        for since, status in points:
            if since > moment:
                break
            recorded = status
        if recorded is None or (spans is not None and not _inside(moment, spans)):
            return None
        if _inside(moment, windows):
            return ComponentStatus.UNDER_MAINTENANCE
        return ComponentStatus(recorded)

    timeline: list[ChangePoint] = []
    for moment in sorted(moments):
        status = status_at(moment)
        if not timeline or timeline[-1][1] != status:
            timeline.append((moment, status))
    return timeline
