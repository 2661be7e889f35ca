"""The home page's 90 daily uptime bars (fewer on narrow screens), the table of every day
behind them, and the home page's list of the last 15 days' incidents."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from statuspage.reads.days import days_between
from statuspage.reads.incidents import (
    PastIncident,
    event_span,
    event_start,
    incidents_between,
    past_incident,
    unresolved_incidents,
)
from statuspage.reads.status import shown_component
from statuspage.reads.uptime import day_figures
from statuspage.rules import combine_days, day_colour, day_level
from statuspage.rules.uptime import day_bounds
from statuspage.store.models import Component, Incident
from statuspage.vocabulary import ComponentStatus

BAR_DAYS = 90
# How many of the newest bars a screen shows, narrowest first (the stylesheet picks one by
# width, as Statuspage does); each has its own uptime figure, so the figure matches the bars.
BAR_SPANS = (30, 60, 90)
PAST_INCIDENT_DAYS = 15


def bar_legend() -> list[tuple[str, str]]:
    """Return the legend of the daily bars: a colour and the weighted minutes it stands for."""
    return [
        (day_colour(0), "No downtime"),
        (day_colour(20), "Up to 20 min"),
        (day_colour(40), "20 to 40 min"),
        (day_colour(60), "Over 40 min"),
        (day_colour(None), "No data"),
    ]


@dataclass
class DayBar:
    """One day of a component's uptime bars; `downtime` is None when the day has no data."""

    day: date
    uptime: float | None
    downtime: float | None
    level: str
    colour: str
    events: list[Incident]
    # Minutes in each status (None: no data), empty when the day was never rolled up.
    minutes: Mapping[ComponentStatus | None, float] = field(default_factory=dict)


@dataclass
class UptimeBars:
    """A component's daily bars, oldest first, and its uptime over the whole period."""

    days: list[DayBar]
    uptime: float | None
    # The uptime over each span of BAR_SPANS newest days, by span.
    spans: dict[int, float | None] = field(default_factory=dict)


def uptime_bars(
    component_ids: list[int], now: datetime, zone: ZoneInfo, days: int = BAR_DAYS
) -> dict[int, UptimeBars]:
    """Return each component's bars for the last `days` local days, today last."""
    last = now.astimezone(zone).date()
    first = last - timedelta(days=days - 1)
    stored = day_figures(component_ids, first, last)
    events = _events_by_component_day(day_bounds(first, zone)[0], now, zone)
    result: dict[int, UptimeBars] = {}
    for component_id in component_ids:
        by_day = {figures.day: figures for figures in stored[component_id]}
        bars = []
        for day in days_between(first, last):
            figures = by_day.get(day)
            # A day whose minutes are all "no data" has no uptime: it is grey, not green.
            downtime = figures.weighted_downtime if figures and figures.uptime is not None else None
            bars.append(
                DayBar(
                    day=day,
                    uptime=figures.uptime if figures else None,
                    downtime=downtime,
                    level=day_level(downtime),
                    colour=day_colour(downtime),
                    events=events.get((component_id, day), []),
                    minutes=figures.minutes if figures else {},
                )
            )
        spans = {
            span: combine_days(
                f for f in stored[component_id] if f.day > last - timedelta(span)
            ).uptime
            for span in BAR_SPANS
            if span <= days
        }
        result[component_id] = UptimeBars(bars, combine_days(stored[component_id]).uptime, spans)
    return result


def _events_by_component_day(
    start: datetime, now: datetime, zone: ZoneInfo
) -> dict[tuple[int, date], list[Incident]]:
    """Return the incidents and maintenances under way on each component's each local day."""
    # Events that started or ended in the period, and those still open from before it.
    found = {
        i.id: i for i in [*incidents_between(start, now, timelines=False), *unresolved_incidents()]
    }
    result: dict[tuple[int, date], list[Incident]] = defaultdict(list)
    for incident in sorted(found.values(), key=event_start):
        span = event_span(incident, now)
        if span is None:
            continue
        first = max(span[0], start).astimezone(zone).date()
        last = span[1].astimezone(zone).date()
        for affected in incident.affected:
            for day in days_between(first, last):
                result[(affected.component_id, day)].append(incident)
    return result


@dataclass
class IncidentDay:
    """One local day of the past-incidents list (empty on a quiet day)."""

    day: date
    incidents: list[PastIncident]


def past_incidents(
    now: datetime, zone: ZoneInfo, days: int = PAST_INCIDENT_DAYS
) -> list[IncidentDay]:
    """Return the last `days` local days, newest first, each with the events that began then."""
    today = now.astimezone(zone).date()
    first = today - timedelta(days=days - 1)
    by_day: dict[date, list[PastIncident]] = defaultdict(list)
    for incident in incidents_between(day_bounds(first, zone)[0], now):
        day = event_start(incident).astimezone(zone).date()
        if first <= day <= today and event_start(incident) <= now:
            by_day[day].append(past_incident(incident))
    return [IncidentDay(day, by_day.get(day, [])) for day in reversed(days_between(first, today))]


@dataclass
class DayTable:
    """One component's last BAR_DAYS days as a table: the figures behind its bars."""

    component: Component
    bars: UptimeBars

    @property
    def newest_first(self) -> list[DayBar]:
        """Return the days, today first."""
        return self.bars.days[::-1]


def day_table(slug: str, now: datetime, zone: ZoneInfo) -> DayTable | None:
    """Return the day table of a visible, non-group component, or None if there is none."""
    component = shown_component(slug)
    if component is None:
        return None
    return DayTable(component, uptime_bars([component.id], now, zone)[component.id])
