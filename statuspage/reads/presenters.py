"""Gather what the public sees from the database, once, for pages, feeds and the API alike."""

from __future__ import annotations

import csv
import io
import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from markupsafe import Markup
from sqlalchemy import func

from probes import describe
from statuspage.config import SiteConfig, StatusConfig
from statuspage.reads.charts import Series, line_chart
from statuspage.reads.incidents import (
    TimelineEntry,
    get_incident,
    incidents_between,
    list_incidents,
    live_status,
    maintenances,
    timeline,
    unresolved_incidents,
)
from statuspage.reads.incidents import duration as incident_duration
from statuspage.reads.status import shown_statuses, visible_components
from statuspage.reads.uptime import day_figures
from statuspage.rules import (
    UPDATE_LABELS,
    DayFigures,
    combine_days,
    day_colour,
    day_level,
    page_status,
    worst_status,
)
from statuspage.rules.latency import latency_percentiles
from statuspage.rules.uptime import day_bounds
from statuspage.store.db import db, findable
from statuspage.store.models import (
    Component,
    Incident,
    IncidentUpdate,
    ProbeResult,
    ProbeRollup,
    ProbeState,
    StatusChange,
)
from statuspage.vocabulary import (
    ACTIVE_MAINTENANCE_STATUSES,
    UNRESOLVED_INCIDENT_STATUSES,
    ComponentStatus,
    Impact,
    MaintenanceStatus,
)


@dataclass
class ComponentView:
    """A component or group as shown: its current status and, for a group, its children."""

    component: Component
    status: ComponentStatus
    children: list[ComponentView] = field(default_factory=list)


@dataclass
class MaintenanceView:
    """A maintenance with its status as of now (time moves it even with no process running)."""

    maintenance: Incident
    status: MaintenanceStatus


@dataclass
class PageSummary:
    """Everything the top of the public page and the summary API show."""

    site: SiteConfig
    components: list[ComponentView]
    indicator: str
    description: str
    incidents: list[Incident]
    active_maintenances: list[MaintenanceView]
    upcoming_maintenances: list[MaintenanceView]
    updated_at: datetime | None


def page_summary(site: SiteConfig, now: datetime) -> PageSummary:
    """Build the current summary of the page from stored state."""
    components = visible_components()
    tree = _component_tree(components, shown_statuses(components, now))
    leaves = [leaf for view in tree for leaf in (view.children or [view])]

    incidents = unresolved_incidents()
    active, upcoming = _maintenances(now)
    indicator, description = page_status(
        [leaf.status for leaf in leaves], [Impact(i.impact) for i in incidents]
    )
    return PageSummary(
        site=site,
        components=tree,
        indicator=indicator,
        description=description,
        incidents=incidents,
        active_maintenances=active,
        upcoming_maintenances=upcoming,
        updated_at=last_change(),
    )


def _component_tree(
    components: list[Component], statuses: dict[int, ComponentStatus]
) -> list[ComponentView]:
    views = {
        c.id: ComponentView(c, statuses.get(c.id, ComponentStatus.OPERATIONAL)) for c in components
    }
    top: list[ComponentView] = []
    for component in components:
        view = views[component.id]
        parent = views.get(component.group_id) if component.group_id else None
        (parent.children if parent else top).append(view)
    for view in top:
        if view.component.is_group and view.children:
            view.status = worst_status(child.status for child in view.children)
    return [view for view in top if not (view.component.is_group and not view.children)]


def _maintenances(now: datetime) -> tuple[list[MaintenanceView], list[MaintenanceView]]:
    """Return active and upcoming maintenances, each soonest first."""
    current = maintenances(
        now,
        statuses=(
            MaintenanceStatus.SCHEDULED,
            MaintenanceStatus.IN_PROGRESS,
            MaintenanceStatus.VERIFYING,
        ),
    )
    # The shared query lists newest first; a page reads best with the soonest work on top.
    current.sort(key=lambda pair: (event_start(pair[0]), pair[0].id))
    active = [MaintenanceView(m, s) for m, s in current if s != MaintenanceStatus.SCHEDULED]
    upcoming = [MaintenanceView(m, s) for m, s in current if s == MaintenanceStatus.SCHEDULED]
    return active, upcoming


