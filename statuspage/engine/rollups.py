"""Roll the status history up into minutes per status per day, and read them back."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import delete, func

from statuspage.config import StatusConfig
from statuspage.rules import DayFigures, minutes_by_status
from statuspage.rules.uptime import compose_timeline, coverage, day_bounds, figures_from
from statuspage.store.db import db
from statuspage.store.models import (
    AffectedComponent,
    Component,
    ComponentDay,
    Incident,
    ProbeResult,
    StatusChange,
)
from statuspage.vocabulary import ComponentStatus, EventKind

COLUMNS = {
    ComponentStatus.OPERATIONAL: "operational_min",
    ComponentStatus.DEGRADED_PERFORMANCE: "degraded_min",
    ComponentStatus.PARTIAL_OUTAGE: "partial_min",
    ComponentStatus.MAJOR_OUTAGE: "major_min",
    ComponentStatus.UNDER_MAINTENANCE: "maintenance_min",
    None: "nodata_min",
}
# A probe result vouches for this many of its intervals: the same rule as a stall.
STALL_INTERVALS = 3


def roll_up_days(config: StatusConfig, now: datetime) -> int:
    """Recompute daily figures from the day before the last rolled-up one to today.

    Like the probe rollups, recomputing the last two days makes this idempotent and lets
    late results count. Returns how many component-days were written.
    """
    zone = config.site.zone
    today = now.astimezone(zone).date()
    last = db.session.execute(db.select(func.max(ComponentDay.day))).scalar()
    if last is not None:
        first = last - timedelta(days=1)
    else:
        first_change = db.session.execute(db.select(func.min(StatusChange.at))).scalar()
        if first_change is None:
            return 0
        first = first_change.astimezone(zone).date()
    components = db.session.execute(
        db.select(Component).where(Component.is_group.is_(False))
    ).scalars()
    gaps = _stall_gaps(config)
    written = 0
    for component in components:
        day = first
        while day <= today:
            written += _roll_up_day(component, day, config, now, gaps.get(component.slug))
            day += timedelta(days=1)
    db.session.commit()
    return written


def _stall_gaps(config: StatusConfig) -> dict[str, timedelta]:
    """Return, per component with probes, how long one result counts as data."""
    gaps: dict[str, timedelta] = {}
    for component in config.components:
        if component.probes:
            longest = max(probe.interval_s for probe in component.probes)
            gaps[component.slug] = timedelta(seconds=STALL_INTERVALS * longest)
    return gaps


def _roll_up_day(
    component: Component, day: date, config: StatusConfig, now: datetime, gap: timedelta | None
) -> int:
    start, end = day_bounds(day, config.site.zone)
    end = min(end, now)
    db.session.execute(
        delete(ComponentDay).where(
            ComponentDay.component_id == component.id, ComponentDay.day == day
        )
    )
    if end <= start:
        return 0
    history = _history(component.id, end)
    if not history:
        return 0
    covered = None
    if gap is not None:
        times = db.session.execute(
            db.select(ProbeResult.started_at).where(
                ProbeResult.component_id == component.id,
                ProbeResult.started_at >= start - gap,
                ProbeResult.started_at < end,
            )
        ).scalars()
        covered = coverage(times, gap)
    timeline = compose_timeline(history, covered, _maintenance_windows(component.id), start, end)
    minutes = minutes_by_status(timeline, start, end)
    db.session.add(
        ComponentDay(
            component_id=component.id,
            day=day,
            **{column: minutes.get(status, 0.0) for status, column in COLUMNS.items()},
        )
    )
    return 1


def _history(component_id: int, until: datetime) -> list[tuple[datetime, ComponentStatus]]:
    rows = db.session.execute(
        db.select(StatusChange.at, StatusChange.status)
        .where(
            StatusChange.component_id == component_id,
            StatusChange.overridden.is_(False),
            StatusChange.at < until,
        )
        .order_by(StatusChange.at, StatusChange.id)
    )
    return [(at, ComponentStatus(status)) for at, status in rows]


def _maintenance_windows(component_id: int) -> list[tuple[datetime, datetime]]:
    rows = db.session.execute(
        db.select(Incident.scheduled_for, Incident.scheduled_until, Incident.resolved_at)
        .join(AffectedComponent, AffectedComponent.incident_id == Incident.id)
        .where(
            AffectedComponent.component_id == component_id, Incident.kind == EventKind.MAINTENANCE
        )
    )
    windows = []
    for start, end, completed in rows:
        if start is None or end is None:
            continue
        # Completed early by staff: the window ends there.
        windows.append((start, min(end, completed) if completed else end))
    return windows


def day_figures(
    component_ids: Sequence[int], first: date, last: date
) -> dict[int, list[DayFigures]]:
    """Return the stored daily figures of each component between two days, inclusive."""
    statuses = list(COLUMNS)
    # Plain rows, not ORM objects: a year of days for every component is read on each page.
    rows = db.session.execute(
        db.select(
            ComponentDay.component_id,
            ComponentDay.day,
            *(getattr(ComponentDay, column) for column in COLUMNS.values()),
        )
        .where(
            ComponentDay.component_id.in_(component_ids),
            ComponentDay.day >= first,
            ComponentDay.day <= last,
        )
        .order_by(ComponentDay.day)
    )
    result: dict[int, list[DayFigures]] = {component_id: [] for component_id in component_ids}
    for component_id, day, *values in rows:
        figures = figures_from(dict(zip(statuses, values, strict=True)))
        result[component_id].append(
            DayFigures(day, figures.minutes, figures.uptime, figures.weighted_downtime)
        )
    return result
