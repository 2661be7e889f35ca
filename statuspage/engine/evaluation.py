"""Turn recorded results, staff actions and the clock into component status and incidents.

The decisions are the pure rules in statuspage.rules; this module reads their inputs from the
database and writes their outcome back. Every evaluation runs in one transaction that first
takes the site lock (a no-op UPDATE of the single site_state row): that serialises writers on
SQLite and PostgreSQL alike, so two probe processes never act on the same stale view.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from probes import ProbeDefinition, Result
from probes.definitions import DEFAULT_FAILURES_TO_OPEN, DEFAULT_SUCCESSES_TO_CLOSE
from statuspage.config import StatusConfig
from statuspage.engine.recording import record_results
from statuspage.rules import (
    DEFAULT_TEXTS,
    LocationState,
    ProbeFailure,
    combine_locations,
    component_status_from_probes,
    confirm,
    effective_status,
    failure_update,
    incident_impact,
    maintenance_status,
    recovery_update,
    status_change_update,
    worst_status,
)
from statuspage.store.db import db
from statuspage.store.models import (
    AffectedComponent,
    Component,
    Incident,
    IncidentUpdate,
    OpenAutomaticIncident,
    ProbeResult,
    ProbeState,
    SiteState,
    StatusChange,
    UpdateComponentChange,
)
from statuspage.vocabulary import (
    ACTIVE_MAINTENANCE_STATUSES,
    IMPACT_SEVERITY,
    UNRESOLVED_INCIDENT_STATUSES,
    Cause,
    ComponentStatus,
    EventKind,
    Impact,
    IncidentStatus,
    MaintenanceStatus,
    Outcome,
)

log = logging.getLogger(__name__)

OPERATIONAL = ComponentStatus.OPERATIONAL
INCIDENT_TITLES = {
    ComponentStatus.DEGRADED_PERFORMANCE: "Degraded performance of {name}",
    ComponentStatus.PARTIAL_OUTAGE: "Partial outage of {name}",
    ComponentStatus.MAJOR_OUTAGE: "Major outage of {name}",
}


def lock_site() -> None:
    """Take the writers' lock until the transaction ends (creating the row the first time)."""
    taken = db.session.execute(update(SiteState).where(SiteState.id == 1).values(id=1))
    if taken.rowcount == 0:
        try:
            with db.session.begin_nested():
                db.session.add(SiteState(id=1, version=0))
        except IntegrityError:
            pass  # another process created it first
        db.session.execute(update(SiteState).where(SiteState.id == 1).values(id=1))


def bump_version(now: datetime) -> None:
    """Record that what the public sees has changed (read caches key on this)."""
    db.session.execute(
        update(SiteState)
        .where(SiteState.id == 1)
        .values(version=SiteState.version + 1, changed_at=now)
    )


def ingest(results: Sequence[Result], config: StatusConfig, now: datetime) -> list[ProbeResult]:
    """Record results, confirm each probe's state, and re-evaluate the components concerned.

    Return the rows stored: a result whose id was stored before is skipped.
    """
    rows = record_results(results)
    if not rows:
        return rows
    probes = {probe.key: probe for probe in config.probes}
    lock_site()
    pairs = sorted({(row.probe_key, row.location, row.component_id) for row in rows})
    for probe_key, location, component_id in pairs:
        _confirm_probe(probe_key, location, component_id, probes.get(probe_key))
    db.session.commit()
    for component_id in sorted({component_id for _, _, component_id in pairs}):
        evaluate(component_id, config, now, Cause.PROBE)
    return rows


def _confirm_probe(
    probe_key: str, location: str, component_id: int, probe: ProbeDefinition | None
) -> None:
    failures_to_open = probe.failures_to_open if probe else DEFAULT_FAILURES_TO_OPEN
    successes_to_close = probe.successes_to_close if probe else DEFAULT_SUCCESSES_TO_CLOSE
    window = max(failures_to_open, successes_to_close)
    recent = list(
        db.session.execute(
            db.select(ProbeResult)
            .where(ProbeResult.probe_key == probe_key, ProbeResult.location == location)
            .order_by(ProbeResult.started_at.desc(), ProbeResult.id.desc())
            .limit(window)
        ).scalars()
    )[::-1]
    newest = recent[-1]
    state = db.session.get(ProbeState, (probe_key, location))
    if state is None:
        state = ProbeState(
            probe_key=probe_key,
            location=location,
            component_id=component_id,
            confirmed=Outcome.UP,
            confirmed_since=newest.started_at,
        )
        db.session.add(state)
    confirmed = confirm(
        state.confirmed, [r.outcome for r in recent], failures_to_open, successes_to_close
    )
    if confirmed != state.confirmed:
        # The change dates from the first result of the streak that confirmed it.
        streak = failures_to_open if confirmed != Outcome.UP else successes_to_close
        state.confirmed_since = recent[-min(streak, len(recent))].started_at
        state.confirmed = confirmed
    state.reported_at = newest.started_at
    state.last_outcome = newest.outcome
    state.last_latency_ms = newest.latency_ms
    state.last_http_status = newest.http_status
    state.last_reason = newest.reason
    if newest.outcome != Outcome.UP:
        state.last_failure_reason = newest.reason