def last_change() -> datetime | None:
    """Return when the page's data last changed, or None on an empty database."""
    candidates = [
        db.session.execute(db.select(func.max(StatusChange.at))).scalar(),
        db.session.execute(db.select(func.max(IncidentUpdate.created_at))).scalar(),
        db.session.execute(db.select(func.max(Incident.updated_at))).scalar(),
    ]
    known = [c for c in candidates if c is not None]
    return max(known) if known else None


# ---------------------------------------------------------------------------------------------
# Words for times, durations and figures, shared by every page.

UPTIME_TARGET = 99.9


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


def event_start(incident: Incident) -> datetime:
    """Return when an event counts as happening: a maintenance's window start, else its start.

    The same rule orders the history in statuspage.incidents, so groups follow the order.
    """
    return incident.scheduled_for or incident.started_at


def event_span(incident: Incident, now: datetime) -> tuple[datetime, datetime] | None:
    """Return when an event was under way up to now, or None if it has not started."""
    start = event_start(incident)
    if start > now:
        return None
    return start, start + incident_duration(incident, now)


def _months_back(today: date, count: int) -> list[date]:
    """Return the first days of this month and the `count - 1` before it, newest first."""
    months, month = [], today.replace(day=1)
    for _ in range(count):
        months.append(month)
        month = (month - timedelta(days=1)).replace(day=1)
    return months


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


# ---------------------------------------------------------------------------------------------
# The home page's 90 daily bars and its past incidents.

BAR_DAYS = 90
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


@dataclass
class UptimeBars:
    """A component's daily bars, oldest first, and its uptime over the whole period."""

    days: list[DayBar]
    uptime: float | None


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
        for day in _days(first, last):
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
                )
            )
        result[component_id] = UptimeBars(bars, combine_days(stored[component_id]).uptime)
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
            for day in _days(first, last):
                result[(affected.component_id, day)].append(incident)
    return result


@dataclass
class PastIncident:
    """An event in the past-incidents list, with its newest update."""

    incident: Incident
    latest: TimelineEntry | None


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
            entries = timeline(incident)
            by_day[day].append(PastIncident(incident, entries[0] if entries else None))
    return [IncidentDay(day, by_day.get(day, [])) for day in reversed(_days(first, today))]


# ---------------------------------------------------------------------------------------------
# The history: every event ever, one page at a time, grouped by month.

HISTORY_PER_PAGE = 25


@dataclass
class HistoryMonth:
    """The events of one local month on one history page, newest first."""

    month: date
    incidents: list[PastIncident]


@dataclass
class HistoryPage:
    """One page of the history."""

    months: list[HistoryMonth]
    page: int
    pages: int
    total: int


def history_page(page: int, zone: ZoneInfo, per_page: int = HISTORY_PER_PAGE) -> HistoryPage:
    """Return one page of every incident and maintenance ever, grouped by local month."""
    incidents, total = list_incidents(page=page, per_page=per_page)
    months: list[HistoryMonth] = []
    for incident in incidents:
        month = event_start(incident).astimezone(zone).date().replace(day=1)
        if not months or months[-1].month != month:
            months.append(HistoryMonth(month, []))
        entries = timeline(incident)
        months[-1].incidents.append(PastIncident(incident, entries[0] if entries else None))
    return HistoryPage(months, page, max(1, math.ceil(total / per_page)), total)


# ---------------------------------------------------------------------------------------------
# One incident or maintenance, on its permanent page.


@dataclass
class IncidentPage:
    """Everything an incident's page shows."""

    incident: Incident
    timeline: list[TimelineEntry]
    duration: timedelta
    status_label: str
    ongoing: bool
    # A maintenance's planned length, and whether the event has begun yet.
    planned: timedelta | None
    started: bool


