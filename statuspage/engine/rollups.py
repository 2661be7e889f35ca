"""Roll the status history up into minutes per status per day, and read them back."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func

from statuspage.config import StatusConfig
from statuspage.reads.results import probe_figures
from statuspage.rules import minutes_by_status
from statuspage.rules.confirmation import STALE_AFTER_INTERVALS
from statuspage.rules.latency import top_of_hour
from statuspage.rules.uptime import compose_timeline, coverage, day_bounds
from statuspage.store.db import db
from statuspage.store.models import (
    COMPONENT_DAY_COLUMNS,
    ENTERED_AFTERWARDS_AFTER,
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
            # A result vouches for the minutes until its location would count as stale.
            gaps[component.slug] = timedelta(seconds=STALE_AFTER_INTERVALS * longest)
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
        # What staff entered afterwards is known even where no probe ran.
        covered = coverage(times, gap) + _entered_windows(component.id, start, end, now)
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


def roll_up_component_days(
    component: Component,
    first: date,
    config: StatusConfig,
    now: datetime,
    previous: list[tuple[datetime, ComponentStatus]] | None = None,
    last: date | None = None,
) -> int:
    """Recompute one component's daily figures from `first` to `last` (default and at most
    today); return days written.

    A day whose raw results are pruned cannot be recomputed (its probe coverage is gone):
    given the history as it was before a change (`previous`), such a day is corrected by the
    minutes the change moved instead.
    """
    zone = config.site.zone
    today = now.astimezone(zone).date()
    final = min(last, today) if last else today
    gap = _stall_gaps(config).get(component.slug)
    retained_from = now - timedelta(days=config.raw_days)
    written, day = 0, first
    while day <= final:
        if previous is not None and day_bounds(day, zone)[0] < retained_from:
            written += _correct_pruned_day(component, day, previous, zone, now)
        else:
            written += _roll_up_component_day(component, day, config, now, gap)
        day += timedelta(days=1)
    return written


def _correct_pruned_day(
    component: Component,
    day: date,
    previous: list[tuple[datetime, ComponentStatus]],
    zone: ZoneInfo,
    now: datetime,
) -> int:
    """Move a stored day's minutes as the change of history moved them."""
    stored = db.session.execute(
        db.select(ComponentDay).where(
            ComponentDay.component_id == component.id, ComponentDay.day == day
        )
    ).scalar()
    if stored is None:
        return 0
    start, end = day_bounds(day, zone)
    end = min(end, now)
    windows = _maintenance_windows(component.id)
    before = minutes_by_status(compose_timeline(previous, None, windows, start, end), start, end)
    history = _history(component.id, end)
    after = minutes_by_status(compose_timeline(history, None, windows, start, end), start, end)
    for status, column in COMPONENT_DAY_COLUMNS.items():
        moved = after.get(status, 0.0) - before.get(status, 0.0)
        setattr(stored, column, getattr(stored, column) + moved)
    for column in COMPONENT_DAY_COLUMNS.values():
        short = getattr(stored, column)
        if short < 0:
            # Minutes the day counted as no data: what is now known of them is data.
            setattr(stored, column, 0.0)
            stored.nodata_min = max(0.0, stored.nodata_min + short)
    return 1


def _entered_windows(
    component_id: int, start: datetime, end: datetime, now: datetime
) -> list[tuple[datetime, datetime]]:
    """Return the spans staff incidents entered afterwards tell of, within [start, end)."""
    rows = db.session.execute(
        db.select(Incident.started_at, Incident.resolved_at, Incident.created_at)
        .join(AffectedComponent, AffectedComponent.incident_id == Incident.id)
        .where(
            AffectedComponent.component_id == component_id,
            Incident.kind == EventKind.INCIDENT,
            Incident.automatic.is_(False),
            Incident.started_at < end,
        )
    )
    windows = []
    for started, resolved, created in rows:
        finish = min(resolved or now, created or now)
        afterwards = created is not None and started < created - ENTERED_AFTERWARDS_AFTER
        if afterwards and started < finish and finish > start:
            windows.append((started, finish))
    return windows


def history_points(component_id: int) -> list[tuple[datetime, ComponentStatus]]:
    """Return a component's shown history in read order (for `roll_up_component_days`)."""
    return _history(component_id)


def _history(
    component_id: int, until: datetime | None = None
) -> list[tuple[datetime, ComponentStatus]]:
    query = db.select(StatusChange.at, StatusChange.status).where(
        StatusChange.component_id == component_id, StatusChange.overridden.is_(False)
    )
    if until is not None:
        query = query.where(StatusChange.at < until)
    rows = db.session.execute(query.order_by(StatusChange.at, StatusChange.id))
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
