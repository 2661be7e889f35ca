"""A component's response-time charts: the last 24 hours from raw results, 7 and 30 days from
the daily rollups, each drawn by charts.line_chart with a sentence that says what it shows."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext
from markupsafe import Markup

from statuspage.reads.charts import Series, line_chart
from statuspage.reads.days import days_between
from statuspage.reads.formatting import format_day, format_milliseconds, format_number
from statuspage.rules.latency import latency_percentiles
from statuspage.store.db import db
from statuspage.store.models import ProbeResult, ProbeRollup


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


def _first_hour(now: datetime) -> datetime:
    """Return the start of the oldest of the 24 hourly buckets that end with this hour."""
    return now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=23)


def _hourly_latencies(
    component_id: int, probe_keys: list[str], now: datetime
) -> dict[str, list[list[float]]]:
    """Return, per location, the latencies of each of the last 24 hours (oldest first)."""
    first_hour = _first_hour(now)
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
    first_hour = _first_hour(now)
    labels = [
        (first_hour + timedelta(hours=n)).astimezone(zone).strftime("%H:%M") for n in range(24)
    ]
    figures = [latency_percentiles(bucket) for bucket in buckets]
    overall = latency_percentiles([value for bucket in buckets for value in bucket])
    title = gettext("Response time (ms) from %(location)s, last 24 hours", location=location)
    if overall is None:
        summary = gettext("No results from %(location)s in the last 24 hours.", location=location)
    else:
        checks = sum(len(bucket) for bucket in buckets)
        empty = sum(1 for bucket in buckets if not bucket)
        summary = gettext(
            "Over the last 24 hours from %(location)s: median %(median)s, "
            "95th percentile %(p95)s, over %(checks)s checks",
            location=location,
            median=format_milliseconds(overall[0]),
            p95=format_milliseconds(overall[1]),
            checks=format_number(checks),
        )
        summary += (
            gettext("; %(empty)d of 24 hours without results.", empty=empty) if empty else "."
        )
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
    span = days_between(today - timedelta(days=days - 1), today)
    figures = [by_day.get(day) for day in span]
    labels = [format_day(day, "MMMd") for day in span]
    title = gettext(
        "Response time (ms) from %(location)s, last %(days)d days (UTC days)",
        location=location,
        days=days,
    )
    known = [(day, f) for day, f in zip(span, figures, strict=True) if f is not None]
    if not known:
        summary = gettext(
            "No daily figures from %(location)s in the last %(days)d days.",
            location=location,
            days=days,
        )
    else:
        slowest_day, slowest = max(known, key=lambda item: item[1][1])
        medians = [f[0] for _, f in known]
        summary = gettext(
            "Over the last %(days)d days from %(location)s: daily median between %(low)s and "
            "%(high)s; slowest day %(day)s with a 95th percentile of %(p95)s",
            days=days,
            location=location,
            low=format_milliseconds(min(medians)),
            high=format_milliseconds(max(medians)),
            day=format_day(slowest_day, "MMMd"),
            p95=format_milliseconds(slowest[1]),
        )
        empty = days - len(known)
        summary += (
            gettext("; %(empty)d of %(days)d days without figures.", empty=empty, days=days)
            if empty
            else "."
        )
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
            Series(gettext("95th percentile"), "p95", [f[1] if f else None for f in figures]),
            Series(gettext("Median"), "p50", [f[0] if f else None for f in figures]),
        ],
    )