def incident_page(code: str, now: datetime) -> IncidentPage | None:
    """Return the page of the event with this public code, or None if there is none."""
    incident = get_incident(code)
    if incident is None:
        return None
    status = live_status(incident, now)
    ongoing = status in (*UNRESOLVED_INCIDENT_STATUSES, *ACTIVE_MAINTENANCE_STATUSES)
    return IncidentPage(
        incident=incident,
        timeline=timeline(incident),
        duration=incident_duration(incident, now),
        status_label=UPDATE_LABELS.get(status, str(status).replace("_", " ").capitalize()),
        ongoing=ongoing,
        planned=(
            incident.scheduled_until - incident.scheduled_for
            if incident.scheduled_for and incident.scheduled_until
            else None
        ),
        started=event_start(incident) <= now,
    )


# ---------------------------------------------------------------------------------------------
# Monthly uptime, for /uptime, its CSV and each component's page.

UPTIME_MONTHS = 12


@dataclass
class MonthFigures:
    """One component's figures over one local month (so far, for the current month)."""

    month: date
    uptime: float | None
    downtime_min: float
    maintenance_min: float
    nodata_min: float
    current: bool

    @property
    def target_met(self) -> bool | None:
        """Tell whether the month met the uptime target; None without data."""
        return None if self.uptime is None else self.uptime >= UPTIME_TARGET


def monthly_uptime(
    component_ids: list[int], now: datetime, zone: ZoneInfo, months: int = UPTIME_MONTHS
) -> dict[int, list[MonthFigures]]:
    """Return each component's figures for the last `months` local months, newest first.

    Days with no stored figures count as minutes without data (today only up to now), so a
    month before the component was watched reads "No data", never 100%.
    """
    today = now.astimezone(zone).date()
    starts = _months_back(today, months)
    stored = day_figures(component_ids, starts[-1], today)
    result: dict[int, list[MonthFigures]] = {}
    for component_id in component_ids:
        by_month: dict[date, list[DayFigures]] = defaultdict(list)
        for figures in stored[component_id]:
            by_month[figures.day.replace(day=1)].append(figures)
        rows = []
        for start in starts:
            days = by_month.get(start, [])
            combined = combine_days(days)
            next_month = (start + timedelta(days=32)).replace(day=1)
            seen = {figures.day for figures in days}
            missing = sum(
                _day_minutes(day, zone, now)
                for day in _days(start, min(next_month - timedelta(days=1), today))
                if day not in seen
            )
            rows.append(
                MonthFigures(
                    month=start,
                    uptime=combined.uptime,
                    downtime_min=combined.weighted_downtime,
                    maintenance_min=combined.minutes.get(ComponentStatus.UNDER_MAINTENANCE, 0.0),
                    nodata_min=combined.minutes.get(None, 0.0) + missing,
                    current=start == starts[0],
                )
            )
        result[component_id] = rows
    return result


def _day_minutes(day: date, zone: ZoneInfo, now: datetime) -> float:
    """Return the minutes of a local day that have passed by `now` (23 h or 25 h on DST days)."""
    start, end = day_bounds(day, zone)
    return max((min(end, now) - start).total_seconds() / 60, 0.0)


CSV_COLUMNS = (
    "month",
    "component",
    "availability_percent",
    "downtime_minutes",
    "maintenance_minutes",
    "no_data_minutes",
    "target_met",
)


def uptime_csv(components: list[Component], figures: dict[int, list[MonthFigures]]) -> str:
    """Return the monthly figures as CSV, one row per component and month."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for component in components:
        for month in figures[component.id]:
            met = month.target_met
            writer.writerow(
                [
                    month.month.strftime("%Y-%m"),
                    _csv_text(component.name),
                    "" if month.uptime is None else f"{month.uptime:.4f}",
                    format_minutes(month.downtime_min),
                    format_minutes(month.maintenance_min),
                    format_minutes(month.nodata_min),
                    "" if met is None else ("yes" if met else "no"),
                ]
            )
    return out.getvalue()


def _csv_text(value: str) -> str:
    """Keep a spreadsheet from reading a text cell as a formula (CSV injection)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def leaf_components() -> list[Component]:
    """Return the visible components that are not groups, in page order."""
    return [c for c in visible_components() if not c.is_group]