def automatic_status(
    component_id: int, config: StatusConfig, now: datetime
) -> tuple[ComponentStatus | None, list[ProbeState]]:
    """Return what the probes say of a component now, and the states of its failing probes."""
    probes = {probe.key: probe for probe in config.probes}
    by_probe: dict[str, dict[str, ProbeState]] = defaultdict(dict)
    for state in db.session.execute(
        db.select(ProbeState).where(ProbeState.component_id == component_id)
    ).scalars():
        if state.probe_key in probes:  # a probe removed from the config no longer counts
            by_probe[state.probe_key][state.location] = state
    verdicts = []
    failing: list[ProbeState] = []
    for probe_key in probes:  # config order, so the incident text reads like the page
        states = by_probe.get(probe_key)
        if not states:
            continue
        verdict = combine_locations(
            {loc: LocationState(s.confirmed, s.reported_at) for loc, s in states.items()},
            now,
            probes[probe_key].interval_s,
        )
        verdicts.append(verdict)
        if verdict not in (None, Outcome.UP):
            failing.extend(s for s in states.values() if s.confirmed != Outcome.UP)
    return component_status_from_probes(verdicts), failing


def evaluate(component_id: int, config: StatusConfig, now: datetime, cause: Cause) -> None:
    """Bring a component's automatic status, incidents and status history up to date."""
    lock_site()
    component = db.session.get(Component, component_id)
    if component is None:
        return
    changed = False
    automatic, failing = automatic_status(component_id, config, now)
    previous_auto = (
        ComponentStatus(component.automatic_status) if component.automatic_status else None
    )
    if automatic is not None and automatic != previous_auto:
        component.automatic_status = automatic
        component.automatic_since = now
        changed = True
        if component.manual_status is not None:
            db.session.add(
                StatusChange(
                    component=component,
                    status=automatic,
                    at=now,
                    cause=Cause.PROBE,
                    overridden=True,
                )
            )
    in_maintenance = maintenance_covering(component_id, now) is not None
    if automatic is not None:
        changed |= _reconcile_incidents(
            component, previous_auto, automatic, failing, in_maintenance, config, now
        )
    changed |= _record_shown_status(component, in_maintenance, now, cause)
    if changed:
        bump_version(now)
    db.session.commit()


def _record_shown_status(
    component: Component, in_maintenance: bool, now: datetime, cause: Cause
) -> bool:
    """Append the status the page now shows to the history, when it differs."""
    shown = effective_status(
        component.automatic_status,
        component.manual_status,
        in_maintenance,
        staff_incident_status(component.id),
    )
    last = db.session.execute(
        db.select(StatusChange.status)
        .where(StatusChange.component_id == component.id, StatusChange.overridden.is_(False))
        .order_by(StatusChange.id.desc())
        .limit(1)
    ).scalar()
    # The very first entry marks when data starts, even when it says operational.
    if last == shown or (
        last is None and component.automatic_status is None and shown == OPERATIONAL
    ):
        return False
    if in_maintenance and shown == ComponentStatus.UNDER_MAINTENANCE:
        cause = Cause.MAINTENANCE
    db.session.add(StatusChange(component=component, status=shown, at=now, cause=cause))
    return True


def staff_incident_status(component_id: int) -> ComponentStatus | None:
    """Return the worst status unresolved staff incidents give a component, if any."""
    statuses = db.session.execute(
        db.select(AffectedComponent.status)
        .join(Incident, Incident.id == AffectedComponent.incident_id)
        .where(
            AffectedComponent.component_id == component_id,
            Incident.kind == EventKind.INCIDENT,
            Incident.automatic.is_(False),
            Incident.status.in_(UNRESOLVED_INCIDENT_STATUSES),
        )
    ).scalars()
    known = list(statuses)
    return worst_status(known) if known else None


