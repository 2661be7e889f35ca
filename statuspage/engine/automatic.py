"""Automatic incidents: opened, updated and resolved so they match what the probes say."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from probes.definitions import DEFAULT_FAILURES_TO_OPEN
from statuspage.config import StatusConfig
from statuspage.notify.events import alert_automatic, announce_update
from statuspage.reads.status import open_staff_incident
from statuspage.rules import (
    ProbeFailure,
    failure_update,
    incident_impact,
    recovery_update,
    status_change_update,
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
    UpdateComponentChange,
)
from statuspage.vocabulary import (
    IMPACT_SEVERITY,
    ComponentStatus,
    EventKind,
    Impact,
    IncidentStatus,
    Outcome,
)

log = logging.getLogger(__name__)


INCIDENT_TITLES = {
    ComponentStatus.DEGRADED_PERFORMANCE: "Degraded performance of {name}",
    ComponentStatus.PARTIAL_OUTAGE: "Partial outage of {name}",
    ComponentStatus.MAJOR_OUTAGE: "Major outage of {name}",
}


def reconcile_incidents(
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
    was = previous or ComponentStatus.OPERATIONAL
    changed_status = current != was
    open_auto = _open_automatic_incident(component.id)
    staff = open_staff_incident(component.id)

    if current != ComponentStatus.OPERATIONAL:
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
    """Append the system's own update (author None) with the component change it reports.

    On an automatic incident it is announced to subscribers; on a staff incident, staff
    choose what customers are told. The on-call team hears of it either way.
    """
    update_row = IncidentUpdate(
        incident=incident,
        status=status,
        body=text,
        author=None,
        created_at=now,
        display_at=now,
        deliver_notifications=incident.automatic,
    )
    if old != new:
        update_row.changes.append(
            UpdateComponentChange(component=component, old_status=old, new_status=new)
        )
    db.session.add(update_row)
    incident.status = status
    incident.updated_at = now
    # Set here as well as by the callers, so the announcement carries them.
    if status == IncidentStatus.RESOLVED and incident.resolved_at is None:
        incident.resolved_at = now
    if status == IncidentStatus.MONITORING and incident.monitoring_at is None:
        incident.monitoring_at = now
    for affected in incident.affected:
        if affected.component_id == component.id:
            affected.status = new
    if incident.automatic and new != ComponentStatus.OPERATIONAL:
        raised = incident_impact([new])
        if IMPACT_SEVERITY[raised] > IMPACT_SEVERITY[Impact(incident.impact)]:
            incident.impact = raised
    announce_update(update_row, now)
    alert_automatic(update_row, old, new, now)


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