# ---------------------------------------------------------------------------------------------
# A component's page: its probes' latest results and response-time charts.


@dataclass
class ProbeView:
    """A configured probe as the public may see it (never header values) and its states."""

    name: str
    method: str
    url: str
    states: list[ProbeState]


@dataclass
class LatencyChart:
    """One response-time chart and the sentence that says what it shows."""

    title: str
    svg: Markup
    summary: str


@dataclass
class LocationCharts:
    """The response-time charts of one location."""

    location: str
    charts: list[LatencyChart]


@dataclass
class ComponentPage:
    """Everything a component's page shows."""

    component: Component
    status: ComponentStatus
    probes: list[ProbeView]
    locations: list[LocationCharts]
    months: list[MonthFigures]


def component_page(slug: str, config: StatusConfig, now: datetime) -> ComponentPage | None:
    """Return the page of a visible, non-group component, or None if there is none."""
    if not findable(slug):
        return None
    component = db.session.execute(
        db.select(Component).where(
            Component.slug == slug, Component.hidden.is_(False), Component.is_group.is_(False)
        )
    ).scalar()
    if component is None:
        return None
    entry = next((c for c in config.components if c.slug == slug), None)
    definitions = list(entry.probes) if entry else []
    states: dict[str, list[ProbeState]] = defaultdict(list)
    for state in db.session.execute(
        db.select(ProbeState)
        .where(ProbeState.component_id == component.id)
        .order_by(ProbeState.location)
    ).scalars():
        states[state.probe_key].append(state)
    probes = []
    for definition in definitions:
        # describe() is the one safe view of a probe: URL template, header values redacted.
        described = describe(definition)
        probes.append(
            ProbeView(
                described["name"],
                described["method"],
                described["url"],
                states.get(definition.key, []),
            )
        )
    keys = [definition.key for definition in definitions]
    return ComponentPage(
        component=component,
        status=shown_statuses([component], now)[component.id],
        probes=probes,
        locations=latency_charts(component.id, keys, now, config.site.zone),
        months=monthly_uptime([component.id], now, config.site.zone)[component.id],
    )


def _ms(value: float) -> str:
    return f"{value:,.0f} ms"


def latency_charts(
    component_id: int, probe_keys: list[str], now: datetime, zone: ZoneInfo
) -> list[LocationCharts]:
    """Return, per location, response-time charts over 24 hours, 7 days and 30 days.

    24 hours: hourly buckets of the raw results (only the last 24 hours are read). 7 and 30
    days: the daily rollups (UTC days), each day's median and p95 averaged over the
    component's probes, weighted by their number of checks.
    """
    if not probe_keys:
        return []
    hourly = _hourly_latencies(component_id, probe_keys, now)
    daily = _daily_latencies(component_id, probe_keys, now)
    locations = sorted(set(hourly) | set(daily))
    result = []
    for number, location in enumerate(locations):
        charts = [_hourly_chart(f"chart-{number}-24h", location, hourly.get(location), now, zone)]
        for days in (7, 30):
            charts.append(
                _daily_chart(
                    f"chart-{number}-{days}d", location, daily.get(location, {}), now, days
                )
            )
        result.append(LocationCharts(location, charts))
    return result