def maintenance_covering(component_id: int, now: datetime) -> Incident | None:
    """Return a maintenance in progress over the component at `now`, if any."""
    rows = db.session.execute(
        db.select(Incident)
        .join(AffectedComponent, AffectedComponent.incident_id == Incident.id)
        .where(
            AffectedComponent.component_id == component_id,
            Incident.kind == EventKind.MAINTENANCE,
            Incident.status != MaintenanceStatus.COMPLETED,
        )
    ).scalars()
    for row in rows:
        status = maintenance_status(row.scheduled_for, row.scheduled_until, now, row.status)
        if status in ACTIVE_MAINTENANCE_STATUSES:
            return row
    return None


def _reconcile_incidents(
    component: Component,
    previous: ComponentStatus | None,
    current: ComponentStatus,
    failing: list[ProbeState],
    in_maintenance: bool,
    config: StatusConfig,
    now: datetime,
) -> bool:
    """Open, update, or close incidents so they match what the probes say; True if any wrote."""
    zone = config.site.zone
    was = previous or OPERATIONAL
    changed_status = current != was
    open_auto = _open_automatic_incident(component.id)
    staff = _open_staff_incident(component.id)

    if current != OPERATIONAL:
        if in_maintenance:
            return False  # planned work: results are recorded, nobody is paged
        detail = failure_update(
            component.name,
            _failing_since(failing, component, now),
            _failures(failing, config),
            zone,
            current,
            now=now,
        )
        if open_auto is not None:
            if not changed_status and open_auto.status != IncidentStatus.MONITORING:
                return False
            text = status_change_update(component.name, was, current) + " " + detail
            _add_update(open_auto, text, now, IncidentStatus.INVESTIGATING, component, was, current)
            return True
        if staff is not None:
            if not changed_status:
                return False
            text = status_change_update(component.name, was, current) + " " + detail
            _add_update(staff, text, now, IncidentStatus(staff.status), component, was, current)
            return True
        return _open_incident(component, was, current, detail, now)

    if open_auto is not None:
        written_by_staff = any(u.author for u in open_auto.updates)
        if written_by_staff:
            if open_auto.status == IncidentStatus.MONITORING:
                return False
            text = recovery_update(
                component.name, component.automatic_since or now, zone, monitoring=True, now=now
            )
            _add_update(open_auto, text, now, IncidentStatus.MONITORING, component, was, current)
            open_auto.monitoring_at = now
            return True
        text = recovery_update(component.name, component.automatic_since or now, zone, now=now)
        _add_update(open_auto, text, now, IncidentStatus.RESOLVED, component, was, current)
        close_automatic_incident(open_auto, now)
        return True
    if staff is not None and changed_status:
        text = recovery_update(component.name, now, zone, monitoring=True, now=now)
        _add_update(staff, text, now, IncidentStatus(staff.status), component, was, current)
        return True
    return False


def _open_automatic_incident(component_id: int) -> Incident | None:
    return db.session.execute(
        db.select(Incident)
        .join(OpenAutomaticIncident, OpenAutomaticIncident.incident_id == Incident.id)
        .where(OpenAutomaticIncident.component_id == component_id)
        .options(selectinload(Incident.updates), selectinload(Incident.affected))
    ).scalar()


def _open_staff_incident(component_id: int) -> Incident | None:
    return db.session.execute(
        db.select(Incident)
        .join(AffectedComponent, AffectedComponent.incident_id == Incident.id)
        .where(
            AffectedComponent.component_id == component_id,
            Incident.kind == EventKind.INCIDENT,
            Incident.automatic.is_(False),
            Incident.status.in_(UNRESOLVED_INCIDENT_STATUSES),
        )
        .order_by(Incident.started_at.desc())
        .limit(1)
    ).scalar()


def _open_incident(
    component: Component, was: ComponentStatus, current: ComponentStatus, text: str, now: datetime
) -> bool:
    """Open an automatic incident, unless another process has just opened one."""
    try:
        with db.session.begin_nested():
            incident = Incident(
                name=INCIDENT_TITLES[current].format(name=component.name),
                kind=EventKind.INCIDENT,
                status=IncidentStatus.INVESTIGATING,
                impact=incident_impact([current]),
                automatic=True,
                started_at=component.automatic_since or now,
                created_at=now,
                updated_at=now,
            )
            db.session.add(incident)
            db.session.add(
                AffectedComponent(incident=incident, component=component, status=current)
            )
            db.session.flush()
            db.session.add(
                OpenAutomaticIncident(component_id=component.id, incident_id=incident.id)
            )
            db.session.flush()
    except IntegrityError:
        # The primary key of open_automatic_incident said no: someone else opened it.
        log.info("automatic incident for %s already opened by another process", component.slug)
        return False
    _add_update(incident, text, now, IncidentStatus.INVESTIGATING, component, was, current)
    log.info("opened automatic incident %s for %s (%s)", incident.code, component.slug, current)
    return True


