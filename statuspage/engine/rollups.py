"""Roll the status history up into minutes per status per day, and read them back."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import delete, func

from statuspage.config import StatusConfig
from statuspage.reads.results import probe_figures
from statuspage.rules import minutes_by_status
from statuspage.rules.latency import top_of_hour
from statuspage.rules.uptime import compose_timeline, coverage, day_bounds
from statuspage.store.db import db
from statuspage.store.models import (
    COMPONENT_DAY_COLUMNS,
    AffectedComponent,
    Component,
    ComponentDay,
    Incident,
    ProbeHour,
    ProbeResult,
    ProbeRollup,
    StatusChange,
)
from statuspage.vocabulary import ComponentStatus, EventKind

# A probe result vouches for this many of its intervals: the same rule as a stall.
STALL_INTERVALS = 3
HOUR = timedelta(hours=1)


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
            written += _roll_up_component_day(component, day, config, now, gaps.get(component.slug))
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


def _roll_up_component_day(
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
            **{
                column: minutes.get(status, 0.0) for status, column in COMPONENT_DAY_COLUMNS.items()
            },
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


def roll_up(now: datetime) -> int:
    """Recompute daily rollups from the day before the last rolled-up one; return days written.

    The last rolled-up day may have been partial, and the day before it may have received late
    results (from an agent's queue), so both are recomputed: running this any number of times
    gives the same rollups. The hourly rollups follow the same rule, hour by hour.
    """
    roll_up_hours(now)
    last = db.session.execute(db.select(func.max(ProbeRollup.day))).scalar()
    if last is not None:
        last -= timedelta(days=1)
    else:
        first_raw = db.session.execute(db.select(func.min(ProbeResult.started_at))).scalar()
        if first_raw is None:
            return 0
        last = first_raw.astimezone(UTC).date()
    today = now.astimezone(UTC).date()
    day, written = last, 0
    while day <= today:
        start = datetime.combine(day, time(), tzinfo=UTC)
        db.session.execute(delete(ProbeRollup).where(ProbeRollup.day == day))
        db.session.add_all(
            ProbeRollup(day=day, **figures)
            for figures in probe_figures(start, start + timedelta(days=1))
        )
        day += timedelta(days=1)
        written += 1
    db.session.commit()
    return written


def roll_up_hours(now: datetime) -> int:
    """Recompute hourly rollups from the hour before the last rolled-up one; return hours."""
    last = db.session.execute(db.select(func.max(ProbeHour.hour))).scalar()
    if last is not None:
        hour = last - HOUR
    else:
        first_raw = db.session.execute(db.select(func.min(ProbeResult.started_at))).scalar()
        if first_raw is None:
            return 0
        hour = top_of_hour(first_raw)
    written = 0
    while hour <= now:
        db.session.execute(delete(ProbeHour).where(ProbeHour.hour == hour))
        db.session.add_all(
            ProbeHour(hour=hour, **figures) for figures in probe_figures(hour, hour + HOUR)
        )
        hour += HOUR
        written += 1
    db.session.flush()
    return written