def _hourly_latencies(
    component_id: int, probe_keys: list[str], now: datetime
) -> dict[str, list[list[float]]]:
    """Return, per location, the latencies of each of the last 24 hours (oldest first)."""
    first_hour = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=23)
    rows = db.session.execute(
        db.select(ProbeResult.location, ProbeResult.started_at, ProbeResult.latency_ms).where(
            ProbeResult.component_id == component_id,
            ProbeResult.probe_key.in_(probe_keys),
            ProbeResult.started_at >= first_hour,
            ProbeResult.started_at <= now,
            ProbeResult.latency_ms.is_not(None),
        )
    )
    result: dict[str, list[list[float]]] = {}
    for location, started_at, latency in rows:
        buckets = result.setdefault(location, [[] for _ in range(24)])
        index = int((started_at - first_hour).total_seconds() // 3600)
        if 0 <= index < 24:
            buckets[index].append(latency)
    return result


def _hourly_chart(
    chart_id: str, location: str, buckets: list[list[float]] | None, now: datetime, zone: ZoneInfo
) -> LatencyChart:
    buckets = buckets or [[] for _ in range(24)]
    first_hour = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=23)
    labels = [
        (first_hour + timedelta(hours=n)).astimezone(zone).strftime("%H:%M") for n in range(24)
    ]
    figures = [latency_percentiles(bucket) for bucket in buckets]
    overall = latency_percentiles([value for bucket in buckets for value in bucket])
    title = f"Response time (ms) from {location}, last 24 hours"
    if overall is None:
        summary = f"No results from {location} in the last 24 hours."
    else:
        checks = sum(len(bucket) for bucket in buckets)
        empty = sum(1 for bucket in buckets if not bucket)
        summary = (
            f"Over the last 24 hours from {location}: median {_ms(overall[0])}, "
            f"95th percentile {_ms(overall[1])}, over {checks:,} checks"
        )
        summary += f"; {empty} of 24 hours without results." if empty else "."
    return LatencyChart(title, _latency_svg(chart_id, title, summary, labels, figures), summary)


def _daily_latencies(
    component_id: int, probe_keys: list[str], now: datetime
) -> dict[str, dict[date, tuple[float, float]]]:
    """Return, per location and UTC day of the last 30, the checks-weighted median and p95."""
    today = now.astimezone(UTC).date()
    rows = db.session.execute(
        db.select(ProbeRollup).where(
            ProbeRollup.component_id == component_id,
            ProbeRollup.probe_key.in_(probe_keys),
            ProbeRollup.day >= today - timedelta(days=29),
            ProbeRollup.day <= today,
        )
    ).scalars()
    sums: dict[tuple[str, date], list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    for row in rows:
        if row.latency_p50 is None or row.latency_p95 is None or row.checks <= 0:
            continue
        total = sums[(row.location, row.day)]
        total[0] += row.latency_p50 * row.checks
        total[1] += row.latency_p95 * row.checks
        total[2] += row.checks
    result: dict[str, dict[date, tuple[float, float]]] = defaultdict(dict)
    for (location, day), (p50, p95, checks) in sums.items():
        result[location][day] = (p50 / checks, p95 / checks)
    return result


def _daily_chart(
    chart_id: str, location: str, by_day: dict[date, tuple[float, float]], now: datetime, days: int
) -> LatencyChart:
    today = now.astimezone(UTC).date()
    span = _days(today - timedelta(days=days - 1), today)
    figures = [by_day.get(day) for day in span]
    labels = [day.strftime("%b %d") for day in span]
    title = f"Response time (ms) from {location}, last {days} days (UTC days)"
    known = [(day, f) for day, f in zip(span, figures, strict=True) if f is not None]
    if not known:
        summary = f"No daily figures from {location} in the last {days} days."
    else:
        slowest_day, slowest = max(known, key=lambda item: item[1][1])
        medians = [f[0] for _, f in known]
        summary = (
            f"Over the last {days} days from {location}: daily median between "
            f"{_ms(min(medians))} and {_ms(max(medians))}; slowest day "
            f"{slowest_day.strftime('%b %d')} with a 95th percentile of {_ms(slowest[1])}"
        )
        empty = days - len(known)
        summary += f"; {empty} of {days} days without figures." if empty else "."
    return LatencyChart(title, _latency_svg(chart_id, title, summary, labels, figures), summary)


def _latency_svg(
    chart_id: str,
    title: str,
    summary: str,
    labels: list[str],
    figures: list[tuple[float, float] | None],
) -> Markup:
    return line_chart(
        chart_id=chart_id,
        title=title,
        description=summary,
        x_labels=labels,
        series=[
            Series("95th percentile", "p95", [f[1] if f else None for f in figures]),
            Series("Median", "p50", [f[0] if f else None for f in figures]),
        ],
    )