def close_automatic_incident(incident: Incident, now: datetime) -> None:
    """Mark an automatic incident resolved and free its component for a new one."""
    incident.status = IncidentStatus.RESOLVED
    incident.resolved_at = now
    db.session.execute(
        db.delete(OpenAutomaticIncident).where(OpenAutomaticIncident.incident_id == incident.id)
    )


def _add_update(
    incident: Incident,
    text: str,
    now: datetime,
    status: IncidentStatus,
    component: Component,
    old: ComponentStatus,
    new: ComponentStatus,
) -> None:
    """Append the system's own update (author None) with the component change it reports."""
    update_row = IncidentUpdate(
        incident=incident, status=status, body=text, author=None, created_at=now, display_at=now
    )
    if old != new:
        update_row.changes.append(
            UpdateComponentChange(component=component, old_status=old, new_status=new)
        )
    db.session.add(update_row)
    incident.status = status
    incident.updated_at = now
    for affected in incident.affected:
        if affected.component_id == component.id:
            affected.status = new
    if incident.automatic and new != OPERATIONAL:
        raised = incident_impact([new])
        if IMPACT_SEVERITY[raised] > IMPACT_SEVERITY[Impact(incident.impact)]:
            incident.impact = raised


def _failing_since(failing: list[ProbeState], component: Component, now: datetime) -> datetime:
    times = [state.confirmed_since for state in failing]
    return min(times) if times else component.automatic_since or now


def _failures(failing: Iterable[ProbeState], config: StatusConfig) -> list[ProbeFailure]:
    names = {probe.key: probe for probe in config.probes}
    states = list(failing)
    several_locations = len({s.location for s in states}) > 1
    failures = []
    for state in states:
        probe = names.get(state.probe_key)
        window = probe.failures_to_open if probe else DEFAULT_FAILURES_TO_OPEN
        outcomes = db.session.execute(
            db.select(ProbeResult.outcome)
            .where(ProbeResult.probe_key == state.probe_key, ProbeResult.location == state.location)
            .order_by(ProbeResult.started_at.desc())
            .limit(window)
        ).scalars()
        recent = list(outcomes)
        failures.append(
            ProbeFailure(
                probe_name=probe.name if probe else state.probe_key,
                location=state.location if several_locations else None,
                reason=state.last_failure_reason or state.last_reason,
                failing_count=sum(1 for outcome in recent if outcome != Outcome.UP),
                total_count=len(recent),
            )
        )
    return failures


def move_maintenance(maintenance: Incident, status: MaintenanceStatus, now: datetime) -> None:
    """Move a maintenance to a status the clock gave it, with the system's default text."""
    db.session.add(
        IncidentUpdate(
            incident=maintenance,
            status=status,
            body=DEFAULT_TEXTS[status],
            author=None,
            created_at=now,
            display_at=now,
        )
    )
    maintenance.status = status
    maintenance.updated_at = now
    if status == MaintenanceStatus.COMPLETED and maintenance.resolved_at is None:
        maintenance.resolved_at = now


def advance_maintenances(config: StatusConfig, now: datetime) -> None:
    """Move maintenances along their windows, with the default texts, and re-evaluate."""
    rows = list(
        db.session.execute(
            db.select(Incident)
            .where(
                Incident.kind == EventKind.MAINTENANCE,
                Incident.status != MaintenanceStatus.COMPLETED,
            )
            .options(selectinload(Incident.affected))
        ).scalars()
    )
    touched: set[int] = set()
    for maintenance in rows:
        status = maintenance_status(
            maintenance.scheduled_for, maintenance.scheduled_until, now, maintenance.status
        )
        if status == maintenance.status:
            continue
        lock_site()
        move_maintenance(maintenance, status, now)
        bump_version(now)
        db.session.commit()
        touched.update(a.component_id for a in maintenance.affected)
    for component_id in sorted(touched):
        evaluate(component_id, config, now, Cause.MAINTENANCE)


def shown_statuses(components: Iterable[Component], now: datetime) -> dict[int, ComponentStatus]:
    """Return what the page shows for each component at `now`, maintenance windows included.

    Reads compute this live, so a maintenance shows in progress from its start even when no
    probe process is running to record the change.
    """
    result = {}
    for component in components:
        result[component.id] = effective_status(
            component.automatic_status,
            component.manual_status,
            maintenance_covering(component.id, now) is not None,
            staff_incident_status(component.id),
        )
    return result
