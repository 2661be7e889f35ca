"""A component's response-time charts: the last 24 hours from the hourly rollups, 7 and 30 days
from the daily ones, each drawn by charts.line_chart with a sentence that says what it shows.

No chart reads the raw results, but for hours the rollup job has not reached yet (the current
one, mostly): a page costs the same at a year of history as at a week.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

from markupsafe import Markup

from statuspage.reads.charts import Series, line_chart
from statuspage.reads.days import days_between
from statuspage.reads.results import probe_figures
from statuspage.rules.latency import top_of_hour
from statuspage.store.db import db
from statuspage.store.models import ProbeHour, ProbeRollup


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

    Each point is the median and p95 of the component's probes in that hour or UTC day,
    averaged over the probes, weighted by their number of checks.
    """
    if not probe_keys:
        return []
    hourly = _hourly_latencies(component_id, probe_keys, now)
    daily = _daily_latencies(component_id, probe_keys, now)
    locations = sorted(set(hourly) | set(daily))
    result = []
    for number, location in enumerate(locations):
        charts = [
            _hourly_chart(f"chart-{number}-24h", location, hourly.get(location, {}), now, zone)
        ]
        for days in (7, 30):
            charts.append(
                _daily_chart(
                    f"chart-{number}-{days}d", location, daily.get(location, {}), now, days
                )
            )
        result.append(LocationCharts(location, charts))
    return result


def _ms(value: float) -> str:
    return f"{value:,.0f} ms"


def _hours(now: datetime) -> list[datetime]:
    """Return the starts of the 24 UTC hours that end with the current one, oldest first."""
    last = top_of_hour(now)
    return [last - timedelta(hours=23 - n) for n in range(24)]


Weighted = tuple[float, float, int]  # median and p95 weighted by checks, and the checks


def _weighted(rows: Iterable[Any], key: Callable[[Any], Any]) -> dict[str, dict[Any, Weighted]]:
    """Return, per location and `key(row)`, the checks-weighted median and p95 of some rollups."""
    sums: dict[tuple[str, Any], list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    for row in rows:
        if row.latency_p50 is None or row.latency_p95 is None or row.checks <= 0:
            continue
        total = sums[(row.location, key(row))]
        total[0] += row.latency_p50 * row.checks
        total[1] += row.latency_p95 * row.checks
        total[2] += row.checks
    result: dict[str, dict[Any, Weighted]] = defaultdict(dict)
    for (location, when), (p50, p95, checks) in sums.items():
        result[location][when] = (p50 / checks, p95 / checks, int(checks))
    return result


def _hourly_latencies(
    component_id: int, probe_keys: list[str], now: datetime
) -> dict[str, dict[datetime, Weighted]]:
    """Return, per location and hour of the last 24, the checks-weighted median and p95."""
    hours = _hours(now)
    rolled = list(
        db.session.execute(
            db.select(ProbeHour).where(
                ProbeHour.component_id == component_id,
                ProbeHour.probe_key.in_(probe_keys),
                ProbeHour.hour >= hours[0],
            )
        ).scalars()
    )
    # Hours the rollup job has not reached: figured from their raw results (an hour's worth).
    done = {row.hour for row in rolled}
    for hour in (hour for hour in hours if hour not in done):
        rolled.extend(
            SimpleNamespace(hour=hour, **figures)
            for figures in probe_figures(hour, min(hour + timedelta(hours=1), now))
            if figures["component_id"] == component_id and figures["probe_key"] in probe_keys
        )
    return _weighted(rolled, key=lambda row: row.hour)


def _hourly_chart(
    chart_id: str, location: str, by_hour: dict[datetime, Weighted], now: datetime, zone: ZoneInfo
) -> LatencyChart:
    hours = _hours(now)
    labels = [hour.astimezone(zone).strftime("%H:%M") for hour in hours]
    figures = [by_hour.get(hour) for hour in hours]
    title = f"Response time (ms) from {location}, last 24 hours"
    known = [(hour, f) for hour, f in zip(hours, figures, strict=True) if f is not None]
    if not known:
        summary = f"No results from {location} in the last 24 hours."
    else:
        slowest_hour, slowest = max(known, key=lambda item: item[1][1])
        medians = [f[0] for _, f in known]
        checks = sum(f[2] for _, f in known)
        summary = (
            f"Over the last 24 hours from {location}: hourly median between "
            f"{_ms(min(medians))} and {_ms(max(medians))}; slowest hour "
            f"{slowest_hour.astimezone(zone).strftime('%H:%M')} with a 95th percentile of "
            f"{_ms(slowest[1])}, over {checks:,} checks"
        )
        empty = 24 - len(known)
        summary += f"; {empty} of 24 hours without results." if empty else "."
    return LatencyChart(title, _latency_svg(chart_id, title, summary, labels, figures), summary)


def _daily_latencies(
    component_id: int, probe_keys: list[str], now: datetime
) -> dict[str, dict[date, Weighted]]:
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
    return _weighted(rows, key=lambda row: row.day)


def _daily_chart(
    chart_id: str, location: str, by_day: dict[date, Weighted], now: datetime, days: int
) -> LatencyChart:
    today = now.astimezone(UTC).date()
    span = days_between(today - timedelta(days=days - 1), today)
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
    figures: Sequence[Weighted | None],
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
